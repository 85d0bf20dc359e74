// A Dockerfile read into its stages and instructions (continuation lines joined, comments
// dropped): enough for tests to check its structure without a container runtime.

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) continue; // comments, also between continuation lines
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') lines.push(current.trim());
    current = '';
  }
  const result: Dockerfile = { globalArgs: {}, stages: [] };
  for (const line of lines) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const kw = keyword.toUpperCase();
    if (kw === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      result.stages.push({ from: m?.[1] ?? args, name: m?.[2], instructions: [] });
    } else if (result.stages.length === 0) {
      if (kw === 'ARG') {
        const [k, v = ''] = args.split('=', 2);
        result.globalArgs[k] = v;
      }
    } else result.stages.at(-1)!.instructions.push({ keyword: kw, args: args.replace(/\s+/g, ' ') });
  }
  return result;
}

/** The exec form of ENTRYPOINT/CMD as a list (JSON array). */
export function execForm(args: string): string[] {
  const list = JSON.parse(args);
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new Error(`not an exec-form list: ${args}`);
  return list;
}
