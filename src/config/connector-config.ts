// Connector files: YAML in, a validated config out. Every error names the file and the key
// (`connectors/orders.yaml: table.partitionBy[1]: ...`); unknown keys are errors, so a typo
// never silently falls back to a default. `${VAR}` in a string value is replaced by that
// environment variable, and FLOE_* variables override secrets (see SECRET_ENV). Checked here,
// without contacting a server: broker addresses (host:port, port 1..65535), URLs without
// credentials in them (secrets go in their own keys, the environment or ${VAR}; a password is
// never printed, not even in the error that refuses it) and table.partitionBy (partition-by.ts).
import { FETCH_DEFAULTS } from '../kafka/types.ts';
import { DEFAULT_SCHEMA_LIMITS } from '../schema/schema-rules.ts';
import { ConfigError, ConfigReader, describe, parseConfigYaml, readConfigText } from './config-reader.ts';
import { checkPartitionBy } from './partition-by.ts';
import { configBaseDir, readKafkaSasl, readSecret, readTls, type KafkaSaslConfig, type TlsConfig } from './connection-security.ts';

export interface KafkaConfig {
  brokers: string[];
  groupId: string;
  clientId: string;
  /** Where a partition the table has never seen starts. */
  startFrom: 'earliest' | 'latest';
  sessionTimeoutMs: number;
  /**
   * How long unreachable brokers are retried (reconnect, rejoin) before the connector stops with
   * an error naming them; absent: the source's default (5 min).
   */
  reconnectTimeoutMs?: number;
  /** How often topicPattern is matched against the broker's topics again (new topics join then). */
  topicRefreshMs: number;
  /** Fetch request sizes (src/kafka/source.ts); absent keys take FETCH_DEFAULTS. */
  fetch: FetchConfig;
  /** TLS to the brokers: true (system CAs) or CA, client certificate and key (read from their files). */
  tls?: TlsConfig | true;
  sasl?: KafkaSaslConfig;
}

/**
 * `kafka.fetch`: the sizes of each fetch request, as Kafka's consumer names them
 * (fetch.max.bytes, max.partition.fetch.bytes, fetch.max.wait.ms, fetch.min.bytes). A fetch
 * response is parsed whole into record objects before the first is handled, so maxBytes bounds
 * the records in memory at once and the young garbage they make.
 */
export interface FetchConfig {
  /** Whole response cap (default 16 MiB; 64 KiB to 1 GiB). */
  maxBytes: number;
  /** Per partition cap (default 1 MiB, or maxBytes if smaller; 64 KiB to maxBytes). */
  maxBytesPerPartition: number;
  /** The broker waits up to this long for minBytes (default 500 ms; at most 10 s). */
  maxWaitMs: number;
  /** The broker answers once it has this many bytes (default 1; at most maxBytes). */
  minBytes: number;
}

export interface RegistryConfig {
  url: string;
  username?: string;
  password?: string;
  token?: string;
  /** CA and client certificate for an https registry (read from their files). */
  tls?: TlsConfig;
}

export type ValueFormat = 'avro' | 'protobuf' | 'json-schema' | 'json';

export interface CatalogConfig {
  type: 'rest' | 'sql';
  /** REST: base URL. SQL: the SQLite file (path, file:// or sqlite:///). */
  uri: string;
  warehouse?: string;
  /** REST auth. */
  token?: string;
  credential?: string;
  /** Extra catalog and FileIO properties in Iceberg's names (s3.endpoint, rest.auth.type, ...). */
  properties: Record<string, string>;
}

