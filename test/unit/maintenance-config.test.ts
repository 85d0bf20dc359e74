// Maintenance files (src/config/maintenance-config.ts): defaults, steps on and off, names and
// patterns, and errors that name the file and the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-reader.ts';
import { DEFAULT_EVERY_MS, DEFAULT_MAINTENANCE_NICE, loadMaintenanceConfig, parseDuration, parseMaintenanceConfig } from '../../src/config/maintenance-config.ts';

const catalog = 'catalog: { type: sql, uri: wh/catalog.db, warehouse: wh }\n';
const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseMaintenanceConfig(text, 'm.yaml', env);
const fails = (text: string, key: string, message: RegExp, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(
    () => parse(text, env),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.file, 'm.yaml');
      assert.equal(e.key, key, e.message);
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(`m.yaml: ${key ? `${key}: ` : ''}`), e.message);
      return true;
    },
  );

test('a valid file: names and patterns, durations, steps with settings, off, or defaults', () => {
  const c = parse(`${catalog}metricsPort: 0
tables:
  - name: shop.orders
    every: 5m
    compact: { targetFileSize: 134217728, commitGroups: 20 }
    expire: { maxSnapshotAgeMs: 3600000, minSnapshotsToKeep: 3 }
    orphans: { olderThanMs: 7200000 }
  - pattern: "raw\\\\..*"
    namespace: raw
    every: 30s
    compact: false
    orphans: false
  - pattern: "x.*"
`);
  assert.equal(c.metricsPort, 0);
  assert.equal(c.metricsHost, '127.0.0.1');
  assert.deepEqual(c.catalog, { type: 'sql', uri: 'wh/catalog.db', warehouse: 'wh', token: undefined, credential: undefined, properties: {} });
  const [a, b, d] = c.tables;
  assert.equal(a.name, 'shop.orders');
  assert.equal(a.everyMs, 300_000);
  assert.deepEqual(a.compact, { targetBytes: 134217728, commitGroups: 20 });
  assert.deepEqual(a.expire, { maxSnapshotAgeMs: 3600000, minSnapshotsToKeep: 3 });
  assert.deepEqual(a.orphans, { olderThanMs: 7200000 });
  assert.equal(b.pattern, 'raw\\..*');
  assert.deepEqual(b.namespace, ['raw']);
  assert.equal(b.everyMs, 30_000);
  assert.equal(b.compact, undefined);
  assert.deepEqual(b.expire, {});
  assert.equal(b.orphans, undefined);
  assert.ok(b.pattern !== undefined && b.regex.test('raw.events') && !b.regex.test('rawx.events') && !b.regex.test('other.raw.events'), 'anchored on the whole name');
  assert.equal(d.everyMs, DEFAULT_EVERY_MS);
  assert.deepEqual([d.compact, d.expire, d.orphans], [{}, {}, {}], 'every step on by default');
  assert.equal(parse(`${catalog}tables: [{ name: a.b }]`).metricsPort, 9465);
  assert.equal(parse(`${catalog}metricsPort: auto\ntables: [{ name: a.b }]`).metricsPort, 'auto');
});

test('${VAR} is replaced from the environment; FLOE_* override the catalog secrets', () => {
  const c = parse('catalog: { type: rest, uri: "${REST}/", properties: { s3.endpoint: "http://s3" } }\ntables: [{ name: "${NS}.t" }]', {
    REST: 'http://rest:8181',
    NS: 'shop',
    FLOE_CATALOG_TOKEN: 'tok',
    FLOE_S3_SECRET_ACCESS_KEY: 'secret',
  });
  assert.equal(c.catalog.uri, 'http://rest:8181');
  assert.equal(c.catalog.token, 'tok');
  assert.deepEqual(c.catalog.properties, { 's3.endpoint': 'http://s3', 's3.secret-access-key': 'secret' });
  assert.equal(c.tables[0].name, 'shop.t');
  fails(`${catalog}tables: [{ name: "\${NS}.t" }]`, 'tables[0].name', /environment variable NS is not set/);
});

