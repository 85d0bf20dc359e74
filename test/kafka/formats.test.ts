// Registry formats end to end on the real broker, the Apicurio registry (Confluent API), a real
// catalog and store: Protobuf (a nested message that is not the first of its file, so the
// wire format carries a real message-index path) into the REST catalog on S3, judged by
// PyIceberg; JSON Schema into the embedded SQL catalog, judged by DuckDB. In both, producers
// move to a new registry version that adds fields while the connector runs (old producers
// keep sending the old version), and every value read back is compared with what was produced.
// Also Protobuf schemas with imports: a file registered as a reference, and the known types
// the Java serializer registers without references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { brokers, javaSerializerFrame, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { CanonicalValue, ReaderCatalog, Row } from '../helpers/readers.ts';

const kafka = kafkaClients();

const BASE_MS = Date.UTC(2026, 2, 1, 12, 0, 0);

/** Microseconds since the epoch (positive) as the readers print a timestamptz. */
function isoMicros(micros: bigint): string {
  const ms = micros / 1000n;
  const s = new Date(Number(ms)).toISOString(); // ...T..:..:..mmmZ
  return `${s.slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, '0')}+00:00`;
}

/** A double as Python's repr prints it (how the readers print doubles), for the values used here. */
function pythonRepr(x: number): string {
  if (Math.abs(x) >= 1e16) return x.toExponential();
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** Map entries in a canonical order (readers print maps as [[k, v], ...] in their own order). */
function sortMaps(v: CanonicalValue): CanonicalValue {
  if (Array.isArray(v)) {
    const items = v.map(sortMaps);
    const isMap = items.length > 0 && items.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string');
    return isMap ? items.sort((a, b) => String((a as CanonicalValue[])[0]).localeCompare(String((b as CanonicalValue[])[0]))) : items;
  }
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortMaps(x)]));
  return v;
}

/** Compares read rows with expected rows keyed by (partition, offset), value by value. */
function assertRowsEqual(read: Row[], expected: Map<string, Row>, what: string): void {
  const seen = new Set<string>();
  for (const r of read) {
    const k = `${r._kafka_partition}:${r._kafka_offset}`;
    assert.ok(!seen.has(k), `${what}: (partition, offset) ${k} read twice`);
    seen.add(k);
    const want = expected.get(k);
    assert.ok(want, `${what}: row ${k} was never produced`);
    assert.deepEqual(sortMaps(r), sortMaps(want), `${what}: row ${k}`);
  }
  assert.equal(seen.size, expected.size, `${what}: every produced record is a row`);
}

/** An embedded SQL catalog in a fresh folder: its connector-file value and how the readers open it. */
function sqlCatalog(prefix: string): { yaml: string; reader: ReaderCatalog } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const uri = path.join(dir, 'catalog.db');
  const warehouse = pathToFileURL(path.join(dir, 'wh')).href;
  return { yaml: `{ type: sql, uri: ${uri}, warehouse: ${warehouse} }`, reader: { type: 'sql', uri: `sqlite:///${uri}`, warehouse } };
}

/** The connector every test here runs: one topic into one table with the Kafka metadata columns, through the registry, stopping on any bad record. */
function connectorConfig(o: { topic: string; format: 'protobuf' | 'json-schema'; catalog: string; table: string; maxRows: number; file: string }): ConnectorConfig {
  return parseConnectorConfig(
    `
name: ${o.topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${o.topic}-g, sessionTimeoutMs: 10000 }
schemaRegistry: { url: "${stackEnv().registryUrl}" }
format: ${o.format}
catalog: ${o.catalog}
topics: [${o.topic}]
table: { name: ${o.table}, kafkaMetadataColumns: true }
commit: { intervalMs: 500, maxRows: ${o.maxRows} }
errors: { tolerance: none }
metricsPort: 0
`,
    o.file,
    {},
  );
}

