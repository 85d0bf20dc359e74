import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchema, type AvroSchema } from '../../src/iceberg/avro.ts';
import { readAvroFile, readAvroHeader, writeAvroFile } from '../../src/iceberg/avro-file.ts';
import type { DataFile } from '../../src/iceberg/data-file.ts';
import { decimalToFixed, manifestSummary, readManifest, writeManifest, type ManifestEntry } from '../../src/iceberg/manifest.ts';
import { newManifestFile, readManifestList, readManifestListMetadata, writeManifestList, type ManifestFile } from '../../src/iceberg/manifest-list.ts';
import { fromSingleValue, toSingleValue } from '../../src/iceberg/single-value.ts';
import type { PartitionSpec } from '../../src/iceberg/table-metadata.ts';
import type { Schema, StructType } from '../../src/iceberg/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 4,
  fields: [
    { id: 1, name: 'ts', required: true, type: 'timestamptz' },
    { id: 2, name: 'amount', required: false, type: 'decimal(38, 6)' },
    { id: 3, name: 'kind', required: false, type: 'string' },
    { id: 4, name: 'uid', required: false, type: 'uuid' },
    { id: 5, name: 'n', required: false, type: 'long' },
    { id: 6, name: 'raw', required: false, type: 'binary' },
    { id: 7, name: 'flag', required: false, type: 'boolean' },
    { id: 8, name: 'score', required: false, type: 'double' },
    { id: 9, name: 'small', required: false, type: 'decimal(9, 2)' },
  ],
};

const spec: PartitionSpec = {
  'spec-id': 3,
  fields: [
    { 'source-id': 1, 'field-id': 1000, name: 'ts_day', transform: 'day' },
    { 'source-id': 2, 'field-id': 1001, name: 'amount', transform: 'identity' },
    { 'source-id': 3, 'field-id': 1002, name: 'kind', transform: 'identity' },
    { 'source-id': 4, 'field-id': 1003, name: 'uid', transform: 'identity' },
    { 'source-id': 5, 'field-id': 1004, name: 'n', transform: 'identity' },
    { 'source-id': 6, 'field-id': 1005, name: 'raw', transform: 'identity' },
    { 'source-id': 7, 'field-id': 1006, name: 'flag', transform: 'identity' },
    { 'source-id': 8, 'field-id': 1007, name: 'score', transform: 'identity' },
    { 'source-id': 1, 'field-id': 1008, name: 'ts', transform: 'identity' },
    { 'source-id': 9, 'field-id': 1009, name: 'small', transform: 'identity' },
  ],
};

const partitionType: StructType = {
  type: 'struct',
  fields: [
    { id: 1000, name: 'ts_day', required: false, type: 'date' },
    { id: 1001, name: 'amount', required: false, type: 'decimal(38, 6)' },
    { id: 1002, name: 'kind', required: false, type: 'string' },
    { id: 1003, name: 'uid', required: false, type: 'uuid' },
    { id: 1004, name: 'n', required: false, type: 'long' },
    { id: 1005, name: 'raw', required: false, type: 'binary' },
    { id: 1006, name: 'flag', required: false, type: 'boolean' },
    { id: 1007, name: 'score', required: false, type: 'double' },
    { id: 1008, name: 'ts', required: false, type: 'timestamptz' },
    { id: 1009, name: 'small', required: false, type: 'decimal(9, 2)' },
  ],
};

const BIG_SNAPSHOT = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a double
const MAX_SNAPSHOT = (1n << 63n) - 1n;

function file(i: number, partition: unknown[], extra: Partial<DataFile> = {}): DataFile {
  return {
    content: 0,
    'file-path': `s3://bucket/db/t/data/part-${i}.parquet`,
    'file-format': 'PARQUET',
    partition,
    'record-count': 1000 + i,
    'file-size-in-bytes': 4096 * (i + 1),
    ...extra,
  };
}