export interface TableConfig {
  /**
   * namespace.table. May hold {topic} (the topic name, non-alphanumerics as "_"), and for field
   * routing {value} (the field's value, likewise), e.g. "raw.{topic}" or "shop.events_{value}".
   */
  name: string;
  partitionBy: string[];
  autoCreate: boolean;
  evolveSchema: boolean;
  kafkaMetadataColumns: boolean;
  /** Also keep the record key: _kafka_key as binary or as a UTF-8 string. */
  kafkaKeyColumn?: 'binary' | 'string';
  /** Also keep the record headers: _kafka_headers map<string, binary>. */
  kafkaHeadersColumn: boolean;
  properties: Record<string, string>;
  /** Levels of nesting a record may add (schema-rules.ts; default 32, which PyIceberg, Spark and Trino read). */
  maxNestingDepth: number;
  /** Leaf columns a record may grow the table to (default 2000). */
  maxColumns: number;
  /**
   * Bytes one table's writer may hold between commits: rows buffered (every partition's), and
   * data files open for the commit (src/batch/write-budget.ts). Beyond it the buffered rows are
   * written out by partition and the largest open files finished early, for the same commit.
   * Absent: the writer's default (128 MiB). At least 1 MiB.
   */
  writeBufferMaxBytes?: number;
}

export type RouteConfig = { by: 'topic' } | { by: 'field'; field: string; /** value → table name; values not listed use table.name as a template */ tables: Record<string, string> };

export interface CommitConfig {
  intervalMs: number;
  maxRows: number;
  maxBytes: number;
}

export interface ErrorsConfig {
  /** none: stop on the first bad record; all: send it to the dead-letter topic and go on. */
  tolerance: 'none' | 'all';
  deadLetterTopic?: string;
  /** What an incompatible schema change does: stop the connector or dead-letter the record. */
  onIncompatibleSchema: 'stop' | 'dead-letter';
  /**
   * What a tombstone (a record with a null value, e.g. a delete on a compacted topic) does: an
   * append-only table has no row for it, so it goes to the dead-letter topic or stops the
   * connector (every offset read is in the table or the dead-letter topic). Default: dead-letter
   * when tolerance is all, else fail.
   */
  tombstones: 'dead-letter' | 'fail';
  /**
   * How long writes to the object store and commits to the catalog may keep failing (each retried
   * with a back-off, each failure logged) before the connector stops with an error naming what
   * failed. Default 5 min, as the brokers' kafka.reconnectTimeoutMs.
   */
  outageTimeoutMs: number;
}

export interface ConnectorConfig {
  /** Where this config came from, for messages. */
  source: string;
  name: string;
  kafka: KafkaConfig;
  schemaRegistry?: RegistryConfig;
  format: ValueFormat;
  catalog: CatalogConfig;
  topics?: string[];
  topicPattern?: string;
  table: TableConfig;
  route: RouteConfig;
  commit: CommitConfig;
  errors: ErrorsConfig;
  /** Partitions pause while more than this many bytes are buffered. */
  bufferMaxBytes: number;
  /** Metrics and health HTTP port; 0 = off. */
  metricsPort: number;
  /** Address /metrics, /healthz and /readyz listen on (default FLOE_METRICS_HOST or 127.0.0.1; 0.0.0.0 in a pod). */
  metricsHost: string;
  /**
   * Consumer-group members `floe run` runs in this process, one per worker thread (cli/workers.ts);
   * `auto`: the cores the process may use (cli/worker-count.ts). Default 1. bufferMaxBytes is the
   * whole process's: each member gets an equal share. Absent (a config built in code): 1.
   */
  workers?: number | 'auto';
}

/** Environment variables that override secrets, and the key each one sets. */
export const SECRET_ENV: Record<string, string> = {
  FLOE_CATALOG_TOKEN: 'catalog.token',
  FLOE_CATALOG_CREDENTIAL: 'catalog.credential',
  FLOE_S3_ACCESS_KEY_ID: 'catalog.properties.s3.access-key-id',
  FLOE_S3_SECRET_ACCESS_KEY: 'catalog.properties.s3.secret-access-key',
  FLOE_SCHEMA_REGISTRY_USERNAME: 'schemaRegistry.username',
  FLOE_SCHEMA_REGISTRY_PASSWORD: 'schemaRegistry.password',
  FLOE_SCHEMA_REGISTRY_TOKEN: 'schemaRegistry.token',
  FLOE_KAFKA_SASL_PASSWORD: 'kafka.sasl.password',
  FLOE_KAFKA_SASL_CLIENT_SECRET: 'kafka.sasl.clientSecret',
};