/** Runs the connector while `during` produces and waits (given the connector's failure and its catalog), then stops it. */
async function withConnector(cfg: ConnectorConfig, during: (failed: Promise<Error>, catalog: Catalog) => Promise<void>): Promise<void> {
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await during(running.failed, catalog);
  } finally {
    await running.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Protobuf

const PROTO_V1 = `syntax = "proto3";
package floe.e2e;

import "google/protobuf/timestamp.proto";

message Heartbeat {
  string host = 1;
}

message Shop {
  enum Status {
    NEW = 0;
    PAID = 1;
    SHIPPED = 2;
  }
  message Address {
    string city = 1;
  }
  message Order {
    message Line {
      string sku = 1;
      int32 qty = 2;
    }
    int64 id = 1;
    string customer = 2;
    Status status = 3;
    Line first_line = 4;
    repeated Line lines = 5;
    google.protobuf.Timestamp ts = 6;
    optional string note = 7;
    map<string, int64> counters = 8;
    double price = 9;
  }
  string name = 1;
}
`;

// v2: a new top-level message in front (the Order's path moves from [1, 1] to [2, 1]), a new
// optional field on Order and a new field on the nested Line (inside a struct and a list).
const PROTO_V2 = PROTO_V1.replace('message Shop {', 'message Ping {\n  int32 n = 1;\n}\n\nmessage Shop {')
  .replace('      int32 qty = 2;\n', '      int32 qty = 2;\n      string color = 3;\n')
  .replace('    double price = 9;\n', '    double price = 9;\n    optional string coupon = 10;\n');

function orderType(proto: string): protobuf.Type {
  const root = new protobuf.Root();
  root.addJSON((protobuf.common.get('google/protobuf/timestamp.proto') as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  protobuf.parse(proto, root, { keepCase: true });
  root.resolveAll();
  return root.lookupType('floe.e2e.Shop.Order');
}

interface ProtoOrder {
  id: bigint;
  customer: string;
  status: 'NEW' | 'PAID' | 'SHIPPED';
  first_line: { sku: string; qty: number; color?: string } | null;
  lines: { sku: string; qty: number; color?: string }[];
  tsMicros: bigint;
  note: string | null;
  counters: [string, bigint][];
  price: number;
  coupon?: string | null;
}

function protoOrder(i: number, v2: boolean): ProtoOrder {
  const line = (j: number) => ({ sku: `sku-${i}-${j}`, qty: (i + j) % 4, ...(v2 ? { color: j % 2 ? 'red' : '' } : {}) });
  return {
    // large ids keep all 64 bits; 0 and "" are proto3 defaults, absent on the wire
    id: i % 50 === 0 ? 0n : (1n << 60n) + BigInt(i) * 7919n,
    customer: i % 11 === 0 ? '' : `customer ${i % 7} ✓`,
    status: (['NEW', 'PAID', 'SHIPPED'] as const)[i % 3],
    first_line: i % 5 === 0 ? null : line(0),
    lines: Array.from({ length: i % 4 }, (_, j) => line(j + 1)),
    tsMicros: BigInt(BASE_MS) * 1000n + BigInt(i) * 1_000_123n,
    note: i % 2 ? `note ${i}` : i % 6 === 0 ? '' : null,
    counters:
      i % 2 === 0
        ? [
            ['a', BigInt(i)],
            ['b', -BigInt(i) * 1_000_000_000_000n],
          ]
        : [],
    price: i + 0.25,
    ...(v2 ? { coupon: i % 3 === 0 ? `SAVE${i}` : null } : {}),
  };
}

function encodeOrder(t: protobuf.Type, o: ProtoOrder): Uint8Array {
  const obj: Record<string, unknown> = {
    id: o.id.toString(),
    customer: o.customer,
    status: o.status,
    lines: o.lines,
    ts: { seconds: (o.tsMicros / 1_000_000n).toString(), nanos: Number(o.tsMicros % 1_000_000n) * 1000 },
    counters: Object.fromEntries(o.counters.map(([k, v]) => [k, v.toString()])),
    price: o.price,
  };
  if (o.first_line) obj.first_line = o.first_line;
  if (o.note !== null) obj.note = o.note;
  if (o.coupon !== undefined && o.coupon !== null) obj.coupon = o.coupon;
  const msg = t.fromObject(obj);
  const err = t.verify(msg);
  assert.equal(err, null);
  return t.encode(msg).finish();
}

test('Protobuf through the registry into the REST catalog on S3: a nested, non-first message, evolving mid-stream; PyIceberg reads every value', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-proto');
  await kafka.admin.createTopic(topic, { partitions: 3 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const subject = `${topic}-value`;
  const id1 = await registry.register(subject, { schema: PROTO_V1, schemaType: 'PROTOBUF' });
  const ns = uniqueName('e2e_proto').replace(/-/g, '_');
  const table = `${ns}.orders`;
  const restCatalog = `{ type: rest, uri: ${env.restUri}, properties: { s3.endpoint: "${env.s3Endpoint}", s3.access-key-id: ${env.s3AccessKey}, s3.secret-access-key: ${env.s3SecretKey}, s3.region: ${env.s3Region}, s3.path-style-access: "true" } }`;
  const cfg = connectorConfig({ topic, format: 'protobuf', catalog: restCatalog, table, maxRows: 250, file: 'formats-protobuf.yaml' });

  const t1 = orderType(PROTO_V1);
  const t2 = orderType(PROTO_V2);
  const expected = new Map<string, Row>();
  const nextOffset = [0, 0, 0];
  const produce = (i: number, version: 1 | 2, id: number): OutgoingRecord => {
    const partition = i % 3;
    const o = protoOrder(i, version === 2);
    const tsMs = BASE_MS + i;
    const offset = nextOffset[partition]++;
    const line = (l: { sku: string; qty: number; color?: string }): Row => ({ sku: l.sku, qty: String(l.qty), color: version === 2 ? l.color! : null });
    expected.set(`${partition}:${offset}`, {
      id: o.id.toString(),
      customer: o.customer,
      status: o.status,
      first_line: o.first_line ? line(o.first_line) : null,
      lines: o.lines.map(line),
      ts: isoMicros(o.tsMicros),
      note: o.note,
      counters: o.counters.map(([k, v]) => [k, v.toString()]),
      price: String(o.price),
      coupon: o.coupon ?? null,
      _kafka_topic: topic,
      _kafka_partition: String(partition),
      _kafka_offset: String(offset),
      _kafka_timestamp: isoMicros(BigInt(tsMs) * 1000n),
    });
    const value = version === 1 ? javaSerializerFrame(id, encodeOrder(t1, o), [1, 1]) : javaSerializerFrame(id, encodeOrder(t2, o), [2, 1]);
    return { topic, partition, value, timestamp: BigInt(tsMs) };
  };

  const first: OutgoingRecord[] = [];
  for (let i = 0; i < 600; i++) first.push(produce(i, 1, id1));
  await kafka.producer.send(first);
  await withConnector(cfg, async (failed, catalog) => {
    // the table exists with v1's columns and some rows before the producers move on
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, 1n]]), { failed });
    const id2 = await registry.register(subject, { schema: PROTO_V2, schemaType: 'PROTOBUF' });
    assert.notEqual(id2, id1);
    const second: OutgoingRecord[] = [];
    // new producers on v2; every fifth record still from an old producer on v1
    for (let i = 600; i < 1200; i++) second.push(i % 5 === 0 ? produce(i, 1, id1) : produce(i, 2, id2));
    await kafka.producer.send(second);
    await waitForTableOffsets(catalog, cfg.name, table, topic, await kafka.admin.endOffsets(topic), { failed });
  });

  const read = await readWithPyIceberg({
    catalog: { type: 'rest', uri: env.restUri },
    table,
    s3: { endpoint: env.s3Endpoint, accessKey: env.s3AccessKey, secretKey: env.s3SecretKey, region: env.s3Region },
  });
  const fields = read.schema.fields as { name: string; type: unknown }[];
  assert.deepEqual(
    fields.map((f) => f.name).filter((n) => !n.startsWith('_kafka_')),
    ['id', 'customer', 'status', 'first_line', 'lines', 'ts', 'note', 'counters', 'price', 'coupon'],
  );
  const firstLine = fields.find((f) => f.name === 'first_line')!.type as { fields: { name: string }[] };
  assert.deepEqual(
    firstLine.fields.map((f) => f.name),
    ['sku', 'qty', 'color'],
    'the nested message gained its new field',
  );
  assert.ok(read.snapshots.length >= 2);
  assertRowsEqual(read.rows, expected, 'protobuf table');
});