const fullFile = file(
  0,
  [19_000, -123_456_789_012_345_678_901_234_567_890n, 'kind-é', '123e4567-e89b-12d3-a456-426614174000', -(1n << 62n), Uint8Array.of(0, 1, 255), true, -0.5, 1_700_000_000_000_000n, -1n],
  {
    'column-sizes': new Map([
      [1, 100],
      [2, 5_000_000_000_000],
    ]),
    'value-counts': new Map([
      [1, 1000],
      [2, 1000],
    ]),
    'null-value-counts': new Map([
      [1, 0],
      [2, 7],
    ]),
    'nan-value-counts': new Map([[8, 3]]),
    'lower-bounds': new Map([
      [1, toSingleValue('timestamptz', 1n)],
      [3, toSingleValue('string', 'a')],
    ]),
    'upper-bounds': new Map([
      [1, toSingleValue('timestamptz', 1_700_000_000_000_000n)],
      [3, toSingleValue('string', 'zz')],
    ]),
    'split-offsets': [4, 1_048_576, 9_000_000_000],
    'sort-order-id': 0,
    'key-metadata': Uint8Array.of(9, 8, 7),
  },
);

const entries: ManifestEntry[] = [
  { status: 1, snapshotId: BIG_SNAPSHOT, sequenceNumber: null, fileSequenceNumber: null, dataFile: fullFile },
  { status: 1, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile: file(1, [null, null, null, null, null, null, null, null, null, null]) },
  {
    status: 0,
    snapshotId: MAX_SNAPSHOT,
    sequenceNumber: 5,
    fileSequenceNumber: 6,
    dataFile: file(2, [-1, 1n, '', '00000000-0000-0000-0000-000000000000', 0n, new Uint8Array(0), false, NaN, 0n, 99_999_999n]),
  },
  {
    status: 2,
    snapshotId: 77n,
    sequenceNumber: 2,
    fileSequenceNumber: 2,
    dataFile: file(3, [20_000, 10n ** 37n, 'b', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 5n, Uint8Array.of(1), true, 2.5, -5n, -99_999_999n]),
  },
];

function write(e: ManifestEntry[] = entries, blockBytes?: number): Uint8Array {
  return writeManifest({ schema, spec, partitionType, entries: e, formatVersion: 2, blockBytes });
}

test('manifest round trip: every field, bigint ids above 2^53, null partitions, decimals, bound maps', () => {
  const bytes = write();
  const back = readManifest(bytes);
  assert.equal(back.entries.length, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const want = entries[i];
    const got = back.entries[i];
    assert.equal(got.status, want.status);
    assert.equal(got.snapshotId, want.snapshotId);
    assert.equal(got.sequenceNumber, want.sequenceNumber);
    assert.equal(got.fileSequenceNumber, want.fileSequenceNumber);
    assert.deepEqual(got.dataFile, want.dataFile, `entry ${i}`);
  }
  assert.equal(typeof back.entries[0].snapshotId, 'bigint');
  assert.deepEqual(back.schema, schema);
  assert.equal(back.schemaId, 4);
  assert.equal(back.specId, 3);
  assert.deepEqual(back.partitionSpec, spec);
  assert.deepEqual(back.partitionType, partitionType);
  assert.equal(back.content, 'data');
  assert.equal(back.formatVersion, 2);
});

test('sequence-number inheritance: null values of ADDED entries take the manifest list values', () => {
  const back = readManifest(write(), { inherit: { snapshotId: 123n, sequenceNumber: 9 } });
  const [a, b, c, d] = back.entries;
  assert.deepEqual([a.snapshotId, a.sequenceNumber, a.fileSequenceNumber], [BIG_SNAPSHOT, 9, 9]);
  assert.deepEqual([b.snapshotId, b.sequenceNumber, b.fileSequenceNumber], [123n, 9, 9]);
  assert.deepEqual([c.snapshotId, c.sequenceNumber, c.fileSequenceNumber], [MAX_SNAPSHOT, 5, 6]);
  assert.deepEqual([d.snapshotId, d.sequenceNumber, d.fileSequenceNumber], [77n, 2, 2]);
  const raw = readManifest(write());
  assert.equal(raw.entries[1].snapshotId, null);
  assert.equal(raw.entries[1].sequenceNumber, null);
});