export function loadConnectorConfig(file: string, env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  return parseConnectorConfig(readConfigText(file), file, env);
}

export function parseConnectorConfig(text: string, file = '<config>', env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  const v = new Reader(file);
  const root = v.object(parseConfigYaml(text, file, env), '');
  const secrets = (section: string) => (o: Record<string, unknown>, key: string) => applySecretOverrides(o, section ? `${section}.` : '', key, env);

  const name = v.string(root, 'name', { required: true, pattern: /^[A-Za-z0-9._-]+$/, hint: 'letters, digits, ".", "_", "-"' })!;

  const k = v.object(root.kafka, 'kafka', { required: true });
  const kafka: KafkaConfig = {
    brokers: v.brokers(k),
    groupId: v.string(k, 'groupId', { prefix: 'kafka' }) ?? `floe-${name}`,
    clientId: v.string(k, 'clientId', { prefix: 'kafka' }) ?? `floe-${name}`,
    startFrom: (v.oneOf(k, 'startFrom', ['earliest', 'latest'], 'kafka') ?? 'earliest') as KafkaConfig['startFrom'],
    sessionTimeoutMs: v.int(k, 'sessionTimeoutMs', { prefix: 'kafka', min: 1000 }) ?? 30_000,
    topicRefreshMs: v.int(k, 'topicRefreshMs', { prefix: 'kafka', min: 500 }) ?? 30_000,
    fetch: readFetch(v, k.fetch),
  };
  const reconnectTimeoutMs = v.int(k, 'reconnectTimeoutMs', { prefix: 'kafka', min: 0 });
  if (reconnectTimeoutMs !== undefined) kafka.reconnectTimeoutMs = reconnectTimeoutMs;
  // security (connection-security.ts): files are read here, relative to the connector file
  const baseDir = configBaseDir(file);
  const kafkaTls = readTls(v, k.tls, 'kafka.tls', baseDir);
  if (kafkaTls) kafka.tls = kafkaTls;
  if (k.sasl !== undefined && k.sasl !== null) {
    const sasl = v.object(k.sasl, 'kafka.sasl');
    for (const key of ['password', 'clientSecret']) secretOverridesFile(sasl, 'kafka.sasl.', key, env);
    kafka.sasl = readKafkaSasl(v, sasl, baseDir);
  }
  v.noUnknown(k, 'kafka', ['brokers', 'groupId', 'clientId', 'startFrom', 'sessionTimeoutMs', 'reconnectTimeoutMs', 'topicRefreshMs', 'fetch', 'tls', 'sasl']);

  let schemaRegistry: RegistryConfig | undefined;
  if (root.schemaRegistry !== undefined) {
    const r = v.object(root.schemaRegistry, 'schemaRegistry');
    secrets('schemaRegistry')(r, 'username');
    secretOverridesFile(r, 'schemaRegistry.', 'password', env);
    secretOverridesFile(r, 'schemaRegistry.', 'token', env);
    const registryDir = configBaseDir(file);
    schemaRegistry = {
      url: v.url(r, 'url', 'schemaRegistry', REGISTRY_SECRETS)!,
      username: v.string(r, 'username', { prefix: 'schemaRegistry' }),
      password: readSecret(v, r, 'password', 'schemaRegistry', registryDir),
      token: readSecret(v, r, 'token', 'schemaRegistry', registryDir),
    };
    if (schemaRegistry.password !== undefined && !schemaRegistry.username) v.fail('schemaRegistry.username', 'is required with schemaRegistry.password');
    if (schemaRegistry.token !== undefined && schemaRegistry.password !== undefined) v.fail('schemaRegistry.token', 'give schemaRegistry.token or username and password, not both');
    const registryTls = readTls(v, r.tls, 'schemaRegistry.tls', registryDir);
    if (registryTls === true) v.fail('schemaRegistry.tls', 'an https:// url is TLS already; give tls: { caFile, certFile, keyFile } for a private CA or a client certificate');
    if (registryTls && registryTls !== true) {
      if (!schemaRegistry.url.startsWith('https://')) v.fail('schemaRegistry.tls', 'is for an https:// url');
      schemaRegistry.tls = registryTls;
    }
    v.noUnknown(r, 'schemaRegistry', ['url', 'username', 'password', 'passwordFile', 'token', 'tokenFile', 'tls']);
  }

  const format = (v.oneOf(root, 'format', ['avro', 'protobuf', 'json-schema', 'json'], '') ?? (schemaRegistry ? 'avro' : 'json')) as ValueFormat;
  if (format !== 'json' && !schemaRegistry) throw new ConfigError(file, 'schemaRegistry', `format ${format} needs a schemaRegistry.url`);

  const catalog = readCatalog(v, root.catalog, env);

  const topics = root.topics === undefined ? undefined : v.stringList(root, 'topics', 'topics', { nonEmpty: true });
  const topicPattern = v.string(root, 'topicPattern', {});
  if (!topics === !topicPattern) throw new ConfigError(file, 'topics', 'give either topics (a list) or topicPattern (a regular expression), not both or neither');
  if (topicPattern) {
    try {
      new RegExp(topicPattern);
    } catch (err) {
      throw new ConfigError(file, 'topicPattern', `not a valid regular expression: ${(err as Error).message}`);
    }
  }

  const t = v.object(root.table, 'table', { required: true });
  const table: TableConfig = {
    name: v.string(t, 'name', { prefix: 'table', required: true, pattern: /^[A-Za-z0-9_{}-]+(\.[A-Za-z0-9_{}-]+)+$/, hint: 'namespace.table' })!,
    partitionBy: t.partitionBy === undefined ? [] : v.stringList(t, 'table.partitionBy', 'partitionBy', {})!,
    autoCreate: v.bool(t, 'autoCreate', 'table') ?? true,
    evolveSchema: v.bool(t, 'evolveSchema', 'table') ?? true,
    kafkaMetadataColumns: v.bool(t, 'kafkaMetadataColumns', 'table') ?? false,
    kafkaKeyColumn: v.oneOf(t, 'kafkaKeyColumn', ['binary', 'string'], 'table') as TableConfig['kafkaKeyColumn'],
    kafkaHeadersColumn: v.bool(t, 'kafkaHeadersColumn', 'table') ?? false,
    properties: v.stringMap(t.properties, 'table.properties'),
    maxNestingDepth: v.int(t, 'maxNestingDepth', { prefix: 'table', min: 1 }) ?? DEFAULT_SCHEMA_LIMITS.maxDepth,
    maxColumns: v.int(t, 'maxColumns', { prefix: 'table', min: 1 }) ?? DEFAULT_SCHEMA_LIMITS.maxColumns,
    writeBufferMaxBytes: v.int(t, 'writeBufferMaxBytes', { prefix: 'table', min: 1024 * 1024 }),
  };
  v.noUnknown(t, 'table', [
    'name',
    'partitionBy',
    'autoCreate',
    'evolveSchema',
    'kafkaMetadataColumns',
    'kafkaKeyColumn',
    'kafkaHeadersColumn',
    'properties',
    'maxNestingDepth',
    'maxColumns',
    'writeBufferMaxBytes',
  ]);
  if ((table.kafkaKeyColumn || table.kafkaHeadersColumn) && !table.kafkaMetadataColumns) {
    throw new ConfigError(file, 'table.kafkaMetadataColumns', 'must be true for kafkaKeyColumn or kafkaHeadersColumn');
  }
  checkPartitionBy(file, table);

  let route: RouteConfig = { by: 'topic' };
  if (root.route !== undefined) {
    const r = v.object(root.route, 'route');
    const by = v.oneOf(r, 'by', ['topic', 'field'], 'route', true);
    if (by === 'field') {
      route = { by: 'field', field: v.string(r, 'field', { prefix: 'route', required: true })!, tables: v.stringMap(r.tables, 'route.tables') };
      // explicit entries are used as they are (no {topic}/{value}): a bad one would only fail, or
      // make a table named "{value}", at the first record routed to it
      for (const [value, name] of Object.entries(route.tables)) {
        if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(name)) {
          throw new ConfigError(file, `route.tables.${value}`, `"${name}" is not valid (namespace.table; {topic} and {value} are for table.name)`);
        }
      }
      if (!table.name.includes('{value}') && Object.keys(route.tables).length === 0) {
        throw new ConfigError(file, 'route.tables', 'field routing needs route.tables or a table.name template with {value}');
      }
    }
    v.noUnknown(r, 'route', ['by', 'field', 'tables']);
  }
  if (route.by === 'topic' && table.name.includes('{value}')) throw new ConfigError(file, 'table.name', '{value} is only for route.by: field');

  const cm = root.commit === undefined ? {} : v.object(root.commit, 'commit');
  const commit: CommitConfig = {
    intervalMs: v.int(cm, 'intervalMs', { prefix: 'commit', min: 100 }) ?? 10_000,
    maxRows: v.int(cm, 'maxRows', { prefix: 'commit', min: 1 }) ?? 1_000_000,
    maxBytes: v.int(cm, 'maxBytes', { prefix: 'commit', min: 1024 }) ?? 128 * 1024 * 1024,
  };
  v.noUnknown(cm, 'commit', ['intervalMs', 'maxRows', 'maxBytes']);

  const e = root.errors === undefined ? {} : v.object(root.errors, 'errors');
  const tolerance = (v.oneOf(e, 'tolerance', ['none', 'all'], 'errors') ?? 'none') as ErrorsConfig['tolerance'];
  const errors: ErrorsConfig = {
    tolerance,
    deadLetterTopic: v.string(e, 'deadLetterTopic', { prefix: 'errors' }),
    onIncompatibleSchema: (v.oneOf(e, 'onIncompatibleSchema', ['stop', 'dead-letter'], 'errors') ?? 'stop') as ErrorsConfig['onIncompatibleSchema'],
    tombstones: (v.oneOf(e, 'tombstones', ['dead-letter', 'fail'], 'errors') ?? (tolerance === 'all' ? 'dead-letter' : 'fail')) as ErrorsConfig['tombstones'],
    outageTimeoutMs: v.int(e, 'outageTimeoutMs', { prefix: 'errors', min: 0 }) ?? 300_000,
  };
  if (errors.tolerance === 'all' && !errors.deadLetterTopic) throw new ConfigError(file, 'errors.deadLetterTopic', 'required when errors.tolerance is all (bad records must go somewhere)');
  if (errors.onIncompatibleSchema === 'dead-letter' && !errors.deadLetterTopic) throw new ConfigError(file, 'errors.deadLetterTopic', 'required when errors.onIncompatibleSchema is dead-letter');
  if (errors.tombstones === 'dead-letter' && !errors.deadLetterTopic) throw new ConfigError(file, 'errors.deadLetterTopic', 'required when errors.tombstones is dead-letter');
  v.noUnknown(e, 'errors', ['tolerance', 'deadLetterTopic', 'onIncompatibleSchema', 'tombstones', 'outageTimeoutMs']);

  const bufferMaxBytes = v.int(root, 'bufferMaxBytes', { min: 1024 * 1024 }) ?? 256 * 1024 * 1024;
  const metricsPort = v.int(root, 'metricsPort', { min: 0, max: 65535 }) ?? 9464;
  const metricsHost = v.string(root, 'metricsHost', {}) ?? process.env.FLOE_METRICS_HOST ?? '127.0.0.1';

  const workers =
    root.workers === 'auto'
      ? 'auto'
      : typeof root.workers === 'string'
        ? v.fail('workers', `must be a whole number of at least 1, or auto; got "${root.workers}"`)
        : (v.int(root, 'workers', { min: 1, max: 256 }) ?? 1);

  v.noUnknown(root, '', [
    'name',
    'kafka',
    'schemaRegistry',
    'format',
    'catalog',
    'topics',
    'topicPattern',
    'table',
    'route',
    'commit',
    'errors',
    'bufferMaxBytes',
    'metricsPort',
    'metricsHost',
    'workers',
  ]);
  return { source: file, name, kafka, schemaRegistry, format, catalog, topics, topicPattern, table, route, commit, errors, bufferMaxBytes, metricsPort, metricsHost, workers };
}