// ---------------------------------------------------------------------------------------------
// JSON Schema

const JSON_V1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Payment',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    user: { type: 'string' },
    ts: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    amount: { type: 'number' },
    uid: { type: 'string', format: 'uuid' },
    kind: { enum: ['card', 'bank'] },
    tags: { type: 'array', items: { type: 'string' } },
    address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: ['string', 'null'] } }, required: ['city'], additionalProperties: false },
    attrs: { type: 'object', additionalProperties: { type: 'integer' } },
    ref: { type: ['string', 'null'] },
  },
  required: ['id', 'user', 'ts', 'amount', 'kind', 'tags'],
  additionalProperties: false,
};

// v2 adds an optional top-level field and an optional field inside the nested object
const JSON_V2 = {
  ...JSON_V1,
  properties: {
    ...JSON_V1.properties,
    address: { ...JSON_V1.properties.address, properties: { ...JSON_V1.properties.address.properties, country: { type: ['string', 'null'] } } },
    coupon: { type: ['string', 'null'] },
  },
};

test('JSON Schema through the registry into the embedded catalog, evolving mid-stream; DuckDB reads every value', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-jsonschema');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const subject = `${topic}-value`;
  const id1 = await registry.register(subject, { schema: JSON.stringify(JSON_V1), schemaType: 'JSON' });
  const sql = sqlCatalog('floe-e2e-jsonschema-');
  const table = 'e2e.payments';
  const cfg = connectorConfig({ topic, format: 'json-schema', catalog: sql.yaml, table, maxRows: 200, file: 'formats-json-schema.yaml' });

  const expected = new Map<string, Row>();
  const nextOffset = [0, 0];
  const produce = (i: number, version: 1 | 2, id: number): OutgoingRecord => {
    const partition = i % 2;
    const offset = nextOffset[partition]++;
    const tsMs = BASE_MS + i * 1000;
    const micros = BigInt(tsMs) * 1000n + BigInt(i % 1000);
    // some timestamps carry an offset: the table holds the instant in UTC
    const tsText =
      i % 4 === 0
        ? `${new Date(tsMs + 2 * 3_600_000).toISOString().slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, '0')}+02:00`
        : `${new Date(tsMs).toISOString().slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, '0')}Z`;
    const big = i % 7 === 0;
    const id64 = big ? 9_007_199_254_740_993n + BigInt(i) : BigInt(i);
    // a number written as an integer literal beyond 2^53 (as a producer with a long in a
    // "number" field writes it) that a double holds exactly (doubles near 2^60 are 256 apart)
    // lands as that double; one it cannot hold is a dead letter (test/kafka/json-numbers.test.ts)
    const bigAmount = i % 50 === 25 ? 2n ** 60n + BigInt(i) * 256n : undefined;
    const amount = bigAmount !== undefined ? Number(bigAmount) : i % 3 === 0 ? i : i + 0.125;
    const uid = `0000${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-${String(i).padStart(12, '0')}`;
    const value: Record<string, unknown> = {
      user: `user-${i % 13}`,
      ts: tsText,
      amount,
      kind: i % 2 ? 'card' : 'bank',
      tags: Array.from({ length: i % 3 }, (_, j) => `t${j}`),
      uid: i % 10 === 0 ? uid.toUpperCase() : uid,
    };
    if (i % 5 !== 0) value.day = `2026-03-${String(1 + (i % 28)).padStart(2, '0')}`;
    if (i % 6 !== 0) value.address = { city: `city ${i % 4}`, zip: i % 2 ? null : `${10000 + i}`, ...(version === 2 ? { country: i % 3 ? 'DE' : null } : {}) };
    if (i % 3 !== 0) value.attrs = { x: i, y: -i };
    if (i % 4 === 1) value.ref = `ref-${i}`;
    else if (i % 4 === 2) value.ref = null;
    if (version === 2 && i % 2 === 0) value.coupon = `C${i}`;
    // ids above 2^53 written as JSON number text with every digit
    if (bigAmount !== undefined) value.amount = '__AMOUNT__';
    const json = JSON.stringify({ id: '__ID__', ...value })
      .replace('"__ID__"', id64.toString())
      .replace('"__AMOUNT__"', String(bigAmount));
    expected.set(`${partition}:${offset}`, {
      id: id64.toString(),
      user: value.user as string,
      ts: isoMicros(micros),
      day: (value.day as string | undefined) ?? null,
      amount: pythonRepr(amount),
      uid,
      kind: value.kind as string,
      tags: value.tags as string[],
      address: value.address ? { city: `city ${i % 4}`, zip: i % 2 ? null : `${10000 + i}`, country: version === 2 && i % 3 ? 'DE' : null } : null,
      attrs: value.attrs
        ? [
            ['x', String(i)],
            ['y', String(-i)],
          ]
        : null,
      ref: (value.ref as string | null | undefined) ?? null,
      coupon: (value.coupon as string | undefined) ?? null,
      _kafka_topic: topic,
      _kafka_partition: String(partition),
      _kafka_offset: String(offset),
      _kafka_timestamp: isoMicros(BigInt(tsMs) * 1000n),
    });
    return { topic, partition, value: javaSerializerFrame(id, Buffer.from(json, 'utf8')), timestamp: BigInt(tsMs) };
  };

  const first: OutgoingRecord[] = [];
  for (let i = 0; i < 400; i++) first.push(produce(i, 1, id1));
  await kafka.producer.send(first);
  await withConnector(cfg, async (failed, catalog) => {
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, 1n]]), { failed });
    const id2 = await registry.register(subject, { schema: JSON.stringify(JSON_V2), schemaType: 'JSON' });
    assert.notEqual(id2, id1);
    const second: OutgoingRecord[] = [];
    for (let i = 400; i < 800; i++) second.push(i % 4 === 3 ? produce(i, 1, id1) : produce(i, 2, id2));
    await kafka.producer.send(second);
    await waitForTableOffsets(catalog, cfg.name, table, topic, await kafka.admin.endOffsets(topic), { failed });
  });

  const reader = { catalog: sql.reader, table };
  const duck = await readWithDuckDB(reader);
  assertRowsEqual(duck.rows, expected, 'json-schema table (DuckDB)');
  const py = await readWithPyIceberg(reader);
  const fields = py.schema.fields as { name: string; type: unknown; required: boolean }[];
  assert.deepEqual(
    fields.map((f) => f.name).filter((n) => !n.startsWith('_kafka_')),
    ['id', 'user', 'ts', 'day', 'amount', 'uid', 'kind', 'tags', 'address', 'attrs', 'ref', 'coupon'],
  );
  assert.equal(fields.find((f) => f.name === 'coupon')!.required, false);
  const address = fields.find((f) => f.name === 'address')!.type as { fields: { name: string }[] };
  assert.deepEqual(
    address.fields.map((f) => f.name),
    ['city', 'zip', 'country'],
  );
});