test('the header schema keeps every field id, element id and map logical type', () => {
  const header = readAvroHeader(write());
  const json = JSON.parse(header.metadata['avro.schema']) as AvroSchema;
  const fieldIds: number[] = [];
  const elementIds: number[] = [];
  let mapArrays = 0;
  const walk = (s: unknown): void => {
    if (Array.isArray(s)) return s.forEach(walk);
    if (typeof s !== 'object' || s === null) return;
    const o = s as Record<string, unknown>;
    if (o.type === 'record') {
      for (const f of o.fields as Record<string, unknown>[]) {
        assert.equal(typeof f['field-id'], 'number', `field ${String(f.name)} has a field-id`);
        fieldIds.push(f['field-id'] as number);
        walk(f.type);
      }
    } else if (o.type === 'array') {
      if (o.logicalType === 'map') mapArrays++;
      else elementIds.push(o['element-id'] as number);
      walk(o.items);
    } else if (typeof o.type === 'object') walk(o.type);
  };
  walk(json);
  const expected = [
    0,
    1,
    3,
    4,
    2,
    134,
    100,
    101,
    102,
    ...partitionType.fields.map((f) => f.id),
    103,
    104,
    108,
    117,
    118,
    109,
    119,
    120,
    110,
    121,
    122,
    137,
    138,
    139,
    125,
    126,
    127,
    128,
    129,
    130,
    131,
    132,
    135,
    140,
    143,
  ];
  assert.deepEqual(fieldIds, expected);
  assert.deepEqual(elementIds, [133, 136]);
  assert.equal(mapArrays, 6);
  assert.equal(header.metadata['format-version'], '2');
  assert.equal(header.metadata['partition-spec-id'], '3');
  assert.equal(header.metadata['schema-id'], '4');
  assert.equal(header.metadata.content, 'data');
  assert.deepEqual(JSON.parse(header.metadata['partition-spec']), spec.fields);
  assert.equal(header.codec, 'deflate');
  // partition value Avro types follow the spec's mapping
  const text = header.metadata['avro.schema'];
  assert.match(text, /"name":"ts_day","type":\["null",\{"type":"int","logicalType":"date"\}\]/);
  assert.match(text, /\{"type":"fixed","name":"decimal_38_6","size":16,"logicalType":"decimal","precision":38,"scale":6\}/);
  assert.match(text, /\{"type":"fixed","name":"decimal_9_2","size":4,"logicalType":"decimal","precision":9,"scale":2\}/);
  assert.match(text, /\{"type":"fixed","name":"uuid_fixed","size":16,"logicalType":"uuid"\}/);
  assert.match(text, /"name":"ts","type":\["null",\{"type":"long","logicalType":"timestamp-micros","adjust-to-utc":true\}\]/);
});

