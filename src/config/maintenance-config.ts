// Maintenance files: the YAML that `floe maintain -c FILE` runs as a long-lived worker. Validated
// like connector files (connector-config.ts): every error names the file and the key, unknown
// keys are errors (with the nearest known key), `${VAR}` in a string is replaced from the
// environment and FLOE_CATALOG_* / FLOE_S3_* override the catalog's secrets.
//
//   catalog: { type: sql | rest, uri, warehouse, token, credential, properties }   # as a connector file's
//   metricsPort: 9465        # 0: no server; auto: a free port, printed at start
//   metricsHost: 127.0.0.1
//   tables:
//     - name: shop.orders    # or pattern: "raw\\..*" (a regular expression over namespace.table,
//                            #    whole name; namespace: raw lists only that namespace)
//       every: 10m           # ms, s, m, h, d; a pass, then the next about `every` later (±10 %)
//       compact: { targetFileSize: 536870912, commitGroups: 100 }   # or false; default the table's
//                            #    property; commitGroups: compaction groups per replace snapshot
//       expire: { maxSnapshotAgeMs: ..., minSnapshotsToKeep: ... }   # or false
//       orphans: { olderThanMs: 259200000 }              # or false; at least 1 h
import { ConfigError, ConfigReader, describe, parseConfigYaml, readConfigText } from './config-reader.ts';
import { catalogConfig } from './connector-config.ts';
import type { CatalogConfig } from './connector-config.ts';

export const DEFAULT_EVERY_MS = 10 * 60_000;
export const MIN_EVERY_MS = 1000;
export const DEFAULT_MAINTENANCE_METRICS_PORT = 9465;
/** The maintenance worker's Unix nice value unless the file says otherwise (0 normal … 19 lowest). */
export const DEFAULT_MAINTENANCE_NICE = 10;
/**
 * Orphan cleanup deletes unreferenced files older than its window; a connector's data files are
 * unreferenced between their write and their commit. A window under an hour could delete files
 * about to be committed, so a maintenance file may not set one (the CLI's --orphan-window-ms can,
 * for a one-off pass).
 */
export const MIN_ORPHAN_WINDOW_MS = 60 * 60_000;

export interface MaintenanceSteps {
  /** undefined: compaction off. targetBytes undefined: the table's write.target-file-size-bytes, else 512 MiB. */
  compact?: { targetBytes?: number; commitGroups?: number };
  /** undefined: expiry off. Unset fields: the table's history.expire.* properties, else Iceberg's defaults. */
  expire?: { maxSnapshotAgeMs?: number; minSnapshotsToKeep?: number };
  /** undefined: orphan cleanup off. olderThanMs undefined: 3 days. */
  orphans?: { olderThanMs?: number };
}

export type MaintenanceTableEntry = MaintenanceSteps & {
  /** Where in the file (tables[i]), for messages. */
  key: string;
  everyMs: number;
} & ({ name: string; pattern?: undefined; namespace?: undefined } | { name?: undefined; pattern: string; regex: RegExp; namespace?: string[] });

export interface MaintenanceConfig {
  source: string;
  catalog: CatalogConfig;
  tables: MaintenanceTableEntry[];
  /** 0: no server; 'auto': a free port. */
  metricsPort: number | 'auto';
  metricsHost: string;
  /** The worker's Unix nice value, 0 (normal) to 19 (lowest): maintenance gives way to ingestion on shared cores. */
  nice: number;
}

const TABLE_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

