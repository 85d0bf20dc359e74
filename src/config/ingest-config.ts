// Ingest files: the YAML that `floe serve -c FILE` runs (HTTP appends → Iceberg tables). Validated
// like connector and maintenance files: errors name the file and the key, unknown keys are
// errors, `${VAR}` is replaced from the environment, FLOE_CATALOG_* / FLOE_S3_* override the
// catalog's secrets. Every section is optional: no file at all runs on the embedded catalog.
//
//   catalog: { type: sql | rest, ... }   # as a connector file's; default: embedded, in `warehouse`
//   warehouse: ./warehouse               # the embedded catalog's folder (without catalog:)
//   host: 127.0.0.1                      # where the append API listens
//   port: 8080                           # 0 or auto: a free port (printed at start)
//   metricsPort: 9464                    # /metrics /healthz /readyz; 0: off; auto: a free port
//   metricsHost: 127.0.0.1
//   commit: { intervalMs: 1000, maxRows: 1000000, maxBytes: 134217728 }   # group commit per table
//   limits: { maxBodyBytes, maxRowsPerRequest, maxConcurrentRequests, maxBufferedBytes }
//   idempotency: { maxKeys: 10000, retentionMs: 3600000 }   # keys remembered per table
//   tls: { cert: FILE, key: FILE }       # PEM files; HTTPS when given
//   auth:
//     tokens:                            # none: no auth
//       - token: ${APP_TOKEN}            # or tokenFile: /run/secrets/app (first line)
//         scopes: [app, other.events]    # a namespace, namespace.table, or "*"
//   defaults: { autoCreate: true, evolveSchema: true, partitionBy: [], properties: {}, maxNestingDepth: 32, maxColumns: 2000 }
//   tables:                              # per table, over the defaults
//     - name: app.events
//       partitionBy: ["day(ts)"]
//       schema: { fields: [{ name: ts, type: timestamptz, required: true }, ...] }   # fixed schema
import fs from 'node:fs';
import path from 'node:path';
import { buildPartitionSpec, PartitionSpecError } from '../iceberg/partition-spec.ts';
import { assignFreshIds, schemaFromJson } from '../iceberg/schema.ts';
import type { FieldSpec } from '../iceberg/schema.ts';
import type { Schema } from '../iceberg/types.ts';
import { DEFAULT_SCHEMA_LIMITS } from '../schema/schema-rules.ts';
import { ConfigReader, describe, parseConfigYaml, readConfigText } from './config-reader.ts';
import { catalogConfig } from './connector-config.ts';
import type { CatalogConfig } from './connector-config.ts';
import { checkPartitionBy } from './partition-by.ts';

export const DEFAULT_INGEST_PORT = 8080;
export const DEFAULT_INGEST_METRICS_PORT = 9464;

export interface IngestTableSettings {
  autoCreate: boolean;
  evolveSchema: boolean;
  partitionBy: string[];
  properties: Record<string, string>;
  maxNestingDepth: number;
  maxColumns: number;
  /** A fixed schema: rows are checked against it, never inferred or evolved. */
  schema?: Schema;
}

export interface IngestLimits {
  /** Request body, as sent and after decompression. */
  maxBodyBytes: number;
  maxRowsPerRequest: number;
  /** Requests being read, checked or waiting for their commit at once; more get 429. */
  maxConcurrentRequests: number;
  /** Rows buffered for the next commits (all tables, estimated bytes); more get 429. */
  maxBufferedBytes: number;
}

export interface IngestCommit {
  intervalMs: number;
  maxRows: number;
  maxBytes: number;
}

export interface IngestIdempotency {
  /** Keys remembered per table (the newest). */
  maxKeys: number;
  /** Keys older than this are forgotten. */
  retentionMs: number;
}

export interface IngestToken {
  token: string;
  /** "*", a namespace ("app", "a.b") or a table ("app.events"). */
  scopes: string[];
}