test("decimal and uuid partition values are stored as the spec says (fixed, two's complement / 16 raw bytes)", () => {
  assert.deepEqual(decimalToFixed(-1n, 4), Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  assert.deepEqual(decimalToFixed(256n, 3), Uint8Array.of(0, 1, 0));
  assert.throws(() => decimalToFixed(1n << 31n, 4), /does not fit/);
  const records = readAvroFile(write()).records as { data_file: { partition: Record<string, unknown> } }[];
  const p = records[0].data_file.partition;
  assert.deepEqual(p.small, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  assert.equal((p.amount as Uint8Array).length, 16);
  assert.deepEqual(p.uid, Uint8Array.from(Buffer.from('123e4567e89b12d3a456426614174000', 'hex')));
  assert.equal(p.n, -(1n << 62n));
  // decimal strings are accepted on write
  const e: ManifestEntry = { ...entries[2], dataFile: { ...entries[2].dataFile, partition: [1, '-12.5', 'x', null, 1n, null, null, null, null, '0.07'] } };
  const back = readManifest(write([e])).entries[0].dataFile.partition;
  assert.equal(back[1], -12_500_000n);
  assert.equal(back[9], 7n);
  const tooBig: ManifestEntry = { ...e, dataFile: { ...e.dataFile, partition: [1, null, null, null, null, null, null, null, null, 10n ** 9n] } };
  assert.throws(() => write([tooBig]), /exceeds precision 9/);
});

test('write validation: arity, sequence numbers of existing entries, spec/partition ids, content', () => {
  assert.throws(() => write([{ ...entries[0], dataFile: file(9, [1]) }]), /partition has 1 values, spec has 10/);
  assert.throws(() => write([{ ...entries[2], sequenceNumber: null }]), /only ADDED entries may have null sequence numbers/);
  assert.throws(() => write([{ ...entries[3], fileSequenceNumber: null }]), /only ADDED entries/);
  assert.throws(() => writeManifest({ schema, spec: { ...spec, fields: spec.fields.slice(1) }, partitionType, entries: [], formatVersion: 2 }), /partition type has 10 fields/);
  const swapped = { ...spec, fields: [spec.fields[1], spec.fields[0], ...spec.fields.slice(2)] };
  assert.throws(() => writeManifest({ schema, spec: swapped, partitionType, entries: [], formatVersion: 2 }), /has id 1000, spec field has 1001/);
  assert.throws(() => write([{ ...entries[0], dataFile: { ...fullFile, content: 1 } }]), /data manifest cannot hold content 1/);
  assert.throws(() => write([{ ...entries[0], dataFile: { ...fullFile, partition: ['x', ...fullFile.partition.slice(1)] } }]), /^TypeError: data_file\.partition\.ts_day: Avro int: got string x$/);
});

test('unpartitioned manifests and delete manifests', () => {
  const empty: StructType = { type: 'struct', fields: [] };
  const unpart: PartitionSpec = { 'spec-id': 0, fields: [] };
  const e: ManifestEntry = { status: 1, snapshotId: 1n, sequenceNumber: null, fileSequenceNumber: null, dataFile: file(5, []) };
  const bytes = writeManifest({ schema, spec: unpart, partitionType: empty, entries: [e], formatVersion: 2 });
  const back = readManifest(bytes);
  assert.deepEqual(back.entries[0].dataFile, e.dataFile);
  assert.deepEqual(back.partitionType, empty);
  assert.deepEqual(back.partitionSpec, unpart);
  const del: ManifestEntry = { ...e, dataFile: { ...file(6, []), content: 2, 'equality-ids': [1, 3] } };
  const delBytes = writeManifest({ schema, spec: unpart, partitionType: empty, entries: [del], formatVersion: 2, content: 'deletes' });
  const delBack = readManifest(delBytes);
  assert.equal(delBack.content, 'deletes');
  assert.deepEqual(delBack.entries[0].dataFile, del.dataFile);
});

test('thousands of entries: several Avro blocks, exact round trip', () => {
  const many: ManifestEntry[] = Array.from({ length: 5000 }, (_, i) => ({
    status: 1,
    snapshotId: BIG_SNAPSHOT + BigInt(i),
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: file(i, [i, BigInt(i) - 2500n, `k${i % 7}`, null, BigInt(i) << 40n, null, i % 2 === 0, i / 3, BigInt(i) * 1_000_000n, BigInt(-i)], {
      'value-counts': new Map([
        [1, i],
        [2, i * 2],
      ]),
      'lower-bounds': new Map([[1, toSingleValue('timestamptz', BigInt(i))]]),
    }),
  }));
  const bytes = write(many, 16 * 1024);
  assert.ok(readAvroFile(bytes).blockCount > 5);
  const back = readManifest(bytes);
  assert.deepEqual(
    back.entries.map((e) => e.dataFile),
    many.map((e) => e.dataFile),
  );
  assert.deepEqual(
    back.entries.map((e) => e.snapshotId),
    many.map((e) => e.snapshotId),
  );
});

test('reading maps fields by id: a v1-style manifest with other field names and no sequence numbers', () => {
  // A v1 layout (snapshot_id required, block_size_in_bytes, no sequence numbers) with renamed fields:
  // a reader that went by name would fail here.
  const v1: AvroSchema = {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'st', type: 'int', 'field-id': 0 },
      { name: 'snap', type: 'long', 'field-id': 1 },
      {
        name: 'df',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'path', type: 'string', 'field-id': 100 },
            { name: 'fmt', type: 'string', 'field-id': 101 },
            { name: 'part', 'field-id': 102, type: { type: 'record', name: 'r102', fields: [{ name: 'x', type: ['null', 'int'], 'field-id': 1000 }] } },
            { name: 'rows', type: 'long', 'field-id': 103 },
            { name: 'size', type: 'long', 'field-id': 104 },
            { name: 'block_size_in_bytes', type: 'long', 'field-id': 105 },
            {
              name: 'nulls',
              'field-id': 110,
              type: [
                'null',
                {
                  type: 'array',
                  logicalType: 'map',
                  items: {
                    type: 'record',
                    name: 'k121_v122',
                    fields: [
                      { name: 'k', type: 'int', 'field-id': 121 },
                      { name: 'v', type: 'long', 'field-id': 122 },
                    ],
                  },
                },
              ],
            },
          ],
        },
      },
    ],
  };
  const bytes = writeAvroFile(
    v1,
    [{ st: 1, snap: MAX_SNAPSHOT, df: { path: '/a.parquet', fmt: 'parquet', part: { x: 7 }, rows: 10n, size: 20n, block_size_in_bytes: 67108864n, nulls: [{ k: 1, v: 3n }] } }],
    {
      metadata: { 'partition-spec': '[{"name":"x","transform":"identity","source-id":1,"field-id":1000}]', schema: '{"type":"struct","fields":[]}' },
    },
  );
  const back = readManifest(bytes);
  assert.equal(back.formatVersion, 1);
  assert.equal(back.specId, 0);
  const e = back.entries[0];
  assert.deepEqual(e, {
    status: 1,
    snapshotId: MAX_SNAPSHOT,
    sequenceNumber: 0,
    fileSequenceNumber: 0,
    dataFile: { content: 0, 'file-path': '/a.parquet', 'file-format': 'PARQUET', partition: [7], 'record-count': 10, 'file-size-in-bytes': 20, 'null-value-counts': new Map([[1, 3]]) },
  });
  assert.deepEqual(back.partitionType, { type: 'struct', fields: [{ id: 1000, name: 'x', required: false, type: 'int' }] });
});

