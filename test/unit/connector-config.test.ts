import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-reader.ts';
import { kafkaSourceOptions } from '../../src/cli/kafka-options.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { FETCH_DEFAULTS } from '../../src/kafka/types.ts';

const base = `
name: orders
kafka: { brokers: ["127.0.0.1:9092"], groupId: floe-orders, startFrom: earliest }
schemaRegistry: { url: http://127.0.0.1:8081/apis/ccompat/v7 }
format: avro
catalog: { type: rest, uri: http://127.0.0.1:8181, warehouse: s3://warehouse/ }
topics: [orders]
table:
  name: shop.orders
  partitionBy: ["day(order_ts)", "bucket(16, customer_id)"]
  kafkaMetadataColumns: true
commit: { intervalMs: 10000, maxRows: 1000000, maxBytes: 134217728 }
errors: { tolerance: all, deadLetterTopic: orders.dlq }
`;

test('the design document example parses with its values and sane defaults', () => {
  const c = parseConnectorConfig(base, 'connectors/orders.yaml', {});
  assert.equal(c.name, 'orders');
  assert.deepEqual(c.kafka, {
    brokers: ['127.0.0.1:9092'],
    groupId: 'floe-orders',
    clientId: 'floe-orders',
    startFrom: 'earliest',
    sessionTimeoutMs: 30000,
    topicRefreshMs: 30000,
    fetch: { maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 1024 * 1024, maxWaitMs: 500, minBytes: 1 },
  });
  assert.equal(c.schemaRegistry!.url, 'http://127.0.0.1:8081/apis/ccompat/v7');
  assert.equal(c.catalog.type, 'rest');
  assert.deepEqual(c.table.partitionBy, ['day(order_ts)', 'bucket(16, customer_id)']);
  assert.equal(c.table.autoCreate, true);
  assert.equal(c.table.evolveSchema, true);
  assert.equal(c.table.kafkaMetadataColumns, true);
  assert.deepEqual(c.route, { by: 'topic' });
  assert.deepEqual(c.errors, { tolerance: 'all', deadLetterTopic: 'orders.dlq', onIncompatibleSchema: 'stop', tombstones: 'dead-letter', outageTimeoutMs: 300_000 });
  assert.equal(c.commit.intervalMs, 10000);
});

function fails(yaml: string, re: RegExp, env: NodeJS.ProcessEnv = {}) {
  assert.throws(
    () => parseConnectorConfig(yaml, 'connectors/x.yaml', env),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /^connectors\/x\.yaml: /);
      assert.match(e.message, re);
      return true;
    },
  );
}

test('unknown keys are errors that name the file and the key, with a suggestion', () => {
  fails(base.replace('table:', 'tabel: {}\ntable:'), /tabel: unknown key \(did you mean "table"\?\)/);
  fails(base.replace('startFrom: earliest', 'startFrom: earliest, batchSize: 5'), /kafka\.batchSize: unknown key/);
  fails(base.replace('kafkaMetadataColumns: true', 'kafkaMetadataColumns: true\n  partitonBy: []'), /table\.partitonBy: unknown key \(did you mean "partitionBy"\?\)/);
});

test('wrong types and values name the key', () => {
  fails(base.replace('intervalMs: 10000', 'intervalMs: soon'), /commit\.intervalMs: must be a whole number, got "soon"/);
  fails(base.replace('startFrom: earliest', 'startFrom: middle'), /kafka\.startFrom: "middle" is not one of earliest, latest/);
  fails(base.replace('brokers: ["127.0.0.1:9092"]', 'brokers: []'), /kafka\.brokers: must not be empty/);
  fails(base.replace('name: shop.orders', 'name: orders'), /table\.name: "orders" is not valid \(namespace\.table\)/);
  fails(base.replace('type: rest', 'type: hive'), /catalog\.type: "hive" is not one of rest, sql/);
  fails(base.replace('deadLetterTopic: orders.dlq', 'deadLetterTopic: ""').replace('tolerance: all, ', 'tolerance: all, '), /errors\.deadLetterTopic/);
  fails(base.replace('topics: [orders]', 'topics: [orders]\ntopicPattern: "orders.*"'), /topics: give either topics/);
  fails(base.replace('format: avro', 'format: avro\nbufferMaxBytes: 10'), /bufferMaxBytes: must be at least/);
  fails('name: [', /not valid YAML/);
  fails(base.replace('tolerance: all, deadLetterTopic: orders.dlq', 'tolerance: none, tombstones: dead-letter'), /errors\.deadLetterTopic: required when errors\.tombstones is dead-letter/);
  fails(base.replace('tolerance: all,', 'tolerance: all, tombstones: skip,'), /errors\.tombstones: "skip" is not one of dead-letter, fail/);
  assert.equal(parseConnectorConfig(base.replace('tolerance: all,', 'tolerance: none,'), 'x.yaml', {}).errors.tombstones, 'fail');
  assert.equal(parseConnectorConfig(base.replace('tolerance: all,', 'tolerance: none, tombstones: dead-letter,'), 'x.yaml', {}).errors.tombstones, 'dead-letter');
  fails(
    base.replace('startFrom: earliest', 'startFrom: earliest, topicRefreshMs: 100').replace('topics: [orders]', 'topicPattern: "orders.*"'),
    /kafka\.topicRefreshMs: must be at least 500, got 100/,
  );
  assert.equal(
    parseConnectorConfig(base.replace('startFrom: earliest', 'startFrom: earliest, topicRefreshMs: 2000').replace('topics: [orders]', 'topicPattern: "orders.*"'), 'x.yaml', {}).kafka.topicRefreshMs,
    2000,
  );
  fails(base.replace(/schemaRegistry:.*\n/, ''), /schemaRegistry: format avro needs a schemaRegistry\.url/);
});