export interface IngestConfig {
  source: string;
  /** undefined: the embedded catalog in `warehouse`. */
  catalog?: CatalogConfig;
  warehouse: string;
  host: string;
  /** 0: a free port. */
  port: number;
  /** 0: no metrics server; 'auto': a free port. */
  metricsPort: number | 'auto';
  metricsHost: string;
  commit: IngestCommit;
  limits: IngestLimits;
  idempotency: IngestIdempotency;
  tls?: { cert: string; key: string };
  tokens: IngestToken[];
  defaults: IngestTableSettings;
  tables: Map<string, IngestTableSettings>;
}

export const DEFAULT_COMMIT: IngestCommit = { intervalMs: 1000, maxRows: 1_000_000, maxBytes: 128 * 1024 * 1024 };
export const DEFAULT_LIMITS: IngestLimits = { maxBodyBytes: 16 * 1024 * 1024, maxRowsPerRequest: 100_000, maxConcurrentRequests: 1024, maxBufferedBytes: 512 * 1024 * 1024 };
export const DEFAULT_IDEMPOTENCY: IngestIdempotency = { maxKeys: 10_000, retentionMs: 3_600_000 };

const TABLE_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;
const SCOPE = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)$/;

export function loadIngestConfig(file: string, env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return parseIngestConfig(readConfigText(file), file, env);
}

/** The settings with no file: embedded catalog, every default. */
export function defaultIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return parseIngestConfig('{}', '<defaults>', env);
}