const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * `kafka.fetch`, with FETCH_DEFAULTS for absent keys. Bounds: at least 64 KiB a response and a
 * partition (below a producer's batch size a partition would move only when it comes first in a
 * response: Kafka returns an oversized batch only there); at most 1 GiB a response (it is held
 * whole in memory); the per-partition cap and minBytes within maxBytes; maxWaitMs at most 10 s (a
 * fetch in flight delays a rebalance and a stop by that long).
 */
function readFetch(v: Reader, value: unknown): FetchConfig {
  const f = v.object(value, 'kafka.fetch');
  const prefix = 'kafka.fetch';
  const maxBytes = v.int(f, 'maxBytes', { prefix, min: 64 * KiB, max: 1024 * MiB }) ?? FETCH_DEFAULTS.maxBytes;
  const perPartition = v.int(f, 'maxBytesPerPartition', { prefix, min: 64 * KiB });
  if (perPartition !== undefined && perPartition > maxBytes) {
    v.fail('kafka.fetch.maxBytesPerPartition', `must be at most kafka.fetch.maxBytes (${maxBytes}), got ${perPartition}`);
  }
  const minBytes = v.int(f, 'minBytes', { prefix, min: 1 }) ?? FETCH_DEFAULTS.minBytes;
  if (minBytes > maxBytes) v.fail('kafka.fetch.minBytes', `must be at most kafka.fetch.maxBytes (${maxBytes}), got ${minBytes}`);
  const fetch: FetchConfig = {
    maxBytes,
    // a smaller maxBytes alone also caps the default per partition
    maxBytesPerPartition: perPartition ?? Math.min(FETCH_DEFAULTS.maxBytesPerPartition, maxBytes),
    maxWaitMs: v.int(f, 'maxWaitMs', { prefix, min: 0, max: 10_000 }) ?? FETCH_DEFAULTS.maxWaitMs,
    minBytes,
  };
  v.noUnknown(f, prefix, ['maxBytes', 'maxBytesPerPartition', 'maxWaitMs', 'minBytes']);
  return fetch;
}

