// Schemaless JSON numbers end to end on the real broker: integer literals beyond 2^53 (parsed as
// bigints, every digit kept) land exactly in long columns and as the nearest double in double
// columns, both in the batch that creates the table (columns inferred from it, one of them
// widened from integers to double within it) and after a flush, when the columns come from the
// table. errors.tolerance none: a refused record stops the connector and fails the test.
// DuckDB reads every value back; PyIceberg gives the column types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { brokers, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { Row } from '../helpers/readers.ts';

const kafka = kafkaClients();

/** A double as Python's repr prints it (the readers' form), for the values used here. */
function pythonRepr(x: number): string {
  if (Math.abs(x) >= 1e16) return x.toExponential();
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** One record: JSON text with the numbers written as given (every digit), and its expected row. */
function record(id: string, amount: string, count: string): { json: string; row: Row } {
  return {
    json: `{"id": ${id}, "amount": ${amount}, "count": ${count}}`,
    // the nearest double of the literal: what JSON.parse gives for the same text
    row: { id, amount: pythonRepr(Number(amount)), count: pythonRepr(Number(count)) },
  };
}

test('plain JSON: integers beyond 2^53 land exactly in long columns and as the nearest double in double columns, before and after a flush', async () => {
  const topic = uniqueName('floe-e2e-json-numbers');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-json-numbers-'));
  const table = 'e2e.numbers';
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: ${table}, kafkaMetadataColumns: true }
commit: { intervalMs: 500 }
errors: { tolerance: none }
metricsPort: 0
`,
    'json-numbers.yaml',
    {},
  );

  // First send (one record batch, so one fetch): the table's columns are inferred from all of
  // it: id long; amount double (a decimal among integers); count integers first, then a
  // decimal: widened to double. Big integers go into all three.
  const first = [
    record('1', '10', '3'),
    record('9007199254740993', '2.5', '4'),
    record('-9223372036854775808', '12345678901234567890', '18446744073709551617'),
    record('2', '-36028797018963969', '4.75'),
  ];
  // Second send, after the first commit: the columns now come from the table.
  const second = [record('9223372036854775807', '98765432109876543210', '5'), record('3', '9007199254740993', '-9007199254740995'), record('4', '0.1', '123456789012345678901234567890')];
  const expected = new Map<string, Row>();
  [...first, ...second].forEach((r, offset) => expected.set(String(offset), { ...r.row, _kafka_offset: String(offset) }));

  await kafka.producer.send(first.map((r) => ({ topic, partition: 0, value: r.json })));
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, BigInt(first.length)]]), { failed: running.failed });
    await kafka.producer.send(second.map((r) => ({ topic, partition: 0, value: r.json })));
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, BigInt(first.length + second.length)]]), { failed: running.failed });
  } finally {
    await running.stop();
  }

  const reader = { catalog: { type: 'sql' as const, uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href }, table };
  const duck = await readWithDuckDB(reader);
  const got = new Map(duck.rows.map((r) => [String(r._kafka_offset), { id: r.id, amount: r.amount, count: r.count, _kafka_offset: r._kafka_offset }]));
  assert.equal(duck.rows.length, expected.size, 'every record is a row, once');
  assert.deepEqual(got, expected);
  const py = await readWithPyIceberg(reader);
  const types = Object.fromEntries((py.schema.fields as { name: string; type: unknown }[]).map((f) => [f.name, f.type]));
  assert.deepEqual([types.id, types.amount, types.count], ['long', 'double', 'double']);
});
