// What a connector file is checked for without any server: partition expressions (with
// Iceberg's parser and spec builder), broker addresses, URLs with credentials in them (refused,
// the password never in the message), secrets of the wrong type (not shown either). Every error
// names the file and the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-reader.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';

const base = `
name: orders
kafka: { brokers: ["127.0.0.1:9092"] }
schemaRegistry: { url: http://127.0.0.1:8081/apis/ccompat/v7 }
format: avro
catalog: { type: rest, uri: http://127.0.0.1:8181, warehouse: s3://warehouse/ }
topics: [orders]
table:
  name: shop.orders
  partitionBy: PARTITION_BY
  kafkaMetadataColumns: true
`;

const withPartitionBy = (exprs: string[], yaml = base) => yaml.replace('PARTITION_BY', JSON.stringify(exprs));
const ok = withPartitionBy([]);

function error(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConnectorConfig(yaml, 'connectors/x.yaml', env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, /^connectors\/x\.yaml: /);
    return e;
  }
  assert.fail('expected a ConfigError');
}

function fails(yaml: string, key: string, re: RegExp, env: NodeJS.ProcessEnv = {}): ConfigError {
  const e = error(yaml, env);
  assert.equal(e.key, key, e.message);
  assert.match(e.message, re);
  return e;
}

test('partitionBy: an unknown transform, or a width or bucket count below 1, names the expression', () => {
  fails(withPartitionBy(['day(order_ts)', 'weekly(ts)']), 'table.partitionBy[1]', /"weekly\(ts\)": unknown partition transform "weekly"/);
  fails(withPartitionBy(['bucket(0, id)']), 'table.partitionBy[0]', /bucket\[0\].*number of buckets must be between 1 and/);
  fails(withPartitionBy(['truncate(0, s)']), 'table.partitionBy[0]', /truncate\[0\].*width must be between 1 and/);
  fails(withPartitionBy(['bucket(id)']), 'table.partitionBy[0]', /expected bucket\(N, column\)/);
  fails(withPartitionBy(['day(a, b)']), 'table.partitionBy[0]', /day takes exactly one column/);
  fails(withPartitionBy(['']), 'table.partitionBy[0]', /must be a non-empty string/);
});

test('partitionBy: the expressions together must make a spec (names, redundancy, one type per column)', () => {
  fails(withPartitionBy(['day(ts)', 'hour(ts)']), 'table.partitionBy[1]', /redundant with "day\(ts\)"/);
  fails(withPartitionBy(['bucket(4, id) as p', 'truncate(2, name) as p']), 'table.partitionBy[1]', /partition name "p" is used more than once/);
  fails(withPartitionBy(['day(ts)', 'truncate(4, ts)']), 'table.partitionBy[1]', /no column type takes a time transform and truncate/);
  fails(withPartitionBy(['customer', 'customer.id']), 'table.partitionBy[1]', /column customer is partitioned and so is customer\.id/);
  fails(withPartitionBy(['day(ts)', 'ts_day']), 'table.partitionBy[0]', /partition name "ts_day" is already a column/);
});

test('partitionBy: the Kafka metadata columns must be configured and take the transform', () => {
  const noMeta = base.replace('kafkaMetadataColumns: true', 'kafkaMetadataColumns: false');
  fails(withPartitionBy(['day(_kafka_timestamp)'], noMeta), 'table.partitionBy[0]', /_kafka_timestamp is a Kafka metadata column, added only with table\.kafkaMetadataColumns: true/);
  fails(withPartitionBy(['bucket(8, _kafka_key)']), 'table.partitionBy[0]', /added only with table\.kafkaKeyColumn/);
  fails(withPartitionBy(['day(_kafka_offset)']), 'table.partitionBy[0]', /transform day cannot be applied to column _kafka_offset of type long/);
  fails(withPartitionBy(['truncate(4, _kafka_timestamp)']), 'table.partitionBy[0]', /truncate\[4\] cannot be applied to column _kafka_timestamp of type timestamptz/);
});

test('partitionBy: what could be right for some schema passes', () => {
  const good = [
    'day(order_ts)',
    'bucket(16, customer_id)',
    'truncate(4, name)',
    'customer.region',
    'bucket[8](customer.id)',
    'hour(_kafka_timestamp) as h',
    '_kafka_partition',
    'void(x)',
    'years(created)',
  ];
  assert.deepEqual(parseConnectorConfig(withPartitionBy(good), 'x.yaml', {}).table.partitionBy, good);
  const withKey = base.replace('kafkaMetadataColumns: true', 'kafkaMetadataColumns: true\n  kafkaKeyColumn: string');
  assert.doesNotThrow(() => parseConnectorConfig(withPartitionBy(['truncate(2, _kafka_key)', 'day(ts)', 'bucket(4, ts)'], withKey), 'x.yaml', {}));
});

