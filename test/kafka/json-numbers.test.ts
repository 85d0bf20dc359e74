// Schemaless JSON numbers end to end on the real broker: integer literals beyond 2^53 (parsed as
// bigints, every digit kept) land exactly in long columns, and in double columns only when a
// double holds them exactly (2^60 yes, 2^60 + 1 no: that record is a dead letter naming the
// value, never a silently rounded row), both in the batch that creates the table (columns
// inferred from it, one of them widened from integers to double within it) and after a flush,
// when the columns come from the table. DuckDB reads every value back; PyIceberg gives the
// column types; the dead-letter topic holds exactly the refused records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { HEADER_ERROR_MESSAGE, HEADER_ORIGINAL_OFFSET } from '../../src/pipeline/dead-letters.ts';
import { brokers, headerStrings, kafkaClients, readWholeTopic, uniqueName, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { Row } from '../helpers/readers.ts';

const kafka = kafkaClients();

/** A double as Python's repr prints it (the readers' form), for the values used here. */
function pythonRepr(x: number): string {
  if (Math.abs(x) >= 1e16) return x.toExponential();
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** An integer literal a double column cannot hold exactly. */
const inexact = (literal: string) => /^-?\d+$/.test(literal) && BigInt(Number(literal)) !== BigInt(literal);

/** One record: JSON text with the numbers written as given (every digit), and its expected row, or none (a dead letter). */
function record(id: string, amount: string, count: string): { json: string; row?: Row } {
  return {
    json: `{"id": ${id}, "amount": ${amount}, "count": ${count}}`,
    row: inexact(amount) || inexact(count) ? undefined : { id, amount: pythonRepr(Number(amount)), count: pythonRepr(Number(count)) },
  };
}

test('plain JSON: integers beyond 2^53 land exactly in long columns, in double columns only when exact (else a dead letter), before and after a flush', async () => {
  const topic = uniqueName('floe-e2e-json-numbers');
  const dlq = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(dlq, { partitions: 1 });
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
errors: { tolerance: all, deadLetterTopic: ${dlq} }
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
    record('-9223372036854775808', '1152921504606846976', '18446744073709551616'),
    record('5', '12345678901234567890', '7'),
    record('2', '-36028797018963968', '4.75'),
  ];
  // Second send, after the first commit: the columns now come from the table.
  const second = [
    record('9223372036854775807', '98765432109876543488', '5'),
    record('3', '9007199254740993', '-9007199254740992'),
    record('4', '0.1', '1180591620717411303424'),
    record('6', '1', '-18446744073709551617'),
  ];
  const expected = new Map<string, Row>();
  const refused: number[] = [];
  [...first, ...second].forEach((r, offset) => (r.row ? expected.set(String(offset), { ...r.row, _kafka_offset: String(offset) }) : refused.push(offset)));
  assert.deepEqual(refused, [3, 6, 8], 'the literals of this test: three a double cannot hold');

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
  const dead = await readWholeTopic(dlq, refused.length);
  assert.deepEqual(
    dead.map((d) => Number(headerStrings(d).get(HEADER_ORIGINAL_OFFSET))).sort((a, b) => a - b),
    refused,
  );
  for (const d of dead) assert.match(headerStrings(d).get(HEADER_ERROR_MESSAGE) ?? '', /cannot be held exactly by a double column/);
  const py = await readWithPyIceberg(reader);
  const types = Object.fromEntries((py.schema.fields as { name: string; type: unknown }[]).map((f) => [f.name, f.type]));
  assert.deepEqual([types.id, types.amount, types.count], ['long', 'double', 'double']);
});