test('manifestSummary: counts, min sequence number, partition bounds in single-value form', () => {
  const s = manifestSummary(entries, partitionType);
  assert.deepEqual([s.addedFilesCount, s.existingFilesCount, s.deletedFilesCount, s.addedRowsCount, s.existingRowsCount, s.deletedRowsCount], [2, 1, 1, 1000 + 1001, 1002, 1003]);
  assert.equal(s.minSequenceNumber, 5); // live entries only: the deleted one (2) does not count
  const byName = Object.fromEntries(partitionType.fields.map((f, i) => [f.name, s.partitions[i]]));
  const dec = (name: string, which: 'lowerBound' | 'upperBound') => fromSingleValue(partitionType.fields.find((f) => f.name === name)!.type, byName[name][which]!);
  // every field has a null from entry 1
  assert.ok(s.partitions.every((p) => p.containsNull));
  assert.deepEqual([dec('ts_day', 'lowerBound'), dec('ts_day', 'upperBound')], [-1, 20_000]);
  assert.deepEqual([dec('amount', 'lowerBound'), dec('amount', 'upperBound')], [-123_456_789_012_345_678_901_234_567_890n, 10n ** 37n]);
  assert.deepEqual([dec('kind', 'lowerBound'), dec('kind', 'upperBound')], ['', 'kind-é']);
  assert.deepEqual([dec('n', 'lowerBound'), dec('n', 'upperBound')], [-(1n << 62n), 5n]);
  assert.deepEqual([dec('raw', 'lowerBound'), dec('raw', 'upperBound')], [new Uint8Array(0), Uint8Array.of(1)]);
  assert.deepEqual([dec('flag', 'lowerBound'), dec('flag', 'upperBound')], [false, true]);
  assert.deepEqual([dec('score', 'lowerBound'), dec('score', 'upperBound')], [-0.5, 2.5]);
  assert.equal(byName.score.containsNan, true);
  assert.equal(byName.ts_day.containsNan, false);
  assert.deepEqual([dec('ts', 'lowerBound'), dec('ts', 'upperBound')], [-5n, 1_700_000_000_000_000n]);
  assert.deepEqual([dec('small', 'lowerBound'), dec('small', 'upperBound')], [-99_999_999n, 99_999_999n]);
  // decimals: minimal two's complement bytes
  assert.equal(byName.small.upperBound!.length, 4);
  // uuid: java.util.UUID order compares signed 64-bit halves, so ffff… sorts before 0000… and 123e…
  assert.deepEqual([dec('uid', 'lowerBound'), dec('uid', 'upperBound')], ['ffffffff-ffff-ffff-ffff-ffffffffffff', '123e4567-e89b-12d3-a456-426614174000']);
});

