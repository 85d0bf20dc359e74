// What every floe file reader (connector, maintenance and ingest files) shares: reading the
// file, YAML with ${VAR} replaced from the environment, errors that name the file and the key
// (ConfigError), mappings, string maps, non-empty strings, whole numbers and unknown keys (with
// a "did you mean"), and how a bad value is described. Each file's Reader adds the typed reads
// it needs.
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FloeError } from '../errors.ts';

export class ConfigError extends FloeError {
  readonly file: string;
  readonly key: string;
  constructor(file: string, key: string, message: string) {
    super('fatal', `${file}: ${key ? `${key}: ` : ''}${message}`);
    this.file = file;
    this.key = key;
  }
}

/** The file's text; an unreadable file is a ConfigError naming it. */
export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The YAML document with every ${VAR} replaced from `env` (an unset one is an error naming its key). */
export function parseConfigYaml(text: string, file: string, env: NodeJS.ProcessEnv): unknown {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, '', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return substituteEnv(doc, file, '', env);
}

function substituteEnv(value: unknown, file: string, key: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) throw new ConfigError(file, key, `environment variable ${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((x, i) => substituteEnv(x, file, `${key}[${i}]`, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, substituteEnv(x, file, key ? `${key}.${k}` : k, env)]));
  }
  return value;
}

export class ConfigReader {
  protected readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  fail(key: string, message: string): never {
    throw new ConfigError(this.file, key, message);
  }

  /** A mapping, or {} when absent (an error when required). */
  object(value: unknown, key: string, required: boolean | { required?: boolean } = false): Record<string, unknown> {
    if (value === undefined || value === null) {
      if (typeof required === 'boolean' ? required : required.required) this.fail(key, 'is required');
      return {};
    }
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(key, `must be a mapping, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  stringMap(value: unknown, key: string): Record<string, string> {
    if (value === undefined || value === null) return {};
    const o = this.object(value, key);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) {
      if (typeof x === 'string') out[k] = x;
      else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
      else this.fail(`${key}.${k}`, `must be a string, got ${describe(x)}`);
    }
    return out;
  }

  /** o[k] as a non-empty string; undefined when absent (an error when required). */
  nonEmptyString(o: Record<string, unknown>, k: string, key: string, required = false): string | undefined {
    const value = o[k];
    if (value === undefined || value === null) {
      if (required) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value === '') this.fail(key, `must be a non-empty string, got ${describe(value)}`);
    return value;
  }

  /** o[k] as a whole number of at least `min` (`why` follows the bound in the message); undefined when absent. */
  wholeNumber(o: Record<string, unknown>, k: string, key: string, min: number, why = ''): number | undefined {
    const value = o[k];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(key, `must be a whole number, got ${describe(value)}`);
    if (value < min) this.fail(key, `must be at least ${min}${why}, got ${value}`);
    return value;
  }

  noUnknown(o: Record<string, unknown>, prefix: string, known: string[]): void {
    for (const k of Object.keys(o)) {
      if (!known.includes(k)) {
        const near = known.find((x) => x.toLowerCase() === k.toLowerCase() || editDistance(x, k) <= 2);
        this.fail(prefix ? `${prefix}.${k}` : k, `unknown key${near ? ` (did you mean "${near}"?)` : ''}; known keys here: ${known.join(', ')}`);
      }
    }
  }
}

/** A bad value as an error message names it. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v}"`;
  return `${typeof v} ${String(v)}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}