/** Where each URL's credentials belong instead (named when a URL carries user info). */
const REGISTRY_SECRETS = 'schemaRegistry.username and schemaRegistry.password, or schemaRegistry.token (or FLOE_SCHEMA_REGISTRY_USERNAME, _PASSWORD, _TOKEN in the environment)';
const CATALOG_SECRETS = 'catalog.token or catalog.credential (or FLOE_CATALOG_TOKEN, FLOE_CATALOG_CREDENTIAL in the environment)';
const S3_SECRETS = 'catalog.properties s3.access-key-id and s3.secret-access-key (or FLOE_S3_ACCESS_KEY_ID, FLOE_S3_SECRET_ACCESS_KEY in the environment)';

/** The `catalog:` section (connector and maintenance files alike), with the FLOE_* secret overrides. */
export function catalogConfig(value: unknown, file: string, env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  return readCatalog(new Reader(file), value, env);
}

function readCatalog(v: Reader, value: unknown, env: NodeJS.ProcessEnv): CatalogConfig {
  const c = v.object(value, 'catalog', { required: true });
  applySecretOverrides(c, 'catalog.', 'token', env);
  applySecretOverrides(c, 'catalog.', 'credential', env);
  const props = v.stringMap(c.properties, 'catalog.properties');
  applySecretOverrides(props, 'catalog.properties.', 's3.access-key-id', env);
  applySecretOverrides(props, 'catalog.properties.', 's3.secret-access-key', env);
  const catalogType = v.oneOf(c, 'type', ['rest', 'sql'], 'catalog', true) as 'rest' | 'sql';
  // a sql catalog's uri is a file path; user info counts there only after a scheme
  if (catalogType !== 'rest') v.noCredentials(c, 'uri', 'catalog.uri', CATALOG_SECRETS, false);
  v.noCredentials(c, 'warehouse', 'catalog.warehouse', S3_SECRETS, false);
  for (const k of Object.keys(props)) v.noCredentials(props, k, `catalog.properties.${k}`, `${CATALOG_SECRETS}, or ${S3_SECRETS}`, false);
  const catalog: CatalogConfig = {
    type: catalogType,
    uri: catalogType === 'rest' ? v.url(c, 'uri', 'catalog', CATALOG_SECRETS)! : v.string(c, 'uri', { prefix: 'catalog', required: true })!,
    warehouse: v.string(c, 'warehouse', { prefix: 'catalog' }),
    token: v.string(c, 'token', { prefix: 'catalog', secret: true }),
    credential: v.string(c, 'credential', { prefix: 'catalog', secret: true }),
    properties: props,
  };
  if (catalogType === 'sql' && !catalog.warehouse) v.fail('catalog.warehouse', 'required for a sql catalog (a file:// folder or an s3:// prefix)');
  v.noUnknown(c, 'catalog', ['type', 'uri', 'warehouse', 'token', 'credential', 'properties']);
  return catalog;
}