test('Protobuf importing another file, registered as a reference the way the Java serializer does (subject = import path); the imported message evolves mid-stream', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-proto-ref');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const pkg = topic.replace(/[^a-z0-9]/g, '_');
  const importPath = `${pkg}/common/money.proto`;
  const moneyV1 = `syntax = "proto3";\npackage ${pkg}.common;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n`;
  const moneyV2 = moneyV1.replace('  int64 units = 2;\n', '  int64 units = 2;\n  int32 nanos = 3;\n');
  const main = `syntax = "proto3";\npackage ${pkg}.billing;\n\nimport "${importPath}";\n\nmessage Invoice {\n  int64 id = 1;\n  ${pkg}.common.Money total = 2;\n  repeated ${pkg}.common.Money parts = 3;\n}\n`;
  const ref = (version: number) => [{ name: importPath, subject: importPath, version }];
  await registry.register(importPath, { schema: moneyV1, schemaType: 'PROTOBUF' });
  const id1 = await registry.register(`${topic}-value`, { schema: main, schemaType: 'PROTOBUF', references: ref(1) });
  const types = (money: string) => {
    const root = new protobuf.Root();
    protobuf.parse(money, root, { keepCase: true });
    protobuf.parse(main, root, { keepCase: true });
    root.resolveAll();
    return root.lookupType(`${pkg}.billing.Invoice`);
  };
  const t1 = types(moneyV1);
  const t2 = types(moneyV2);
  const sql = sqlCatalog('floe-e2e-proto-ref-');
  const table = 'e2e.invoices';
  const cfg = connectorConfig({ topic, format: 'protobuf', catalog: sql.yaml, table, maxRows: 100, file: 'formats-protobuf-ref.yaml' });
  const expected = new Map<string, Row>();
  let offset = 0;
  const produce = (i: number, v2: boolean, id: number): OutgoingRecord => {
    const money = (k: number) => ({ currency: k % 2 ? 'EUR' : 'USD', units: String(i * 10 + k), ...(v2 ? { nanos: k * 1000 } : {}) });
    const row = (k: number): Row => ({ currency: k % 2 ? 'EUR' : 'USD', units: String(i * 10 + k), nanos: v2 ? String(k * 1000) : null });
    const t = v2 ? t2 : t1;
    const parts = Array.from({ length: i % 3 }, (_, k) => money(k + 1));
    const payload = t.encode(t.fromObject({ id: String(i), total: money(0), parts })).finish();
    expected.set(`0:${offset}`, { id: String(i), total: row(0), parts: parts.map((_, k) => row(k + 1)), _kafka_topic: topic, _kafka_partition: '0', _kafka_offset: String(offset) });
    offset++;
    return { topic, partition: 0, value: javaSerializerFrame(id, payload, [0]) };
  };
  await kafka.producer.send(Array.from({ length: 200 }, (_, i) => produce(i + 1, false, id1)));
  await withConnector(cfg, async (failed, catalog) => {
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, 1n]]), { failed });
    // the serializer registers the imported file's new version, then the main file referencing it
    await registry.register(importPath, { schema: moneyV2, schemaType: 'PROTOBUF' });
    const id2 = await registry.register(`${topic}-value`, { schema: main, schemaType: 'PROTOBUF', references: ref(2) });
    assert.notEqual(id2, id1, 'the same text with another reference version is another schema');
    await kafka.producer.send(Array.from({ length: 200 }, (_, i) => produce(i + 201, true, id2)));
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, 400n]]), { failed });
  });
  const read = await readWithDuckDB({ catalog: sql.reader, table });
  assertRowsEqual(
    read.rows.map(({ _kafka_timestamp, ...r }) => r),
    expected,
    'invoices (DuckDB)',
  );
});