/** "500ms", "30s", "5m", "1h", "1d" (also "1.5h") in ms; undefined when not a duration. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(s);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export function loadMaintenanceConfig(file: string, env: NodeJS.ProcessEnv = process.env): MaintenanceConfig {
  return parseMaintenanceConfig(readConfigText(file), file, env);
}

export function parseMaintenanceConfig(text: string, file = '<maintenance file>', env: NodeJS.ProcessEnv = process.env): MaintenanceConfig {
  const v = new Reader(file);
  const root = v.object(parseConfigYaml(text, file, env), '', true);
  if (root.tables === undefined && (root.kafka !== undefined || root.topics !== undefined || root.table !== undefined)) {
    throw new ConfigError(file, '', 'this is a connector file, not a maintenance file (tables: ...); for one pass with its catalog: floe maintain NS.TABLE -c FILE');
  }

  const catalog = catalogConfig(root.catalog, file, env);

  let metricsPort: number | 'auto' = DEFAULT_MAINTENANCE_METRICS_PORT;
  if (root.metricsPort === 'auto') metricsPort = 'auto';
  else if (root.metricsPort !== undefined && root.metricsPort !== null) {
    const p = root.metricsPort;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) {
      throw new ConfigError(file, 'metricsPort', `must be a port (0 to 65535; 0: no server) or auto (a free port), got ${describe(p)}`);
    }
    metricsPort = p;
  }
  const metricsHost = v.nonEmptyString(root, 'metricsHost', 'metricsHost') ?? env.FLOE_METRICS_HOST ?? '127.0.0.1';

  if (root.tables === undefined || root.tables === null) throw new ConfigError(file, 'tables', 'is required (a list of { name: ns.table } or { pattern: "ns\\\\..*" })');
  if (!Array.isArray(root.tables)) throw new ConfigError(file, 'tables', `must be a list, got ${describe(root.tables)}`);
  if (root.tables.length === 0) throw new ConfigError(file, 'tables', 'must not be empty');
  const tables: MaintenanceTableEntry[] = [];
  const names = new Map<string, string>();
  root.tables.forEach((raw, i) => {
    const key = `tables[${i}]`;
    const t = v.object(raw, key, true);
    const name = v.nonEmptyString(t, 'name', `${key}.name`);
    const pattern = v.nonEmptyString(t, 'pattern', `${key}.pattern`);
    if ((name === undefined) === (pattern === undefined))
      throw new ConfigError(file, key, 'give either name (namespace.table) or pattern (a regular expression over namespace.table), not both or neither');
    const everyRaw = t.every;
    let everyMs = DEFAULT_EVERY_MS;
    if (everyRaw !== undefined && everyRaw !== null) {
      const ms = typeof everyRaw === 'string' ? parseDuration(everyRaw) : undefined;
      if (ms === undefined) throw new ConfigError(file, `${key}.every`, `must be a duration such as "30s", "5m", "1h" (units ms, s, m, h, d), got ${describe(everyRaw)}`);
      if (ms < MIN_EVERY_MS) throw new ConfigError(file, `${key}.every`, `must be at least 1s, got "${everyRaw}"`);
      everyMs = ms;
    }
    const steps: MaintenanceSteps = {};
    const compact = v.step(t.compact, `${key}.compact`);
    if (compact) {
      steps.compact = {};
      const target = v.wholeNumber(compact, 'targetFileSize', `${key}.compact.targetFileSize`, 1024);
      if (target !== undefined) steps.compact.targetBytes = target;
      const commitGroups = v.wholeNumber(compact, 'commitGroups', `${key}.compact.commitGroups`, 1);
      if (commitGroups !== undefined) steps.compact.commitGroups = commitGroups;
      v.noUnknown(compact, `${key}.compact`, ['targetFileSize', 'commitGroups']);
    }
    const expire = v.step(t.expire, `${key}.expire`);
    if (expire) {
      steps.expire = {};
      const age = v.wholeNumber(expire, 'maxSnapshotAgeMs', `${key}.expire.maxSnapshotAgeMs`, 0);
      if (age !== undefined) steps.expire.maxSnapshotAgeMs = age;
      const keep = v.wholeNumber(expire, 'minSnapshotsToKeep', `${key}.expire.minSnapshotsToKeep`, 1);
      if (keep !== undefined) steps.expire.minSnapshotsToKeep = keep;
      v.noUnknown(expire, `${key}.expire`, ['maxSnapshotAgeMs', 'minSnapshotsToKeep']);
    }
    const orphans = v.step(t.orphans, `${key}.orphans`);
    if (orphans) {
      steps.orphans = {};
      const window = v.wholeNumber(orphans, 'olderThanMs', `${key}.orphans.olderThanMs`, MIN_ORPHAN_WINDOW_MS, ' (1 h: files younger than that may be a connector write about to be committed)');
      if (window !== undefined) steps.orphans.olderThanMs = window;
      v.noUnknown(orphans, `${key}.orphans`, ['olderThanMs']);
    }
    if (name !== undefined) {
      if (!TABLE_NAME.test(name)) throw new ConfigError(file, `${key}.name`, `"${name}" is not valid (namespace.table)`);
      const earlier = names.get(name);
      if (earlier) throw new ConfigError(file, `${key}.name`, `${name} is already listed at ${earlier}`);
      names.set(name, key);
      if (t.namespace !== undefined) throw new ConfigError(file, `${key}.namespace`, 'only applies with pattern (a name says its namespace)');
      v.noUnknown(t, key, ['name', 'every', 'compact', 'expire', 'orphans']);
      tables.push({ key, name, everyMs, ...steps });
    } else {
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        throw new ConfigError(file, `${key}.pattern`, `not a valid regular expression: ${(err as Error).message}`);
      }
      const ns = v.nonEmptyString(t, 'namespace', `${key}.namespace`);
      if (ns !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(ns)) throw new ConfigError(file, `${key}.namespace`, `"${ns}" is not a valid namespace`);
      v.noUnknown(t, key, ['pattern', 'namespace', 'every', 'compact', 'expire', 'orphans']);
      tables.push({ key, pattern: pattern!, regex, namespace: ns?.split('.'), everyMs, ...steps });
    }
  });

  const nice = v.wholeNumber(root, 'nice', 'nice', 0) ?? DEFAULT_MAINTENANCE_NICE;
  if (nice > 19) throw new ConfigError(file, 'nice', `must be at most 19 (the lowest priority), got ${nice}`);
  v.noUnknown(root, '', ['catalog', 'tables', 'metricsPort', 'metricsHost', 'nice']);
  return { source: file, catalog, tables, metricsPort, metricsHost, nice };
}

/** Typed reads with errors that name the file and the key (full key paths). */
class Reader extends ConfigReader {
  /** A step: absent or true = on with defaults, false = off, a mapping = on with settings. */
  step(value: unknown, key: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null || value === true) return {};
    if (value === false) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(key, `must be false (off), true or a mapping of settings, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  oneOf(o: Record<string, unknown>, k: string, key: string, allowed: string[], required = false): string | undefined {
    const s = this.nonEmptyString(o, k, key, required);
    if (s !== undefined && !allowed.includes(s)) this.fail(key, `"${s}" is not one of ${allowed.join(', ')}`);
    return s;
  }
}
