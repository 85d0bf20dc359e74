// Summarises `node --cpu-prof` output (one .cpuprofile per thread: the main thread and each
// worker) as self time per place: src/<folder>, a node_modules package, node's own code,
// (garbage collector), (idle), (program).
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function place(node: ProfileNode): string {
  const url = node.callFrame.url;
  if (!url) return node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : '(native)';
  const src = /\/(src|bench|schemas)\/([^/]+)\//.exec(url) ?? /\/(src|bin)\/([^/]+)$/.exec(url);
  if (src) return `${src[1]}/${src[2].replace(/\.ts$/, '')}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node:internal';
  return path.basename(url);
}

export interface ThreadProfile {
  file: string;
  seconds: number;
  /** place → share of this thread's samples, percent */
  selfPercent: Record<string, number>;
  /** the heaviest functions by self time: "name (place)" → percent */
  topFunctions: Record<string, number>;
}

export function summariseProfiles(dir: string): ThreadProfile[] {
  const out: ThreadProfile[] = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.cpuprofile'))
    .sort()) {
    const p = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const perPlace = new Map<string, number>();
    const perFn = new Map<string, number>();
    let total = 0;
    for (const n of p.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      total += hits;
      const pl = place(n);
      perPlace.set(pl, (perPlace.get(pl) ?? 0) + hits);
      const fn = `${n.callFrame.functionName || '(anonymous)'} (${pl})`;
      perFn.set(fn, (perFn.get(fn) ?? 0) + hits);
    }
    void byId;
    const pct = (m: Map<string, number>, k: number) =>
      Object.fromEntries(
        [...m]
          .sort((a, b) => b[1] - a[1])
          .slice(0, k)
          .map(([key, v]) => [key, Math.round((v / total) * 1000) / 10]),
      );
    out.push({ file: f, seconds: Math.round((p.endTime - p.startTime) / 1e5) / 10, selfPercent: pct(perPlace, 14), topFunctions: pct(perFn, 20) });
  }
  return out;
}