test('Protobuf importing known types with no references (google/type, confluent/*), as the Java serializer registers them (skip.known.types)', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-proto-known');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const pkg = topic.replace(/[^a-z0-9]/g, '_');
  const schema = `syntax = "proto3";
package ${pkg};

import "google/type/date.proto";
import "google/type/money.proto";
import "google/type/dayofweek.proto";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";

message Payment {
  option (confluent.message_meta).doc = "a payment";
  int64 id = 1 [(confluent.field_meta).tags = "PII"];
  google.type.Date day = 2;
  google.type.Money price = 3;
  confluent.type.Decimal amount = 4;
  google.type.DayOfWeek weekday = 5;
}
`;
  const id = await registry.register(`${topic}-value`, { schema, schemaType: 'PROTOBUF' }); // no references, as skip.known.types leaves them
  // the producer's own definitions of the imported messages (field numbers as published)
  const root = new protobuf.Root();
  protobuf.parse(
    'syntax = "proto3"; package google.type; message Date { int32 year = 1; int32 month = 2; int32 day = 3; } message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; } enum DayOfWeek { DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3; THURSDAY = 4; FRIDAY = 5; SATURDAY = 6; SUNDAY = 7; }',
    root,
    { keepCase: true },
  );
  protobuf.parse('syntax = "proto3"; package confluent.type; message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }', root, { keepCase: true });
  protobuf.parse(
    `syntax = "proto3"; package ${pkg}; message Payment { int64 id = 1; google.type.Date day = 2; google.type.Money price = 3; confluent.type.Decimal amount = 4; google.type.DayOfWeek weekday = 5; }`,
    root,
    { keepCase: true },
  );
  root.resolveAll();
  const Payment = root.lookupType(`${pkg}.Payment`);
  const sql = sqlCatalog('floe-e2e-proto-known-');
  const table = 'e2e.payments';
  const cfg = connectorConfig({ topic, format: 'protobuf', catalog: sql.yaml, table, maxRows: 100, file: 'formats-protobuf-known.yaml' });
  const days = ['DAY_OF_WEEK_UNSPECIFIED', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
  const expected = new Map<string, Row>();
  const records: OutgoingRecord[] = [];
  for (let i = 0; i < 150; i++) {
    const unscaled = BigInt(i * 1234 - 5000);
    const bytes = Buffer.from(BigInt.asUintN(32, unscaled).toString(16).padStart(8, '0'), 'hex');
    const obj = {
      id: String(i + 1),
      day: { year: 2026, month: 1 + (i % 12), day: 1 + (i % 28) },
      price: { currency_code: i % 2 ? 'EUR' : 'JPY', units: String(i * 3), nanos: i * 1000 },
      amount: { value: bytes, precision: 10, scale: 2 },
      weekday: i % 8,
    };
    records.push({ topic, partition: 0, value: javaSerializerFrame(id, Payment.encode(Payment.fromObject(obj)).finish(), [0]) });
    expected.set(`0:${i}`, {
      id: String(i + 1),
      day: { year: '2026', month: String(1 + (i % 12)), day: String(1 + (i % 28)) },
      price: { currency_code: i % 2 ? 'EUR' : 'JPY', units: String(i * 3), nanos: String(i * 1000) },
      amount: { value: bytes.toString('hex'), precision: '10', scale: '2' },
      weekday: days[i % 8],
      _kafka_topic: topic,
      _kafka_partition: '0',
      _kafka_offset: String(i),
    });
  }
  await kafka.producer.send(records);
  await withConnector(cfg, (failed, catalog) => waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, 150n]]), { failed }));
  const read = await readWithDuckDB({ catalog: sql.reader, table });
  assertRowsEqual(
    read.rows.map(({ _kafka_timestamp, ...r }) => r),
    expected,
    'payments (DuckDB)',
  );
});
