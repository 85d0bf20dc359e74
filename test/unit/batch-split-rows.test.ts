// Rows of one batch split by partition (src/batch/split-rows.ts), and PartitionedBatch built on
// it: each group's columns are the batch a builder fed only that group's records gives (levels,
// values, and a dictionary of just the entries the group uses, in order of first use), and a
// partitioned table takes plain JSON straight from its text into the right partitions, as
// appending the decoded records does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { splitRowsByGroup } from '../../src/batch/split-rows.ts';
import { ValueError } from '../../src/batch/errors.ts';
import type { ColumnBatch } from '../../src/batch/column-batch.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { rng } from '../helpers/rng.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'country', required: false, type: 'string' },
    { id: 3, name: 'blob', required: false, type: 'binary' },
    { id: 4, name: 'uid', required: false, type: 'uuid' },
    { id: 5, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 6, name: 'big', required: false, type: 'decimal(20, 2)' },
    { id: 7, name: 'ok', required: true, type: 'boolean' },
    { id: 8, name: 'score', required: false, type: 'double' },
    { id: 9, name: 'ratio', required: false, type: 'float' },
    { id: 10, name: 'ts', required: false, type: 'timestamptz' },
    { id: 11, name: 'tags', required: false, type: { type: 'list', 'element-id': 12, element: 'string', 'element-required': false } },
    { id: 13, name: 'props', required: false, type: { type: 'map', 'key-id': 14, key: 'string', 'value-id': 15, value: 'long', 'value-required': false } },
    {
      id: 16,
      name: 's',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 17, name: 'a', required: false, type: 'int' },
          { id: 18, name: 'xs', required: false, type: { type: 'list', 'element-id': 19, element: 'double', 'element-required': false } },
        ],
      },
    },
    {
      id: 20,
      name: 'items',
      required: false,
      type: {
        type: 'list',
        'element-id': 21,
        'element-required': true,
        element: { type: 'struct', fields: [{ id: 22, name: 'k', required: true, type: 'string' }] },
      },
    },
  ],
};

/** A random record of `schema`: numbers, strings, nulls, missing keys (`json`: none that JSON cannot carry). */
function record(r: () => number, i: number, json = false): Record<string, unknown> {
  const maybe = <T>(v: () => T): T | null | undefined => {
    const x = r();
    return x < 0.15 ? null : x < 0.25 ? undefined : v();
  };
  const out: Record<string, unknown> = {
    id: Math.floor(r() * 1e9) - 5e8,
    // every seventh a dictionary entry, every fifth a binary, of 64 bytes or more (copied whole, not byte by byte)
    country: maybe(() => (i % 7 === 3 ? `a-country-of-a-long-name-${'x'.repeat(50)}-${i % 3}` : ['de', 'fr', 'us', 'jp', `c${Math.floor(r() * 30)}`][Math.floor(r() * 5)])),
    blob: maybe(() => new Uint8Array(Buffer.from(i % 5 === 0 ? `b${i}-${'y'.repeat(80)}` : `b${i}`))),
    uid: maybe(() => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
    price: maybe(() => Math.floor(r() * 100000) / 100),
    big: maybe(() => `${Math.floor(r() * 1e9)}.${Math.floor(r() * 10)}${Math.floor(r() * 10)}`),
    ok: r() < 0.5,
    score: maybe(() => r() * 1000 - 500),
    ratio: maybe(() => Math.fround(r())),
    ts: maybe(() => new Date(1_767_225_600_000 + Math.floor(r() * 10 * 86_400_000)).toISOString()),
    tags: maybe(() => Array.from({ length: Math.floor(r() * 4) }, () => (r() < 0.2 ? null : `t${Math.floor(r() * 20)}`))),
    props: maybe(() => Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, (_, k) => [`k${k}${Math.floor(r() * 5)}`, r() < 0.2 ? null : Math.floor(r() * 100)]))),
    s: maybe(() => ({ a: maybe(() => Math.floor(r() * 200) - 100), xs: maybe(() => Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.2 ? null : r()))) })),
    items: maybe(() => Array.from({ length: Math.floor(r() * 3) }, () => ({ k: `i${Math.floor(r() * 7)}` }))),
  };
  if (json) delete out.blob; // JSON has no binary value
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Column data as plain arrays, comparable with deepEqual. */
function plain(b: ColumnBatch): unknown {
  return {
    rowCount: b.rowCount,
    columns: b.columns.map((c) => ({
      path: c.columnPath,
      levels: c.levelCount,
      valueCount: c.valueCount,
      def: c.def && [...c.def],
      rep: c.rep && [...c.rep],
      values: c.values && Array.from(c.values as ArrayLike<unknown>),
      offsets: c.offsets && [...c.offsets],
      dict: c.dict && { size: c.dict.size, offsets: [...c.dict.offsets], data: [...c.dict.data], indices: [...c.dict.indices] },
    })),
  };
}