test('kafka.brokers: host:port with a port 1..65535, each entry named by its index', () => {
  const brokers = (list: string) => ok.replace('brokers: ["127.0.0.1:9092"]', `brokers: ${list}`);
  fails(brokers('[localhost]'), 'kafka.brokers[0]', /"localhost" has no port \(host:port, e\.g\. localhost:9092\)/);
  fails(brokers('["a:9092", "b:0"]'), 'kafka.brokers[1]', /port 0 is not between 1 and 65535/);
  fails(brokers('["a:65536"]'), 'kafka.brokers[0]', /port 65536 is not between 1 and 65535/);
  fails(brokers('["PLAINTEXT://a:9092"]'), 'kafka.brokers[0]', /without a scheme/);
  fails(brokers('["a:b:9092"]'), 'kafka.brokers[0]', /is not host:port/);
  fails(brokers('["a :9092"]'), 'kafka.brokers[0]', /is not host:port/);
  assert.deepEqual(parseConnectorConfig(brokers('["localhost:1", "[::1]:65535", "kafka-0.kafka.svc:9092"]'), 'x.yaml', {}).kafka.brokers, ['localhost:1', '[::1]:65535', 'kafka-0.kafka.svc:9092']);
  const e = fails(brokers('["user:hunter2@a:9092"]'), 'kafka.brokers[0]', /credentials do not belong in a broker address/);
  assert.doesNotMatch(e.message, /hunter2/);
});

test('URLs with credentials are refused, naming the key and where they belong, never the password', () => {
  const cases: [string, string, RegExp][] = [
    [ok.replace('url: http://127.0.0.1:8081', 'url: http://floe:hunter2@127.0.0.1:8081'), 'schemaRegistry.url', /schemaRegistry\.username and schemaRegistry\.password, or schemaRegistry\.token/],
    [ok.replace('url: http://127.0.0.1:8081/apis/ccompat/v7', 'url: "floe:hunter2@127.0.0.1:8081"'), 'schemaRegistry.url', /FLOE_SCHEMA_REGISTRY_USERNAME/],
    [ok.replace('uri: http://127.0.0.1:8181', 'uri: https://floe:hunter2@catalog.example.com/api'), 'catalog.uri', /catalog\.token or catalog\.credential/],
    [ok.replace('warehouse: s3://warehouse/', 'warehouse: "s3://AKIA:hunter2@warehouse/"'), 'catalog.warehouse', /s3\.secret-access-key/],
    [
      ok.replace('warehouse: s3://warehouse/', 'warehouse: s3://warehouse/, properties: { s3.endpoint: "http://k:hunter2@127.0.0.1:9000" }'),
      'catalog.properties.s3.endpoint',
      /FLOE_S3_SECRET_ACCESS_KEY/,
    ],
  ];
  for (const [yaml, key, where] of cases) {
    const e = fails(yaml, key, /credentials in a URL are refused/);
    assert.match(e.message, where);
    assert.doesNotMatch(e.message, /hunter2/, e.message);
  }
  // from the environment too: ${VAR} is substituted before the check
  const e = fails(ok.replace('url: http://127.0.0.1:8081/apis/ccompat/v7', 'url: "${REG}"'), 'schemaRegistry.url', /refused/, { REG: 'http://u:hunter2@r:8081' });
  assert.doesNotMatch(e.message, /hunter2/);
  // an "@" elsewhere is no user info
  assert.equal(parseConnectorConfig(ok.replace('uri: http://127.0.0.1:8181', 'uri: http://127.0.0.1:8181/v1/me@corp'), 'x.yaml', {}).catalog.uri, 'http://127.0.0.1:8181/v1/me@corp');
  const sql = ok.replace('type: rest, uri: http://127.0.0.1:8181, warehouse: s3://warehouse/', 'type: sql, uri: data/cat@1.db, warehouse: wh, properties: { owner: a@b.c }');
  assert.equal(parseConnectorConfig(sql, 'x.yaml', {}).catalog.uri, 'data/cat@1.db');
});

test('a secret of the wrong type is not shown in the error', () => {
  const e = fails(
    ok.replace('url: http://127.0.0.1:8081/apis/ccompat/v7', 'url: http://127.0.0.1:8081/apis/ccompat/v7, username: floe, password: 7654321'),
    'schemaRegistry.password',
    /must be a non-empty string \(quote it in YAML\)/,
  );
  assert.doesNotMatch(e.message, /7654321/);
  const t = fails(ok.replace('warehouse: s3://warehouse/', 'warehouse: s3://warehouse/, token: 7654321'), 'catalog.token', /quote it/);
  assert.doesNotMatch(t.message, /7654321/);
});