test('manifestSummary: -0.0 sorts before +0.0, all-null and all-NaN fields have no bounds, code-point string order', () => {
  const pt: StructType = {
    type: 'struct',
    fields: [
      { id: 1, name: 'd', required: false, type: 'double' },
      { id: 2, name: 's', required: false, type: 'string' },
      { id: 3, name: 'n', required: false, type: 'int' },
      { id: 4, name: 'f', required: false, type: 'float' },
    ],
  };
  const mk = (partition: unknown[]): ManifestEntry => ({ status: 1, snapshotId: 1n, sequenceNumber: 4, fileSequenceNumber: 4, dataFile: file(0, partition) });
  const s = manifestSummary([mk([0, '\uffff', null, NaN]), mk([-0, '😀', null, NaN])], pt);
  assert.ok(Object.is(fromSingleValue('double', s.partitions[0].lowerBound!), -0));
  assert.ok(Object.is(fromSingleValue('double', s.partitions[0].upperBound!), 0));
  // U+1F600 is above U+FFFF in code-point order although its UTF-16 lead unit is smaller
  assert.equal(fromSingleValue('string', s.partitions[1].upperBound!), '😀');
  assert.deepEqual(s.partitions[2], { containsNull: true, containsNan: false, lowerBound: null, upperBound: null });
  assert.deepEqual(s.partitions[3], { containsNull: false, containsNan: true, lowerBound: null, upperBound: null });
  assert.equal(s.minSequenceNumber, 4);
  assert.equal(manifestSummary([], pt).minSequenceNumber, null);
});

test('manifest list round trip: sequence numbers filled for this snapshot, ids exact, summaries kept', () => {
  const snapshotId = MAX_SNAPSHOT - 12n;
  const mBytes = write();
  const summary = manifestSummary(entries, partitionType);
  const own = newManifestFile({ path: 's3://bucket/db/t/metadata/m1.avro', length: mBytes.length, specId: 3, snapshotId, summary });
  const older: ManifestFile = {
    manifestPath: 's3://bucket/db/t/metadata/m0.avro',
    manifestLength: 12_345,
    partitionSpecId: 0,
    content: 1,
    sequenceNumber: 3,
    minSequenceNumber: 1,
    addedSnapshotId: BIG_SNAPSHOT,
    addedFilesCount: 0,
    existingFilesCount: 10,
    deletedFilesCount: 0,
    addedRowsCount: 0,
    existingRowsCount: 9_000_000_000,
    deletedRowsCount: 0,
    partitions: null,
    keyMetadata: Uint8Array.of(1, 2),
  };
  const noLive = { ...own, manifestPath: 's3://x/m2.avro', minSequenceNumber: null, partitions: [] };
  const bytes = writeManifestList({ snapshotId, parentSnapshotId: BIG_SNAPSHOT, sequenceNumber: 11, manifests: [own, older, noLive] });
  const back = readManifestList(bytes);
  assert.deepEqual(back[0], { ...own, sequenceNumber: 11, minSequenceNumber: 5 });
  assert.deepEqual(back[1], older);
  assert.deepEqual(back[2], { ...noLive, sequenceNumber: 11, minSequenceNumber: 11 });
  assert.equal(back[0].addedSnapshotId, snapshotId);
  const meta = readManifestListMetadata(bytes);
  assert.equal(meta['snapshot-id'], snapshotId.toString());
  assert.equal(meta['parent-snapshot-id'], BIG_SNAPSHOT.toString());
  assert.equal(meta['sequence-number'], '11');
  assert.equal(meta['format-version'], '2');
  const first = readManifestListMetadata(writeManifestList({ snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1, manifests: [] }));
  assert.equal(first['parent-snapshot-id'], 'null');
  // header schema keeps ids
  const hs = readAvroHeader(bytes).metadata['avro.schema'];
  for (const id of [500, 501, 502, 503, 504, 505, 506, 507, 509, 510, 511, 512, 513, 514, 515, 516, 517, 518, 519]) assert.match(hs, new RegExp(`"field-id":${id}[,}]`));
  assert.match(hs, /"element-id":508/);
  assert.match(hs, /"name":"r508"/);
  assert.match(hs, /"name":"manifest_file"/);
});