test('unknown keys are errors naming the key, with the nearest known one', () => {
  fails(`${catalog}tables: [{ name: a.b, compact: { targetFilesize: 1024 } }]`, 'tables[0].compact.targetFilesize', /unknown key \(did you mean "targetFileSize"\?\)/);
  fails(`${catalog}tables: [{ name: a.b, evry: 5m }]`, 'tables[0].evry', /unknown key \(did you mean "every"\?\)/);
  fails(`${catalog}tables: [{ name: a.b }]\nmetricPort: 1`, 'metricPort', /did you mean "metricsPort"/);
  fails('catalog: { type: sql, uri: x, warehouse: y, warehose: z }\ntables: [{ name: a.b }]', 'catalog.warehose', /unknown key/);
  fails(`${catalog}tables: [{ name: a.b, namespace: a }]`, 'tables[0].namespace', /only applies with pattern/);
});

test('bad durations and values are errors naming the key', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('5 minutes'), undefined);
  fails(`${catalog}tables: [{ name: a.b, every: 5 }]`, 'tables[0].every', /must be a duration such as "30s", "5m", "1h" .*got number 5/);
  fails(`${catalog}tables: [{ name: a.b, every: 5x }]`, 'tables[0].every', /must be a duration/);
  fails(`${catalog}tables: [{ name: a.b, every: 100ms }]`, 'tables[0].every', /at least 1s/);
  fails(`${catalog}tables: [{ name: a.b, orphans: { olderThanMs: 60000 } }]`, 'tables[0].orphans.olderThanMs', /at least 3600000 \(1 h/);
  fails(`${catalog}tables: [{ name: a.b, compact: yes please }]`, 'tables[0].compact', /must be false \(off\), true or a mapping/);
  fails(`${catalog}tables: [{ name: a.b, expire: { minSnapshotsToKeep: 0 } }]`, 'tables[0].expire.minSnapshotsToKeep', /at least 1/);
  fails(`${catalog}tables: [{ name: a.b, pattern: "a.*" }]`, 'tables[0]', /either name .* or pattern/);
  fails(`${catalog}tables: [{ every: 5m }]`, 'tables[0]', /either name/);
  fails(`${catalog}tables: [{ pattern: "a.(" }]`, 'tables[0].pattern', /not a valid regular expression/);
  fails(`${catalog}tables: [{ name: nodot }]`, 'tables[0].name', /namespace\.table/);
  fails(`${catalog}tables: [{ name: a.b }, { name: a.b }]`, 'tables[1].name', /already listed at tables\[0\]/);
  fails(`${catalog}tables: []`, 'tables', /must not be empty/);
  fails(catalog, 'tables', /is required/);
  fails(`${catalog}metricsPort: 70000\ntables: [{ name: a.b }]`, 'metricsPort', /0 to 65535.*or auto/);
  fails(`${catalog}nice: 20\ntables: [{ name: a.b }]`, 'nice', /at most 19/);
  fails(`${catalog}nice: -1\ntables: [{ name: a.b }]`, 'nice', /at least 0/);
  fails(`${catalog}nice: low\ntables: [{ name: a.b }]`, 'nice', /whole number/);
  fails('tables: [{ name: a.b }]', 'catalog', /is required/);
  fails('catalog: { type: sql, uri: x }\ntables: [{ name: a.b }]', 'catalog.warehouse', /required for a sql catalog/);
  fails('catalog: { type: rest, uri: rest:8181 }\ntables: [{ name: a.b }]', 'catalog.uri', /not an http\(s\) URL/);
  fails('tables: [a: b', '', /not valid YAML/);
  fails(`${catalog}tables: [{ name: a.b, compact: { commitGroups: 0 } }]`, 'tables[0].compact.commitGroups', /./);
  fails('name: x\nkafka: { brokers: [b] }\n' + catalog, '', /a connector file, not a maintenance file/);
});

test('connectors/maintenance.yaml is a valid maintenance file', () => {
  const c = loadMaintenanceConfig(path.join(import.meta.dirname, '../../connectors/maintenance.yaml'), {});
  assert.equal(c.catalog.type, 'sql');
  assert.ok(c.tables.length >= 2);
  assert.ok(c.tables.some((t) => t.name !== undefined) && c.tables.some((t) => t.pattern !== undefined));
});

test("the worker's nice value: 10 unless the file says, 0 for normal priority", () => {
  assert.equal(DEFAULT_MAINTENANCE_NICE, 10);
  assert.equal(parse(`${catalog}tables: [{ name: a.b }]`).nice, 10);
  assert.equal(parse(`${catalog}nice: 0\ntables: [{ name: a.b }]`).nice, 0);
  assert.equal(parse(`${catalog}nice: 19\ntables: [{ name: a.b }]`).nice, 19);
});