/** True for "scheme://userinfo@host...", and with `bare` for "userinfo@host..." (user info before the first /). */
function hasUserInfo(s: string, bare: boolean): boolean {
  return (bare ? /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#\s]*@/i : /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i).test(s.trim());
}

/** applySecretOverrides for a secret that may also come from `<key>File`: the variable wins over both. */
function secretOverridesFile(o: Record<string, unknown>, prefix: string, key: string, env: NodeJS.ProcessEnv): void {
  const before = o[key];
  applySecretOverrides(o, prefix, key, env);
  if (o[key] !== before) delete o[`${key}File`];
}

function applySecretOverrides(o: Record<string, unknown>, prefix: string, key: string, env: NodeJS.ProcessEnv): void {
  for (const [variable, path] of Object.entries(SECRET_ENV)) {
    if (path === prefix + key && env[variable] !== undefined && env[variable] !== '') o[key] = env[variable];
  }
}

/** Typed reads with errors that name the file and the key. */
class Reader extends ConfigReader {
  /** `secret`: a wrong value is not shown in the error (a password given as a YAML number). */
  string(o: Record<string, unknown>, k: string, opts: { prefix?: string; required?: boolean; pattern?: RegExp; hint?: string; secret?: boolean }): string | undefined {
    const key = opts.prefix ? `${opts.prefix}.${k}` : k;
    const value = o[k];
    if (value === undefined || value === null) {
      if (opts.required) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value === '') this.fail(key, `must be a non-empty string${opts.secret ? ' (quote it in YAML)' : `, got ${describe(value)}`}`);
    if (opts.pattern && !opts.pattern.test(value)) this.fail(key, `"${value}" is not valid${opts.hint ? ` (${opts.hint})` : ''}`);
    return value;
  }

  /** An http(s) URL without credentials in it (`secrets`: where they belong instead). */
  url(o: Record<string, unknown>, k: string, prefix: string, secrets: string): string | undefined {
    const s = this.string(o, k, { prefix, required: true })!;
    this.noCredentials(o, k, `${prefix}.${k}`, secrets, true);
    if (!/^https?:\/\/[^/]+/.test(s)) this.fail(`${prefix}.${k}`, `"${s}" is not an http(s) URL`);
    return s.replace(/\/+$/, '');
  }

  /**
   * A URL value with user info ("scheme://user:password@host", and with `bare` also
   * "user:password@host") is refused: it would be printed wherever the URL is. The message
   * names the key and where the credentials belong, never the value.
   */
  noCredentials(o: Record<string, unknown>, k: string, key: string, secrets: string, bare: boolean): void {
    const value = o[k];
    if (typeof value === 'string' && hasUserInfo(value, bare)) {
      this.fail(key, `credentials in a URL are refused (the URL is printed in messages and logs; the value is not shown here): give them in ${secrets}, or from a secret file through \${VAR}`);
    }
  }

  /** kafka.brokers: a list of host:port (IPv6 as [addr]:port), port 1..65535. */
  brokers(k: Record<string, unknown>): string[] {
    const list = this.stringList(k, 'kafka.brokers', 'brokers', { required: true, nonEmpty: true })!;
    list.forEach((b, i) => {
      const key = `kafka.brokers[${i}]`;
      if (b.includes('@')) this.fail(key, 'must be host:port; credentials do not belong in a broker address (the value is not shown here)');
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b)) this.fail(key, `"${b}" must be host:port, without a scheme`);
      const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(b);
      if (!m) {
        if (/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+)$/.test(b)) this.fail(key, `"${b}" has no port (host:port, e.g. ${b}:9092)`);
        this.fail(key, `"${b}" is not host:port (e.g. 127.0.0.1:9092, [::1]:9092)`);
      }
      const port = Number(m[2]);
      if (port < 1 || port > 65535) this.fail(key, `"${b}": port ${port} is not between 1 and 65535`);
    });
    return list;
  }

  oneOf(o: Record<string, unknown>, k: string, allowed: string[], prefix: string, required = false): string | undefined {
    const s = this.string(o, k, { prefix, required });
    if (s !== undefined && !allowed.includes(s)) this.fail(prefix ? `${prefix}.${k}` : k, `"${s}" is not one of ${allowed.join(', ')}`);
    return s;
  }

  int(o: Record<string, unknown>, k: string, opts: { prefix?: string; min?: number; max?: number }): number | undefined {
    const key = opts.prefix ? `${opts.prefix}.${k}` : k;
    const value = o[k];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(key, `must be a whole number, got ${describe(value)}`);
    if (opts.min !== undefined && value < opts.min) this.fail(key, `must be at least ${opts.min}, got ${value}`);
    if (opts.max !== undefined && value > opts.max) this.fail(key, `must be at most ${opts.max}, got ${value}`);
    return value;
  }

  bool(o: Record<string, unknown>, k: string, prefix: string): boolean | undefined {
    const value = o[k];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(`${prefix}.${k}`, `must be true or false, got ${describe(value)}`);
    return value;
  }

  stringList(o: Record<string, unknown>, key: string, k: string, opts: { required?: boolean; nonEmpty?: boolean }): string[] | undefined {
    const value = o[k];
    if (value === undefined || value === null) {
      if (opts.required) this.fail(key, 'is required');
      return undefined;
    }
    if (!Array.isArray(value)) this.fail(key, `must be a list, got ${describe(value)}`);
    if (opts.nonEmpty && value.length === 0) this.fail(key, 'must not be empty');
    value.forEach((x, i) => {
      if (typeof x !== 'string' || x === '') this.fail(`${key}[${i}]`, `must be a non-empty string, got ${describe(x)}`);
    });
    return value as string[];
  }
}
