// RecordLoop's takeByTable (src/pipeline/record-loop.ts) with a host of its own: under field
// routing, the records of a run are taken table by table only where the rule in its comment
// allows, and what is left goes one by one, in its turn. Real TableOffsets and ReadPositions;
// the tables, decoder and router are the test's. (The whole worker under the same conditions,
// with a crash: test/pipeline/worker-by-table.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tpKey } from '../../src/commit/offsets-map.ts';
import { TableOffsets } from '../../src/commit/table-offsets.ts';
import type { RecordFrame } from '../../src/decode/record-frame.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { ReadPositions } from '../../src/pipeline/read-positions.ts';
import { RecordLoop } from '../../src/pipeline/record-loop.ts';
import type { LoopTable, RecordLoopHost } from '../../src/pipeline/record-loop.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import type { Router } from '../../src/route/router.ts';
import type { JsonSchemaInferrer } from '../../src/schema/infer-json.ts';

interface Table extends LoopTable {
  name: string;
  /** the inferrer's change count (a record with `grow` grows it) */
  changes: number;
}

interface Value {
  t: string;
  id: number;
  /** not taken straight from its text, taken as an object (an escaped string) */
  escaped?: boolean;
  /** a key the table lacks: its inferrer grows, processOne evolves the table */
  grow?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function table(name: string, committed: bigint | undefined): Table {
  const offsets = new TableOffsets();
  offsets.loaded(new Map(committed === undefined ? [] : [['events', new Map([[0, committed]])]]));
  return { name, offsets, knownSchemas: new Set<Schema>(), incompatible: new Map(), schemaIdOf: new Map(), schemaIds: new Set(), changes: 0 };
}

/** A loop over tables by name, recording what happens to each record: `name:id` taken at once, `one:id` through processOne. */
function harness(tables: Table[], opts: { settled?: boolean; rewindAt?: number; decode?: RecordLoopHost<Table>['decode'] } = {}) {
  const log: string[] = [];
  const dropped: [string, bigint][] = [];
  const grownOne: number[] = [];
  const grew = new Set<string>();
  const positions = new ReadPositions();
  positions.assign({ topic: 'events', partition: 0 }, 0n);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const valueOf = (frame: RecordFrame) => frame.value as unknown as Value;
  const router: Router = {
    tableFor: (_topic, value) => (value as unknown as Value).t,
    tableForFrame: (_topic, frame) => valueOf(frame).t,
  };
  const host: RecordLoopHost<Table> = {
    positions,
    tables: byName,
    router,
    byField: true,
    inferring: true,
    decode: (bytes) => ({ value: JSON.parse(dec.decode(bytes)) as Record<string, unknown> }),
    renamed: () => true,
    inferrerOf: (t) =>
      ({
        get changes() {
          return t.changes;
        },
        add: (v: unknown) => {
          // a real inferrer grows once: a record it took already changes nothing
          if ((v as Value).grow && !grew.has(t.name)) {
            grew.add(t.name);
            t.changes++;
          }
          return undefined;
        },
      }) as unknown as JsonSchemaInferrer,
    landDirect: (t, _rec, frame) => {
      const v = valueOf(frame);
      if (v.escaped || v.grow) return false;
      log.push(`${t.name}:${v.id}`);
      return true;
    },
    land: (t, _rec, frame) => {
      log.push(`${t.name}:${valueOf(frame).id}`);
      return true;
    },
    deadLetter: () => assert.fail('no dead letters here'),
    processOne: async (rec, key, _records, _index, first, grown) => {
      let v: Value;
      try {
        v = JSON.parse(dec.decode(rec.value!)) as Value;
      } catch {
        log.push(`one:bad@${rec.offset}`);
        return;
      }
      if (grown) grownOne.push(v.id);
      log.push(`one:${v.id}`);
      // a failed or fenced commit of the record's table in processOne: p is read again from 0
      if (v.id === opts.rewindAt) {
        positions.rewind(key, 0n);
        return;
      }
      const t = byName.get(v.t);
      if (t !== undefined && !t.offsets.alreadyHas(key, rec.offset)) t.offsets.take(rec, rec.offset, key);
      // as the worker's decodeWithRetry: a decode that waits is awaited, its refusal handled
      if (first !== undefined && 'frame' in first) await Promise.resolve(first.frame).catch(() => undefined);
    },
    touch: () => undefined,
    settled: () => opts.settled ?? true,
    dropTakenPast: async (key, offset) => void dropped.push([key, offset]),
  };
  if (opts.decode) host.decode = opts.decode;
  return { loop: new RecordLoop<Table>(host), log, grownOne, byName, dropped };
}

function records(values: Value[]): SourceRecord[] {
  return values.map((v, i) => ({ topic: 'events', partition: 0, offset: BigInt(i), timestamp: 0, key: null, value: enc.encode(JSON.stringify(v)), headers: [] }) as unknown as SourceRecord);
}

/** n records cycling through the tables' names. */
function interleaved(names: string[], n: number, extra: (id: number) => Partial<Value> = () => ({})): Value[] {
  return Array.from({ length: n }, (_, id) => ({ t: names[id % names.length], id, ...extra(id) }));
}

const P = tpKey({ topic: 'events', partition: 0 });
const ids = (log: string[], name: string) => log.filter((e) => e.startsWith(`${name}:`)).map((e) => Number(e.split(':')[1]));

test('settled tables with offsets for the partition: after the first record (processOne), each table takes its records in one go, in offset order', async () => {
  const { loop, log, byName } = harness([table('a', 0n), table('b', 0n), table('c', 0n)]);
  const recs = records(interleaved(['a', 'b', 'c'], 30));
  await loop.processRun(recs, 0, recs.length);
  assert.equal(log[0], 'one:0');
  // from record 1 on, b's records (1..28), then c's, then a's (in the order each first comes): each table once
  const tablesInOrder = log.slice(1).map((e) => e.split(':')[0]);
  assert.deepEqual(
    tablesInOrder.filter((x, i) => x !== tablesInOrder[i - 1]),
    ['b', 'c', 'a'],
  );
  for (const name of ['a', 'b', 'c']) {
    const got = ids(log, name);
    assert.deepEqual(
      got,
      [...got].sort((x, y) => x - y),
      `${name} in offset order`,
    );
  }
  assert.equal(log.length, 30, 'every record once');
  // each table was told what it took (TableOffsets.take): it wants what comes after its last record
  assert.equal(byName.get('a')!.offsets.nextWanted(P), 28n);
  assert.equal(byName.get('b')!.offsets.nextWanted(P), 29n);
  assert.equal(byName.get('c')!.offsets.nextWanted(P), 30n);
});

test('tables not settled: records are taken one by one, in offset order', async () => {
  const { loop, log } = harness([table('a', 0n), table('b', 0n)], { settled: false });
  const recs = records(interleaved(['a', 'b'], 30));
  await loop.processRun(recs, 0, recs.length);
  assert.deepEqual(
    log.map((e) => Number(e.split(':')[1])),
    Array.from({ length: 30 }, (_, i) => i),
  );
});

test('a table with no offset for the partition: nothing past its first record is taken before that record goes through processOne', async () => {
  const { loop, log } = harness([table('a', 0n), table('b', 0n), table('n', undefined)]);
  const values = interleaved(['a', 'b'], 40);
  values[17] = { t: 'n', id: 17 }; // a table that would start rows of p with no offset
  const recs = records(values);
  await loop.processRun(recs, 0, recs.length);
  const at = log.indexOf('one:17');
  assert.ok(at > 0, 'record 17 went through processOne');
  const before = log.slice(0, at).map((e) => Number(e.split(':')[1]));
  assert.ok(
    before.every((id) => id < 17),
    `taken before record 17: ${before.filter((id) => id > 17)}`,
  );
  assert.equal(log.length, 40);
});

test('a record that does not decode (a barrier): nothing past it is taken before it', async () => {
  const { loop, log } = harness([table('a', 0n), table('b', 0n)]);
  const recs = records(interleaved(['a', 'b'], 40));
  (recs[21] as { value: Uint8Array }).value = enc.encode('{"broken'); // does not decode
  await loop.processRun(recs, 0, recs.length);
  const at = log.indexOf('one:bad@21');
  assert.ok(at > 0, 'record 21 went through processOne');
  const before = log.slice(0, at).map((e) => Number(e.split(':')[1]));
  assert.ok(
    before.every((id) => id < 21),
    `taken before record 21: ${before.filter((id) => id > 21)}`,
  );
  assert.equal(log.length, 40, 'every record once');
});

test("a record whose table's schema grows: the grouped pass leaves it untouched, processOne gets it with its growth, and that table takes nothing past it before", async () => {
  const { loop, log, grownOne } = harness([table('a', 0n), table('b', 0n), table('c', 0n)]);
  const recs = records(interleaved(['a', 'b', 'c'], 60, (id) => (id === 25 ? { grow: true } : {})));
  await loop.processRun(recs, 0, recs.length);
  assert.deepEqual(grownOne, [25], 'record 25 reached processOne with grown (its inferrer grew once, on the one-by-one path)');
  const at = log.indexOf('one:25');
  const bBefore = ids(log.slice(0, at), 'b');
  assert.ok(
    bBefore.every((id) => id < 25),
    `b took ${bBefore.filter((id) => id > 25)} before 25`,
  );
  // c comes after b in the pass: nothing of c at or past 25 before it either
  assert.ok(ids(log.slice(0, at), 'c').every((id) => id < 25));
  assert.equal(log.length, 60);
});

test('a record taken one by one (an escaped string) just before a grouped pass: its table is told it took it', async () => {
  const { loop, log, byName } = harness([table('a', 0n), table('b', 0n)]);
  // record 20 (b) is not taken straight from its text: the pass stops there, the one-by-one path
  // takes it as an object, and the next pass starts at 21 with another table
  const values = interleaved(['a', 'b'], 22, (id) => (id === 20 ? { escaped: true } : {}));
  values[20] = { t: 'b', id: 20, escaped: true };
  values[21] = { t: 'a', id: 21 };
  // 16 more of a, so the pass after 20 has enough records to run
  for (let id = 22; id < 40; id++) values.push({ t: 'a', id });
  const recs = records(values);
  await loop.processRun(recs, 0, recs.length);
  assert.ok(log.includes('b:20'));
  assert.equal(byName.get('b')!.offsets.nextWanted(P), 21n, 'b wants 21 next: its take() of 20 was told');
  assert.equal(log.length, 40);
});

test('processOne rewinds the partition at a record other tables of the pass took records past: they are told to drop them (dropTakenPast); with nothing taken past it, not', async () => {
  // a's record 24 grows its schema and its commit fails (the test rewinds p). From record 1 on,
  // the pass takes b, then c, then a: b and c took records past 24 before a stopped there
  const values = interleaved(['a', 'b', 'c'], 60, (id) => (id === 24 ? { grow: true } : {}));
  const grouped = harness([table('a', 0n), table('b', 0n), table('c', 0n)], { rewindAt: 24 });
  await grouped.loop.processRun(records(values), 0, 60);
  assert.ok(
    ids(grouped.log, 'b').some((id) => id > 24),
    'b took records past 24 before it',
  );
  assert.deepEqual(grouped.dropped, [[P, 24n]]);
  assert.ok(!grouped.log.some((e) => e.startsWith('one:') && Number(e.split(':')[1]) > 24), 'the run stopped at 24');
  // one by one (tables not settled), nothing is past 24: nothing to drop
  const oneByOne = harness([table('a', 0n), table('b', 0n), table('c', 0n)], { rewindAt: 24, settled: false });
  await oneByOne.loop.processRun(records(values), 0, 60);
  assert.deepEqual(oneByOne.dropped, []);
});

test('a record whose decode waits (a schema lookup) and then fails: the grouping leaves it to its turn, and the refusal is not left unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const values = interleaved(['a', 'b'], 40);
    const recs = records(values);
    const plain = (bytes: Uint8Array) => ({ value: JSON.parse(dec.decode(bytes)) as Record<string, unknown> });
    let lookups = 0;
    const { loop, log } = harness([table('a', 0n), table('b', 0n)], {
      decode: (bytes) => {
        const v = plain(bytes);
        if ((v.value as unknown as Value).id !== 30) return v;
        lookups++;
        return Promise.reject(new Error('registry unavailable (test)'));
      },
    });
    await loop.processRun(recs, 0, recs.length).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(lookups >= 1, 'record 30 was decoded');
    assert.ok(log.includes('one:30'), 'record 30 went through processOne (its own decode handles the refusal)');
    assert.ok(
      ids(log.slice(0, log.indexOf('one:30')), 'a').every((id) => id < 30),
      'nothing past the barrier before it',
    );
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