test('${VAR} is substituted and FLOE_* variables override secrets', () => {
  const y = base
    .replace('uri: http://127.0.0.1:8181', 'uri: "${CAT_URI}", token: from-file')
    .replace('warehouse: s3://warehouse/', 'warehouse: s3://warehouse/, properties: { s3.endpoint: "http://127.0.0.1:9000", s3.secret-access-key: nope }');
  const c = parseConnectorConfig(y, 'c.yaml', { CAT_URI: 'http://127.0.0.1:9999', FLOE_CATALOG_TOKEN: 'from-env', FLOE_S3_SECRET_ACCESS_KEY: 'secret' });
  assert.equal(c.catalog.uri, 'http://127.0.0.1:9999');
  assert.equal(c.catalog.token, 'from-env');
  assert.equal(c.catalog.properties['s3.secret-access-key'], 'secret');
  assert.equal(c.catalog.properties['s3.endpoint'], 'http://127.0.0.1:9000');
  fails(y, /catalog\.uri: environment variable CAT_URI is not set/);
});

test('field routing needs a value map or a {value} template', () => {
  const y = base.replace('name: shop.orders', 'name: shop.orders_{value}') + 'route: { by: field, field: kind }\n';
  assert.deepEqual(parseConnectorConfig(y, 'c.yaml', {}).route, { by: 'field', field: 'kind', tables: {} });
  fails(base + 'route: { by: field, field: kind }\n', /route\.tables: field routing needs/);
  fails(base.replace('name: shop.orders', 'name: shop.orders_{value}'), /table\.name: \{value\} is only for route\.by: field/);
});