export function parseIngestConfig(text: string, file = '<ingest file>', env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const v = new Reader(file);
  const root = v.object(parseConfigYaml(text, file, env) ?? {}, '');
  const dir = file.startsWith('<') ? process.cwd() : path.dirname(path.resolve(file));
  const catalog = root.catalog === undefined ? undefined : catalogConfig(root.catalog, file, env);
  if (catalog && root.warehouse !== undefined) v.fail('warehouse', 'is the embedded catalog folder; with a catalog section, give catalog.warehouse');
  const warehouse = v.nonEmptyString(root, 'warehouse', 'warehouse') ?? 'warehouse';

  const portSetting = v.port(root, 'port', DEFAULT_INGEST_PORT);
  const port = portSetting === 'auto' ? 0 : portSetting;
  const metricsPort = v.port(root, 'metricsPort', DEFAULT_INGEST_METRICS_PORT);
  const host = v.nonEmptyString(root, 'host', 'host') ?? env.FLOE_SERVE_HOST ?? '127.0.0.1';
  const metricsHost = v.nonEmptyString(root, 'metricsHost', 'metricsHost') ?? env.FLOE_METRICS_HOST ?? '127.0.0.1';

  const c = v.object(root.commit, 'commit');
  const commit: IngestCommit = {
    intervalMs: v.wholeNumber(c, 'intervalMs', 'commit.intervalMs', 10) ?? DEFAULT_COMMIT.intervalMs,
    maxRows: v.wholeNumber(c, 'maxRows', 'commit.maxRows', 1) ?? DEFAULT_COMMIT.maxRows,
    maxBytes: v.wholeNumber(c, 'maxBytes', 'commit.maxBytes', 1024) ?? DEFAULT_COMMIT.maxBytes,
  };
  v.noUnknown(c, 'commit', ['intervalMs', 'maxRows', 'maxBytes']);

  const l = v.object(root.limits, 'limits');
  const limits: IngestLimits = {
    maxBodyBytes: v.wholeNumber(l, 'maxBodyBytes', 'limits.maxBodyBytes', 1) ?? DEFAULT_LIMITS.maxBodyBytes,
    maxRowsPerRequest: v.wholeNumber(l, 'maxRowsPerRequest', 'limits.maxRowsPerRequest', 1) ?? DEFAULT_LIMITS.maxRowsPerRequest,
    maxConcurrentRequests: v.wholeNumber(l, 'maxConcurrentRequests', 'limits.maxConcurrentRequests', 1) ?? DEFAULT_LIMITS.maxConcurrentRequests,
    maxBufferedBytes: v.wholeNumber(l, 'maxBufferedBytes', 'limits.maxBufferedBytes', 1024) ?? DEFAULT_LIMITS.maxBufferedBytes,
  };
  v.noUnknown(l, 'limits', ['maxBodyBytes', 'maxRowsPerRequest', 'maxConcurrentRequests', 'maxBufferedBytes']);

  const i = v.object(root.idempotency, 'idempotency');
  const idempotency: IngestIdempotency = {
    maxKeys: v.wholeNumber(i, 'maxKeys', 'idempotency.maxKeys', 1) ?? DEFAULT_IDEMPOTENCY.maxKeys,
    retentionMs: v.wholeNumber(i, 'retentionMs', 'idempotency.retentionMs', 1000) ?? DEFAULT_IDEMPOTENCY.retentionMs,
  };
  v.noUnknown(i, 'idempotency', ['maxKeys', 'retentionMs']);

  let tls: IngestConfig['tls'];
  if (root.tls !== undefined && root.tls !== null) {
    const t = v.object(root.tls, 'tls');
    tls = { cert: path.resolve(dir, v.nonEmptyString(t, 'cert', 'tls.cert', true)!), key: path.resolve(dir, v.nonEmptyString(t, 'key', 'tls.key', true)!) };
    v.noUnknown(t, 'tls', ['cert', 'key']);
  }

  const tokens: IngestToken[] = [];
  if (root.auth !== undefined && root.auth !== null) {
    const a = v.object(root.auth, 'auth');
    v.noUnknown(a, 'auth', ['tokens']);
    const list = a.tokens as unknown[];
    if (!Array.isArray(list) || list.length === 0) v.fail('auth.tokens', `must be a non-empty list of { token | tokenFile, scopes }, got ${describe(list)}`);
    list.forEach((raw, n) => {
      const key = `auth.tokens[${n}]`;
      const t = v.object(raw, key, true);
      v.noUnknown(t, key, ['token', 'tokenFile', 'scopes']);
      const inline = typeof t.token === 'string' ? t.token : undefined;
      const tokenFile = v.nonEmptyString(t, 'tokenFile', `${key}.tokenFile`);
      if ((inline === undefined) === (tokenFile === undefined)) v.fail(key, 'give token (a string, e.g. ${ENV_VAR}) or tokenFile, not both or neither');
      let token = inline;
      if (tokenFile !== undefined) {
        try {
          token = fs.readFileSync(path.resolve(dir, tokenFile), 'utf8').split('\n')[0].trim();
        } catch (err) {
          v.fail(`${key}.tokenFile`, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      if (!token || token.length < 16) v.fail(key, 'the token must be at least 16 characters');
      const scopes = v.stringList(t, 'scopes', `${key}.scopes`);
      for (const s of scopes) if (!SCOPE.test(s)) v.fail(`${key}.scopes`, `"${s}" is not "*", a namespace or namespace.table`);
      tokens.push({ token: token!, scopes });
    });
  }

  const defaults = v.tableSettings(root.defaults, 'defaults', {
    autoCreate: true,
    evolveSchema: true,
    partitionBy: [],
    properties: {},
    maxNestingDepth: DEFAULT_SCHEMA_LIMITS.maxDepth,
    maxColumns: DEFAULT_SCHEMA_LIMITS.maxColumns,
  });
  if (defaults.schema) v.fail('defaults.schema', 'a fixed schema is per table (tables[i].schema)');
  const tables = new Map<string, IngestTableSettings>();
  if (root.tables !== undefined && root.tables !== null) {
    if (!Array.isArray(root.tables)) v.fail('tables', `must be a list of { name: ns.table, ... }, got ${describe(root.tables)}`);
    (root.tables as unknown[]).forEach((raw, n) => {
      const key = `tables[${n}]`;
      const t = v.object(raw, key, true);
      const name = v.nonEmptyString(t, 'name', `${key}.name`, true)!;
      if (!TABLE_NAME.test(name)) v.fail(`${key}.name`, `"${name}" is not valid (namespace.table)`);
      if (tables.has(name)) v.fail(`${key}.name`, `${name} is listed twice`);
      const { name: _n, ...rest } = t;
      tables.set(name, v.tableSettings(rest, key, defaults));
    });
  }

  v.noUnknown(root, '', ['catalog', 'warehouse', 'host', 'port', 'metricsPort', 'metricsHost', 'commit', 'limits', 'idempotency', 'tls', 'auth', 'defaults', 'tables']);
  return { source: file, catalog, warehouse: path.resolve(dir, warehouse), host, port, metricsPort, metricsHost, commit, limits, idempotency, tls, tokens, defaults, tables };
}

/** The settings of a table: its own entry, else the defaults. */
export function tableSettings(config: IngestConfig, table: string): IngestTableSettings {
  return config.tables.get(table) ?? config.defaults;
}

class Reader extends ConfigReader {
  bool(o: Record<string, unknown>, k: string, key: string): boolean | undefined {
    const value = o[k];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(key, `must be true or false, got ${describe(value)}`);
    return value;
  }

  stringList(o: Record<string, unknown>, k: string, key: string): string[] {
    const value = o[k];
    if (!Array.isArray(value) || value.length === 0 || !value.every((x) => typeof x === 'string' && x !== '')) this.fail(key, `must be a non-empty list of strings, got ${describe(value)}`);
    return value as string[];
  }

  port(o: Record<string, unknown>, k: string, fallback: number): number | 'auto' {
    const p = o[k];
    if (p === undefined || p === null) return fallback;
    if (p === 'auto') return 'auto';
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) this.fail(k, `must be a port (0 to 65535) or auto (a free port), got ${describe(p)}`);
    return p;
  }

  tableSettings(value: unknown, key: string, base: IngestTableSettings): IngestTableSettings {
    const t = this.object(value, key);
    this.noUnknown(t, key, ['autoCreate', 'evolveSchema', 'partitionBy', 'properties', 'maxNestingDepth', 'maxColumns', 'schema']);
    const out: IngestTableSettings = {
      autoCreate: this.bool(t, 'autoCreate', `${key}.autoCreate`) ?? base.autoCreate,
      evolveSchema: this.bool(t, 'evolveSchema', `${key}.evolveSchema`) ?? base.evolveSchema,
      partitionBy: t.partitionBy === undefined ? base.partitionBy : this.stringList(t, 'partitionBy', `${key}.partitionBy`),
      properties: t.properties === undefined ? base.properties : this.stringMap(t.properties, `${key}.properties`),
      maxNestingDepth: this.wholeNumber(t, 'maxNestingDepth', `${key}.maxNestingDepth`, 1) ?? base.maxNestingDepth,
      maxColumns: this.wholeNumber(t, 'maxColumns', `${key}.maxColumns`, 1) ?? base.maxColumns,
    };
    if (t.schema !== undefined && t.schema !== null) out.schema = this.schema(t.schema, `${key}.schema`);
    if (out.schema) {
      try {
        buildPartitionSpec(out.schema, out.partitionBy);
      } catch (err) {
        if (!(err instanceof PartitionSpecError)) throw err;
        this.fail(`${key}.partitionBy`, err.message);
      }
    } else {
      checkPartitionBy(this.file, { partitionBy: out.partitionBy, kafkaMetadataColumns: false, kafkaHeadersColumn: false });
    }
    return out;
  }

  schema(value: unknown, key: string): Schema {
    const s = this.object(value, key);
    this.noUnknown(s, key, ['fields']);
    if (!Array.isArray(s.fields) || s.fields.length === 0) this.fail(`${key}.fields`, `must be a non-empty list of { name, type, required }, got ${describe(s.fields)}`);
    try {
      const { schema } = assignFreshIds(s.fields as FieldSpec[]);
      return schemaFromJson(schema);
    } catch (err) {
      this.fail(`${key}.fields`, (err as Error).message);
    }
  }
}