test('splitRowsByGroup: each group is the batch of its records alone, every column kind, nested and repeated; arrays owned', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed * 7919);
    const n = 1 + Math.floor(r() * 300);
    const groups = 1 + Math.floor(r() * 7);
    const records = Array.from({ length: n }, (_, i) => record(r, i));
    // groups in runs of random length, so both single rows and runs are gathered; every group has a row
    const groupOf = new Int32Array(n);
    let g = 0;
    for (let i = 0; i < n; i++) {
      if (i < groups) g = i;
      else if (r() < 0.4) g = Math.floor(r() * groups);
      groupOf[i] = g;
    }
    const used = Math.min(groups, n);
    const all = new RecordBatchBuilder(schema, 't');
    for (const rec of records) all.append(rec);
    const batch = all.finish();
    const split = splitRowsByGroup(batch.columns, n, groupOf, used);
    assert.equal(split.length, used);
    for (let k = 0; k < used; k++) {
      const alone = new RecordBatchBuilder(schema, 't');
      let rows = 0;
      for (let i = 0; i < n; i++) {
        if (groupOf[i] !== k) continue;
        alone.append(records[i]);
        rows++;
      }
      assert.deepEqual(plain({ tableName: 't', rowCount: rows, columns: split[k] }), plain(alone.finish()), `seed ${seed}, group ${k} of ${used}`);
      for (const c of split[k]) {
        for (const a of [c.def, c.rep, c.values, c.offsets, c.dict?.indices, c.dict?.data, c.dict?.offsets]) {
          if (a) assert.notEqual(a.buffer, (batch.columns.find((x) => x.columnPath === c.columnPath)!.values ?? new Uint8Array(0)).buffer, `${c.columnPath}: a fresh array`);
        }
      }
    }
  }
});

test('splitRowsByGroup refuses a group with no rows', () => {
  const b = new RecordBatchBuilder(schema, 't');
  b.append(record(rng(3), 0));
  assert.throws(() => splitRowsByGroup(b.finish().columns, 1, new Int32Array([1]), 2), /group 0 has no rows/);
});

const text = new TextEncoder();

/** The batch's partitions as comparable data, in a stable order. */
function partitions(b: PartitionedBatch): unknown[] {
  const out = b.drain().map((p) => ({ partition: p.partition, batch: plain(p.batch) }));
  return out.sort((x, y) => (JSON.stringify(x.partition, (_, v) => (typeof v === 'bigint' ? String(v) : v)) < JSON.stringify(y.partition, (_, v) => (typeof v === 'bigint' ? String(v) : v)) ? -1 : 1));
}

test('PartitionedBatch, partitioned: plain JSON straight from its text lands in the partitions decoded records land in', () => {
  const specs = [['bucket(16, id)'], ['identity(country)', 'day(ts)'], ['identity(s.a)'], ['truncate(3, country)', 'bucket(4, uid)', 'month(ts)']];
  for (const fields of specs) {
    const spec = buildPartitionSpec(schema, fields).spec;
    for (let seed = 1; seed <= 5; seed++) {
      const r = rng(seed * 104729);
      const direct = new PartitionedBatch('t', schema, spec, { rowGroupBytes: 1 << 14 });
      const objects = new PartitionedBatch('t', schema, spec, { rowGroupBytes: 1 << 14 });
      let straight = 0;
      const takenDirect: unknown[] = [];
      const takenObjects: unknown[] = [];
      for (let i = 0; i < 500; i++) {
        const bytes = text.encode(JSON.stringify(record(r, i, true)));
        if (direct.appendJson(bytes, 0)) straight++;
        else direct.append(decodePlainJson(bytes));
        objects.append(decodePlainJson(bytes));
        if (i % 97 === 96) {
          takenDirect.push(...direct.takeRowGroups().map((p) => ({ partition: p.partition, batch: plain(p.batch) })));
          takenObjects.push(...objects.takeRowGroups().map((p) => ({ partition: p.partition, batch: plain(p.batch) })));
        }
      }
      assert.ok(straight > 250, `${fields.join(', ')}: most records taken from their text (${straight} of 500)`);
      assert.equal(direct.rowCount, 500);
      assert.deepEqual(takenDirect, takenObjects, `${fields.join(', ')}, seed ${seed}: row groups taken`);
      assert.deepEqual(partitions(direct), partitions(objects), `${fields.join(', ')}, seed ${seed}`);
    }
  }
});