test("manifest list refuses to assign this snapshot's sequence number to another snapshot's manifest", () => {
  const m = newManifestFile({ path: 'p', length: 1, specId: 0, snapshotId: 5n, summary: manifestSummary([], { type: 'struct', fields: [] }) });
  assert.throws(() => writeManifestList({ snapshotId: 6n, parentSnapshotId: 5n, sequenceNumber: 2, manifests: [m] }), /from snapshot 5 has no sequence number/);
});

test('manifest files parse as valid Avro schemas with the manifest_entry names Java uses', () => {
  const node = parseSchema(readAvroHeader(write()).schemaJson as AvroSchema);
  assert.equal(node.kind, 'record');
  if (node.kind !== 'record') return;
  assert.equal(node.name, 'manifest_entry');
  const df = node.fields.find((f) => f.fieldId === 2)!.type;
  assert.equal(df.kind === 'record' && df.name, 'r2');
});

test('v1 manifest lists read with the spec defaults (content 0, sequence numbers 0), fields found by id', () => {
  const v1: AvroSchema = {
    type: 'record',
    name: 'manifest_file',
    fields: [
      { name: 'manifest_path', type: 'string', 'field-id': 500 },
      { name: 'manifest_length', type: 'long', 'field-id': 501 },
      { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
      { name: 'added_snapshot_id', type: ['null', 'long'], 'field-id': 503 },
      { name: 'added_data_files_count', type: ['null', 'int'], 'field-id': 504 },
      { name: 'existing_data_files_count', type: ['null', 'int'], 'field-id': 505 },
      { name: 'deleted_data_files_count', type: ['null', 'int'], 'field-id': 506 },
      {
        name: 'partitions',
        'field-id': 507,
        type: [
          'null',
          {
            type: 'array',
            'element-id': 508,
            items: {
              type: 'record',
              name: 'r508',
              fields: [
                { name: 'contains_null', type: 'boolean', 'field-id': 509 },
                { name: 'lower_bound', type: ['null', 'bytes'], 'field-id': 510 },
                { name: 'upper_bound', type: ['null', 'bytes'], 'field-id': 511 },
              ],
            },
          },
        ],
      },
      { name: 'added_rows_count', type: ['null', 'long'], 'field-id': 512 },
    ],
  };
  const bytes = writeAvroFile(v1, [
    {
      manifest_path: '/m.avro',
      manifest_length: 10n,
      partition_spec_id: 0,
      added_snapshot_id: MAX_SNAPSHOT,
      added_data_files_count: 2,
      existing_data_files_count: null,
      deleted_data_files_count: 0,
      partitions: [{ contains_null: true, lower_bound: Uint8Array.of(1, 0, 0, 0), upper_bound: null }],
      added_rows_count: 9_000_000_000n,
    },
  ]);
  assert.deepEqual(readManifestList(bytes), [
    {
      manifestPath: '/m.avro',
      manifestLength: 10,
      partitionSpecId: 0,
      content: 0,
      sequenceNumber: 0,
      minSequenceNumber: 0,
      addedSnapshotId: MAX_SNAPSHOT,
      addedFilesCount: 2,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: 9_000_000_000,
      existingRowsCount: 0,
      deletedRowsCount: 0,
      partitions: [{ containsNull: true, containsNan: null, lowerBound: Uint8Array.of(1, 0, 0, 0), upperBound: null }],
      keyMetadata: null,
    },
  ]);
});

test('counts beyond 2^53 are refused on read rather than rounded', () => {
  const huge = (2n ** 60n) as unknown as number; // the DataFile type says number; a writer may still hold a bigint
  const e: ManifestEntry = { ...entries[2], dataFile: { ...entries[2].dataFile, 'column-sizes': new Map([[1, huge]]) } };
  const bytes = write([e]);
  assert.throws(() => readManifest(bytes), /column_sizes \(field 108\): entry 1 → bigint 1152921504606846976 is not int → long/);
  const big = { ...e, dataFile: { ...e.dataFile, 'column-sizes': undefined, 'record-count': huge } };
  assert.throws(() => readManifest(write([big])), /record_count: 1152921504606846976 is beyond 2\^53/);
});
