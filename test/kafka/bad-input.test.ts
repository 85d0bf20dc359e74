// Hostile plain-JSON records on the real broker: every record whose schema a catalog or a reader
// would refuse (names equal ignoring case, a dotted name next to a struct of that name, an empty
// name, nesting beyond the limit, 50,000 nested arrays, 100,000 nested objects, a top-level key
// named like a metadata column) or whose value would change silently (invalid UTF-8, 1e400,
// 1e-400, an integer a double column cannot hold exactly) is a dead letter with its reason,
// before any file or catalog request; the connector keeps running and takes the good records
// around them. Judged by the table (DuckDB, PyIceberg: it still loads, with the 32-level record)
// and the dead-letter topic: rows + dead letters = produced, no offset twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { HEADER_ERROR_MESSAGE, HEADER_ERROR_REASON, HEADER_ORIGINAL_OFFSET } from '../../src/pipeline/dead-letters.ts';
import { brokers, headerStrings, kafkaClients, readWholeTopic, uniqueName, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';

const kafka = kafkaClients();

const nested = (levels: number, leaf: string): string => '{"n":'.repeat(levels) + leaf + '}'.repeat(levels);

test('plain JSON: poison pills and silently changed values are dead letters with reasons; good records land; the table stays readable', async () => {
  const topic = uniqueName('floe-bad-input');
  const dlq = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(dlq, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bad-input-'));
  const table = 'e2e.bad_input';
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
    'bad-input.yaml',
    {},
  );

  // [value, the dead letter's reason and a piece of its message, or undefined for a row]
  const first: [string | Buffer, [string | undefined, RegExp] | undefined][] = [
    ['{"id": 1, "x": 1, "a": {"b": 1}, "amount": 1.5, "deep": ' + nested(32, '7') + '}', undefined], // 32 levels below "deep": the limit
    ['{"id": 2, "x": 2, "amount": 2}', undefined],
  ];
  const second: [string | Buffer, [string | undefined, RegExp] | undefined][] = [
    ['{"id": 3, "X": 5}', ['case-duplicate', /differs from its sibling "x" only in case/]],
    ['{"id": 4, "a.b": 1}', ['name-collision', /full name "a\.b"/]],
    ['{"id": 5, "": 1}', ['empty-name', /empty name/]],
    ['{"id": 6, "deeper": ' + nested(1000, '1') + '}', ['too-deep', /deeper than 32 levels/]],
    ['{"id": 7, "l": ' + '['.repeat(50_000) + ']'.repeat(50_000) + '}', ['too-deep', /deeper than/]],
    ['{"id": 8, "o": ' + nested(100_000, '1') + '}', ['too-deep', /deeper than/]],
    [Buffer.concat([Buffer.from('{"id": 9, "s": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), ['invalid-payload', /not valid UTF-8/]],
    ['{"id": 10, "amount": 1e400}', ['invalid-payload', /out of a double's range/]],
    ['{"id": 11, "amount": 1e-400}', ['invalid-payload', /too small for a double/]],
    ['{"id": 12, "amount": 123456789012345678}', [undefined, /cannot be held exactly by a double column/]], // a ValueError: no short reason
    ['{"id": 13, "_kafka_offset": 5}', ['reserved-name', /Kafka metadata column/]],
    ['{"id": 14, "_kafka_topic": "mine"}', ['reserved-name', /Kafka metadata column/]],
    ['{"id": 15, "x": 15, "amount": 1152921504606846976, "a": {"b": 15}}', undefined],
  ];
  const all = [...first, ...second];

  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    // the table is made from the first records, then the bad ones meet its columns
    await kafka.producer.send(first.map(([value]) => ({ topic, partition: 0, value: value as string })));
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, BigInt(first.length)]]), { failed: running.failed });
    await kafka.producer.send(second.map(([value]) => ({ topic, partition: 0, value: value as Buffer })));
    await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, BigInt(all.length)]]), { failed: running.failed, timeoutMs: 60_000 });
  } finally {
    await running.stop();
  }

  const wantRows = all.flatMap(([, dead], offset) => (dead ? [] : [offset]));
  const wantDead = all.flatMap(([, dead], offset) => (dead ? [{ offset, dead }] : []));
  const dead = await readWholeTopic(dlq, wantDead.length, 20_000).catch(async () => {
    const some = await readWholeTopic(dlq, 1, 5_000);
    throw new Error(`dead letters: ${JSON.stringify(some.map((d) => Object.fromEntries(headerStrings(d))))}`);
  });
  assert.equal(dead.length, wantDead.length, 'one dead letter per bad record');
  const byOffset = new Map(dead.map((d) => [headerStrings(d).get(HEADER_ORIGINAL_OFFSET), headerStrings(d)]));
  for (const {
    offset,
    dead: [reason, message],
  } of wantDead) {
    const h = byOffset.get(String(offset));
    assert.ok(h, `a dead letter for offset ${offset}`);
    if (reason !== undefined) assert.equal(h.get(HEADER_ERROR_REASON), reason, `reason of offset ${offset}`);
    assert.match(h.get(HEADER_ERROR_MESSAGE) ?? '', message, `message of offset ${offset}`);
  }

  const reader = { catalog: { type: 'sql' as const, uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href }, table };
  const duck = await readWithDuckDB(reader);
  assert.deepEqual(
    duck.rows.map((r) => Number(r._kafka_offset)).sort((a, b) => a - b),
    wantRows,
    'rows: exactly the good records, once each',
  );
  const byId = new Map(duck.rows.map((r) => [String(r.id), r]));
  assert.equal(byId.get('15')?.amount, '1.152921504606847e+18', 'an integer a double holds exactly (2^60) lands');
  assert.equal(byId.get('15')?._kafka_topic, topic, 'the metadata column keeps its own value');
  // PyIceberg still loads the table (32 levels below "deep") and reads the same rows
  const py = await readWithPyIceberg(reader);
  assert.equal(py.rows.length, wantRows.length);
  const fields = (py.schema.fields as { name: string }[]).map((f) => f.name);
  assert.deepEqual(
    fields.filter((f) => f.toLowerCase() === 'x' || f === '' || f.includes('.')),
    ['x'],
    'no forked or colliding columns',
  );
});