test('PartitionedBatch, partitioned: a partition value that does not fit is declined from the text and named by append(), the batch unchanged', () => {
  const narrow: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'd', required: true, type: 'decimal(2, 0)' },
    ],
  };
  const spec = buildPartitionSpec(narrow, ['truncate(10, d)']).spec;
  const b = new PartitionedBatch('t', narrow, spec);
  assert.equal(b.appendJson(text.encode('{"id":1,"d":15}'), 0) || (b.append({ id: 1, d: 15 }), true), true);
  const bad = text.encode('{"id":2,"d":-95}');
  assert.equal(b.appendJson(bad, 0), false, 'truncate(10, -95) = -100 needs 3 digits');
  assert.throws(
    () => b.append(decodePlainJson(bad)),
    (e) => e instanceof ValueError && /does not fit its partition/.test(e.message),
  );
  assert.equal(b.rowCount, 1);
  const parts = b.drain();
  assert.equal(parts.length, 1);
  assert.equal(parts[0].batch.rowCount, 1);
  assert.deepEqual([...(parts[0].batch.columns[0].values as BigInt64Array)], [1n]);
});

test('PartitionedBatch, partitioned by an extra column (Kafka metadata): JSON from its text lands where the merged record lands', () => {
  const withMeta: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'name', required: false, type: 'string' },
      { id: 3, name: '_kafka_partition', required: true, type: 'int' },
      { id: 4, name: '_kafka_offset', required: true, type: 'long' },
    ],
  };
  const extraColumns = ['_kafka_partition', '_kafka_offset'];
  const spec = buildPartitionSpec(withMeta, ['identity(_kafka_partition)', 'bucket(3, name)']).spec;
  const direct = new PartitionedBatch('t', withMeta, spec, { extraColumns });
  const merged = new PartitionedBatch('t', withMeta, spec);
  let straight = 0;
  for (let i = 0; i < 300; i++) {
    const value = { id: i, name: i % 7 === 0 ? null : `n${i % 11}` };
    const extras = [i % 4, BigInt(1000 + i)];
    const bytes = text.encode(JSON.stringify(value));
    if (direct.appendJson(bytes, 0, extras)) straight++;
    else direct.append(decodePlainJson(bytes), extras);
    merged.append({ ...value, _kafka_partition: extras[0], _kafka_offset: extras[1] });
  }
  assert.equal(straight, 300, 'every record taken from its text');
  const got = partitions(direct);
  assert.deepEqual(got, partitions(merged));
  assert.equal(got.length, 4 * 4, '4 Kafka partitions × 3 buckets and null names');
});

test('PartitionedBatch: one-number specs and bucket(N) of a string held as plain bytes give the partitions decoded records give', () => {
  const s2: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'name', required: false, type: 'string' },
      { id: 3, name: 'ts', required: false, type: 'timestamptz' },
    ],
  };
  const letters = ['a', 'Z', 'é', 'ß', '日本', '😀', '-', ' ', 'ø'];
  for (const fields of [['bucket(7, name)'], ['bucket(1000, name)'], ['day(ts)'], ['bucket(16, id)'], ['identity(name)']]) {
    const spec = buildPartitionSpec(s2, fields).spec;
    const r = rng(fields.join().length * 7919);
    const direct = new PartitionedBatch('t', s2, spec);
    const objects = new PartitionedBatch('t', s2, spec);
    let straight = 0;
    let plainNames = 0;
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (let i = 0; i < 6000; i++) {
      // unique names (the dictionary is given up past DICT_PROBE, then rests): plain bytes, some multibyte
      const name = r() < 0.1 ? null : `${i}-${Array.from({ length: 1 + Math.floor(r() * 6) }, () => letters[Math.floor(r() * letters.length)]).join('')}`;
      const ts = r() < 0.1 ? null : new Date(1_767_225_600_000 + Math.floor(r() * 40 * 86_400_000)).toISOString();
      const bytes = text.encode(JSON.stringify({ id: Math.floor(r() * 1e9), name, ts }));
      if (direct.appendJson(bytes, 0)) straight++;
      else direct.append(decodePlainJson(bytes));
      objects.append(decodePlainJson(bytes));
      if (i === 4499 || i === 5999) {
        const d = direct.drain();
        for (const p of d) if (p.batch.columns[1].dict === null && p.batch.columns[1].valueCount > 0) plainNames++;
        got.push(...d.map((p) => ({ partition: p.partition, batch: plain(p.batch) })));
        want.push(...objects.drain().map((p) => ({ partition: p.partition, batch: plain(p.batch) })));
      }
    }
    assert.ok(straight > 5000, `${fields.join()}: most records taken from their text (${straight})`);
    assert.ok(plainNames > 0, `${fields.join()}: some names held as plain bytes`);
    // the partitions and their row counts first (a short message when they differ), then every column
    const shape = (l: unknown[]) => l.map((p) => JSON.stringify((p as { partition: unknown }).partition) + ':' + (p as { batch: { rowCount: number } }).batch.rowCount).join(' ');
    assert.equal(shape(got), shape(want), fields.join());
    assert.deepEqual(got, want, fields.join());
  }
});