test('field routing: each route.tables entry must be a plain namespace.table', () => {
  const y = (tables: string) => base.replace('name: shop.orders', 'name: shop.orders_{value}') + `route: { by: field, field: kind, tables: ${tables} }\n`;
  assert.deepEqual(parseConnectorConfig(y('{ VIP: shop.vip, "a b": raw.x-y }'), 'c.yaml', {}).route, { by: 'field', field: 'kind', tables: { VIP: 'shop.vip', 'a b': 'raw.x-y' } });
  fails(y('{ VIP: "no dots" }'), /route\.tables\.VIP: "no dots" is not valid \(namespace\.table/);
  fails(y('{ VIP: vip }'), /route\.tables\.VIP: "vip" is not valid/);
  fails(y('{ VIP: "shop.{value}_x" }'), /route\.tables\.VIP: "shop\.\{value\}_x" is not valid/);
});

test('kafka.reconnectTimeoutMs: absent by default (the source decides), an integer >= 0 when given', () => {
  const withBound = base.replace('startFrom: earliest }', 'startFrom: earliest, reconnectTimeoutMs: 60000 }');
  assert.equal(parseConnectorConfig(withBound, 'connectors/orders.yaml', {}).kafka.reconnectTimeoutMs, 60000);
  assert.equal(parseConnectorConfig(base, 'connectors/orders.yaml', {}).kafka.reconnectTimeoutMs, undefined);
  fails(base.replace('startFrom: earliest }', 'startFrom: earliest, reconnectTimeoutMs: -1 }'), /kafka\.reconnectTimeoutMs/);
});

test('kafka.fetch: the fetch sizes, defaults for absent keys, bounds that name the key', () => {
  const fetchOf = (f: string) => parseConnectorConfig(base.replace('startFrom: earliest }', `startFrom: earliest, fetch: ${f} }`), 'connectors/orders.yaml', {}).kafka.fetch;
  const MiB = 1024 * 1024;
  assert.deepEqual(fetchOf('{ maxBytes: 67108864, maxBytesPerPartition: 4194304, maxWaitMs: 100, minBytes: 1024 }'), {
    maxBytes: 64 * MiB,
    maxBytesPerPartition: 4 * MiB,
    maxWaitMs: 100,
    minBytes: 1024,
  });
  assert.deepEqual(fetchOf('{}'), { maxBytes: 16 * MiB, maxBytesPerPartition: MiB, maxWaitMs: 500, minBytes: 1 });
  // a maxBytes below the default per-partition cap caps it too; a given one above maxBytes is an error
  assert.deepEqual(fetchOf('{ maxBytes: 524288 }'), { maxBytes: 512 * 1024, maxBytesPerPartition: 512 * 1024, maxWaitMs: 500, minBytes: 1 });
  assert.equal(fetchOf('{ maxBytesPerPartition: 16777216 }').maxBytesPerPartition, 16 * MiB);
  const bad = (f: string, re: RegExp) => fails(base.replace('startFrom: earliest }', `startFrom: earliest, fetch: ${f} }`), re);
  bad('{ maxBytesPerPartition: 33554432 }', /kafka\.fetch\.maxBytesPerPartition: must be at most kafka\.fetch\.maxBytes \(16777216\), got 33554432/);
  bad('{ maxBytes: 4194304, maxBytesPerPartition: 8388608 }', /kafka\.fetch\.maxBytesPerPartition: must be at most kafka\.fetch\.maxBytes \(4194304\)/);
  bad('{ maxBytes: 1000 }', /kafka\.fetch\.maxBytes: must be at least 65536, got 1000/);
  bad('{ maxBytes: 2147483648 }', /kafka\.fetch\.maxBytes: must be at most 1073741824/);
  bad('{ maxBytesPerPartition: 1024 }', /kafka\.fetch\.maxBytesPerPartition: must be at least 65536/);
  bad('{ maxWaitMs: -1 }', /kafka\.fetch\.maxWaitMs: must be at least 0/);
  bad('{ maxWaitMs: 60000 }', /kafka\.fetch\.maxWaitMs: must be at most 10000/);
  bad('{ minBytes: 0 }', /kafka\.fetch\.minBytes: must be at least 1/);
  bad('{ maxBytes: 1048576, minBytes: 2097152 }', /kafka\.fetch\.minBytes: must be at most kafka\.fetch\.maxBytes \(1048576\)/);
  bad('{ maxBytes: 16MiB }', /kafka\.fetch\.maxBytes: must be a whole number, got "16MiB"/);
  bad('{ maxbytes: 1048576 }', /kafka\.fetch\.maxbytes: unknown key \(did you mean "maxBytes"\?\)/);
  bad('64', /kafka\.fetch: must be a mapping/);
});

test('kafka.fetch reaches the source: kafkaSourceOptions passes it with the group settings', () => {
  const c = parseConnectorConfig(
    base.replace('startFrom: earliest }', 'startFrom: earliest, sessionTimeoutMs: 10000, fetch: { maxBytes: 4194304, maxBytesPerPartition: 262144, maxWaitMs: 200, minBytes: 10 } }'),
    'connectors/orders.yaml',
    {},
  );
  const o = kafkaSourceOptions(c);
  assert.deepEqual(
    { maxBytes: o.maxBytes, maxBytesPerPartition: o.maxBytesPerPartition, maxWaitMs: o.maxWaitMs, minBytes: o.minBytes },
    { maxBytes: 4194304, maxBytesPerPartition: 262144, maxWaitMs: 200, minBytes: 10 },
  );
  assert.deepEqual([o.groupId, o.sessionTimeoutMs, o.topicRefreshMs, o.brokers, o.clientId, o.topics], ['floe-orders', 10000, 30000, ['127.0.0.1:9092'], 'floe-orders', ['orders']]);
  // without the section: the source's defaults, spelled out
  const d = kafkaSourceOptions(parseConnectorConfig(base, 'connectors/orders.yaml', {}));
  assert.deepEqual([d.maxBytes, d.maxBytesPerPartition, d.maxWaitMs, d.minBytes], [FETCH_DEFAULTS.maxBytes, FETCH_DEFAULTS.maxBytesPerPartition, FETCH_DEFAULTS.maxWaitMs, FETCH_DEFAULTS.minBytes]);
});

test("table.maxNestingDepth and table.maxColumns: the schema rules' limits, 32 and 2000 by default; errors.outageTimeoutMs 5 min", () => {
  const c = parseConnectorConfig(base, 'connectors/orders.yaml', {});
  assert.deepEqual([c.table.maxNestingDepth, c.table.maxColumns, c.errors.outageTimeoutMs], [32, 2000, 300_000]);
  const set = parseConnectorConfig(
    base
      .replace('  kafkaMetadataColumns: true', '  kafkaMetadataColumns: true\n  maxNestingDepth: 4\n  maxColumns: 50')
      .replace('deadLetterTopic: orders.dlq }', 'deadLetterTopic: orders.dlq, outageTimeoutMs: 60000 }'),
    'connectors/orders.yaml',
    {},
  );
  assert.deepEqual([set.table.maxNestingDepth, set.table.maxColumns, set.errors.outageTimeoutMs], [4, 50, 60_000]);
  fails(base.replace('  kafkaMetadataColumns: true', '  kafkaMetadataColumns: true\n  maxNestingDepth: 0'), /table\.maxNestingDepth/);
  fails(base.replace('deadLetterTopic: orders.dlq }', 'deadLetterTopic: orders.dlq, outageTimeoutMs: -5 }'), /errors\.outageTimeoutMs/);
});
