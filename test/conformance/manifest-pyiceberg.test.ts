// Manifests and manifest lists against PyIceberg's own readers and writers:
//  - files we write are read by pyiceberg.manifest.read_manifest_list and
//    ManifestFile.fetch_manifest_entry (with a local PyArrowFileIO) and give our values;
//  - files PyIceberg writes (deflate, null, zstandard, and snappy when python-snappy is
//    installed) are read by ours and give PyIceberg's values, and our manifestSummary over the
//    entries matches the partition summaries PyIceberg put in its manifest list.
// Needs FLOE_TEST_PYTHON: a Python with pyiceberg 0.12 (scripts/stack/setup.sh makes one).
// Fails, not skips, when it is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, stringifyJson } from '../../src/iceberg/json.ts';
import { manifestSummary, readManifest, writeManifest, type ManifestEntry } from '../../src/iceberg/manifest.ts';
import { newManifestFile, readManifestList, readManifestListMetadata, writeManifestList } from '../../src/iceberg/manifest-list.ts';
import { toSingleValue } from '../../src/iceberg/single-value.ts';
import type { PartitionSpec } from '../../src/iceberg/table-metadata.ts';
import type { Schema, StructType } from '../../src/iceberg/types.ts';

const python = process.env.FLOE_TEST_PYTHON;
if (!python) throw new Error('FLOE_TEST_PYTHON is not set: point it at a python with pyiceberg 0.12 (scripts/stack/setup.sh creates one)');

const PY_HELPER = String.raw`
import json, sys, uuid, decimal
from collections.abc import Mapping
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import (read_manifest_list, write_manifest, write_manifest_list, DataFile, ManifestEntry,
    ManifestEntryStatus, DataFileContent, FileFormat)
from pyiceberg.schema import Schema
from pyiceberg.partitioning import PartitionSpec, PartitionField
from pyiceberg.typedef import Record
from pyiceberg.types import NestedField
from pyiceberg.transforms import parse_transform
from pyiceberg import types as T

def enc(v):
    if isinstance(v, float) and v != v: return {"nan": True}
    if v is None or isinstance(v, (bool, int, float, str)): return v
    if isinstance(v, (bytes, bytearray)): return {"hex": bytes(v).hex()}
    if isinstance(v, decimal.Decimal):
        exp = v.as_tuple().exponent
        return {"unscaled": int(v.scaleb(-exp)), "scale": -exp}
    if isinstance(v, uuid.UUID): return {"uuid": str(v)}
    if isinstance(v, Mapping): return {"map": [[enc(k), enc(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)): return [enc(x) for x in v]
    if hasattr(v, "value"): return enc(v.value)
    raise TypeError(f"cannot encode {type(v).__name__}: {v!r}")

def read(args):
    io = PyArrowFileIO()
    out = []
    for mf in read_manifest_list(io.new_input(args["manifestList"])):
        m = {k: enc(getattr(mf, k)) for k in ["manifest_path", "manifest_length", "partition_spec_id", "content",
             "sequence_number", "min_sequence_number", "added_snapshot_id", "added_files_count", "existing_files_count",
             "deleted_files_count", "added_rows_count", "existing_rows_count", "deleted_rows_count", "key_metadata"]}
        m["partitions"] = None if mf.partitions is None else [
            {"contains_null": p.contains_null, "contains_nan": p.contains_nan, "lower_bound": enc(p.lower_bound), "upper_bound": enc(p.upper_bound)}
            for p in mf.partitions]
        entries = []
        for e in mf.fetch_manifest_entry(io, discard_deleted=False):
            df = e.data_file
            d = {k: enc(getattr(df, k)) for k in ["content", "file_path", "file_format", "record_count", "file_size_in_bytes",
                 "column_sizes", "value_counts", "null_value_counts", "nan_value_counts", "lower_bounds", "upper_bounds",
                 "key_metadata", "split_offsets", "equality_ids", "sort_order_id"]}
            d["partition"] = [enc(df.partition[i]) for i in range(len(df.partition))]
            entries.append({"status": enc(e.status), "snapshot_id": e.snapshot_id, "sequence_number": e.sequence_number,
                            "file_sequence_number": e.file_sequence_number, "data_file": d})
        m["entries"] = entries
        out.append(m)
    print(json.dumps(out))

SIMPLE = {"boolean": T.BooleanType(), "int": T.IntegerType(), "long": T.LongType(), "float": T.FloatType(),
          "double": T.DoubleType(), "date": T.DateType(), "time": T.TimeType(), "timestamp": T.TimestampType(),
          "timestamptz": T.TimestamptzType(), "string": T.StringType(), "uuid": T.UUIDType(), "binary": T.BinaryType()}

def itype(s):
    if s in SIMPLE: return SIMPLE[s]
    if s.startswith("decimal"):
        p, sc = s[s.index("(") + 1:-1].split(",")
        return T.DecimalType(int(p), int(sc))
    if s.startswith("fixed"): return T.FixedType(int(s[6:-1]))
    raise ValueError(s)

def dec(v, t):
    if v is None: return None
    if isinstance(v, dict) and "nan" in v: return float("nan")
    if t.startswith("decimal"): return decimal.Decimal(v["unscaled"]).scaleb(-v["scale"])
    if t == "uuid": return uuid.UUID(v["uuid"])
    if t == "binary" or t.startswith("fixed"): return bytes.fromhex(v["hex"])
    return v

def write(args):
    io = PyArrowFileIO()
    schema = Schema(*[NestedField(f["id"], f["name"], itype(f["type"]), required=f["required"]) for f in args["schema"]["fields"]],
                    schema_id=args["schema"]["schema-id"])
    spec = PartitionSpec(*[PartitionField(f["source-id"], f["field-id"], parse_transform(f["transform"]), f["name"])
                           for f in args["spec"]["fields"]], spec_id=args["spec"]["spec-id"])
    ptypes = args["partitionTypes"]
    snap = args["snapshotId"]
    codec = args["codec"]
    with write_manifest(2, spec, schema, io.new_output(args["manifestPath"]), snap, codec) as w:
        for e in args["entries"]:
            df = e["data_file"]
            kw = dict(content=DataFileContent(df["content"]), file_path=df["file_path"], file_format=FileFormat(df["file_format"]),
                      partition=Record(*[dec(v, t) for v, t in zip(df["partition"], ptypes)]),
                      record_count=df["record_count"], file_size_in_bytes=df["file_size_in_bytes"])
            for k in ["column_sizes", "value_counts", "null_value_counts", "nan_value_counts"]:
                if df.get(k) is not None: kw[k] = {int(a): b for a, b in df[k]}
            for k in ["lower_bounds", "upper_bounds"]:
                if df.get(k) is not None: kw[k] = {int(a): bytes.fromhex(b) for a, b in df[k]}
            for k in ["split_offsets", "equality_ids", "sort_order_id"]:
                if df.get(k) is not None: kw[k] = df[k]
            entry = ManifestEntry.from_args(status=ManifestEntryStatus(e["status"]), snapshot_id=e.get("snapshot_id"),
                sequence_number=e.get("sequence_number"), file_sequence_number=e.get("file_sequence_number"),
                data_file=DataFile.from_args(**kw))
            {1: w.add, 0: w.existing, 2: w.delete}[e["status"]](entry)
    mf = w.to_manifest_file()
    with write_manifest_list(2, io.new_output(args["manifestListPath"]), snap, args.get("parentSnapshotId"),
                             args["sequenceNumber"], codec) as lw:
        lw.add_manifests([mf])
    print(json.dumps({"ok": True}))

def codecs(args):
    try:
        import snappy  # noqa: F401
        has_snappy = True
    except ImportError:
        has_snappy = False
    import pyiceberg
    print(json.dumps({"snappy": has_snappy, "version": pyiceberg.__version__}))

if __name__ == "__main__":
    args = json.loads(sys.stdin.read())
    {"read": read, "write": write, "codecs": codecs}[args["mode"]](args)
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'floe-manifest-py-'));
  writeFileSync(join(dir, 'helper.py'), PY_HELPER);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function py(args: Record<string, unknown>): unknown {
  const r = spawnSync(python!, [join(dir, 'helper.py')], { input: stringifyJson(args), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python helper failed (${r.status}):\n${r.stderr}`);
  return parseJson(r.stdout);
}

// ---- shared table layout ---------------------------------------------------------------

const schema: Schema = {
  type: 'struct',
  'schema-id': 2,
  fields: [
    { id: 1, name: 'ts', required: false, type: 'timestamptz' }, // optional: its day() partition holds nulls
    { id: 2, name: 'amount', required: false, type: 'decimal(20, 4)' },
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
  'spec-id': 1,
  fields: [
    { 'source-id': 1, 'field-id': 1000, name: 'ts_day', transform: 'day' },
    { 'source-id': 2, 'field-id': 1001, name: 'amount', transform: 'identity' },
    { 'source-id': 3, 'field-id': 1002, name: 'kind', transform: 'identity' },
    { 'source-id': 4, 'field-id': 1003, name: 'uid', transform: 'identity' },
    { 'source-id': 5, 'field-id': 1004, name: 'n', transform: 'identity' },
    { 'source-id': 6, 'field-id': 1005, name: 'raw', transform: 'identity' },
    { 'source-id': 7, 'field-id': 1006, name: 'flag', transform: 'identity' },
    { 'source-id': 8, 'field-id': 1007, name: 'score', transform: 'identity' },
    { 'source-id': 9, 'field-id': 1008, name: 'small', transform: 'identity' },
  ],
};
const partitionType: StructType = {
  type: 'struct',
  fields: [
    { id: 1000, name: 'ts_day', required: false, type: 'date' },
    { id: 1001, name: 'amount', required: false, type: 'decimal(20, 4)' },
    { id: 1002, name: 'kind', required: false, type: 'string' },
    { id: 1003, name: 'uid', required: false, type: 'uuid' },
    { id: 1004, name: 'n', required: false, type: 'long' },
    { id: 1005, name: 'raw', required: false, type: 'binary' },
    { id: 1006, name: 'flag', required: false, type: 'boolean' },
    { id: 1007, name: 'score', required: false, type: 'double' },
    { id: 1008, name: 'small', required: false, type: 'decimal(9, 2)' },
  ],
};
const SCALES = [0, 4, 0, 0, 0, 0, 0, 0, 2];
const KINDS = ['date', 'decimal', 'string', 'uuid', 'long', 'binary', 'boolean', 'double', 'decimal'] as const;

const SNAP = 9_007_199_254_740_993n; // 2^53 + 1
const OLD_SNAP = (1n << 63n) - 1n;

// ---- value shapes shared with the helper ------------------------------------------------

/** Our partition value → the helper's JSON shape. */
function pyPartition(v: unknown, i: number): unknown {
  if (v === null) return null;
  switch (KINDS[i]) {
    case 'decimal':
      return { unscaled: v as bigint, scale: SCALES[i] };
    case 'uuid':
      return { uuid: v };
    case 'binary':
      return { hex: Buffer.from(v as Uint8Array).toString('hex') };
    case 'double':
      return Number.isNaN(v) ? { nan: true } : v;
    default:
      return v;
  }
}

const hex = (b: Uint8Array | undefined | null) => (b ? { hex: Buffer.from(b).toString('hex') } : null);
const pyMap = <V>(m: Map<number, V> | undefined, f: (v: V) => unknown) => (m ? { map: [...m].map(([k, v]) => [k, f(v)]) } : null);

/** Integers as bigint everywhere so that JSON numbers and our bigints compare. */
function norm(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0)) return BigInt(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

function pyEntry(e: ManifestEntry) {
  const f = e.dataFile;
  return {
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: f.content,
      file_path: f['file-path'],
      file_format: f['file-format'],
      record_count: f['record-count'],
      file_size_in_bytes: f['file-size-in-bytes'],
      column_sizes: pyMap(f['column-sizes'], (x) => x),
      value_counts: pyMap(f['value-counts'], (x) => x),
      null_value_counts: pyMap(f['null-value-counts'], (x) => x),
      nan_value_counts: pyMap(f['nan-value-counts'], (x) => x),
      lower_bounds: pyMap(f['lower-bounds'], hex),
      upper_bounds: pyMap(f['upper-bounds'], hex),
      key_metadata: hex(f['key-metadata']),
      split_offsets: f['split-offsets'] ?? null,
      equality_ids: f['equality-ids'] ?? null,
      sort_order_id: f['sort-order-id'] ?? null,
      partition: f.partition.map(pyPartition),
    },
  };
}

function dataFile(i: number, partition: unknown[], extra: Partial<ManifestEntry['dataFile']> = {}): ManifestEntry['dataFile'] {
  return {
    content: 0,
    'file-path': `s3://warehouse/db/t/data/ts_day=x/part-${i}.parquet`,
    'file-format': 'PARQUET',
    partition,
    'record-count': 100 + i,
    'file-size-in-bytes': 10_000 + i,
    ...extra,
  };
}

// ---- ours → PyIceberg ------------------------------------------------------------------

test('PyIceberg reads our manifest list and manifest with the same values', () => {
  const entries: ManifestEntry[] = [
    {
      status: 1,
      snapshotId: SNAP,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile: dataFile(0, [19_723, -1_234_567_890_123_456n, 'café', '123e4567-e89b-12d3-a456-426614174000', -(1n << 60n), Uint8Array.of(0, 255), true, 1.5, 12_345n], {
        'column-sizes': new Map([
          [1, 123],
          [2, 6_000_000_000],
        ]),
        'value-counts': new Map([
          [1, 100],
          [2, 100],
        ]),
        'null-value-counts': new Map([
          [1, 0],
          [2, 4],
        ]),
        'nan-value-counts': new Map([[8, 2]]),
        'lower-bounds': new Map([
          [1, toSingleValue('timestamptz', 1_700_000_000_000_000n)],
          [3, toSingleValue('string', 'a')],
        ]),
        'upper-bounds': new Map([
          [1, toSingleValue('timestamptz', 1_700_000_900_000_000n)],
          [3, toSingleValue('string', 'zzz')],
        ]),
        'split-offsets': [4, 5_000_000_000],
        'sort-order-id': 0,
        'key-metadata': Uint8Array.of(1, 2, 3),
      }),
    },
    { status: 1, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile: dataFile(1, [null, null, null, null, null, null, null, null, null]) },
    {
      status: 0,
      snapshotId: OLD_SNAP,
      sequenceNumber: 3,
      fileSequenceNumber: 4,
      dataFile: dataFile(2, [-5, 99_999_999_999_999_999_999n, '', '00000000-0000-0000-0000-000000000001', 7n, new Uint8Array(0), false, NaN, -99_999_999n]),
    },
    { status: 2, snapshotId: SNAP, sequenceNumber: 2, fileSequenceNumber: 2, dataFile: dataFile(3, [20_000, 1n, 'z', null, null, Uint8Array.of(7), null, -2.25, 0n]) },
  ];
  const manifestPath = join(dir, 'ours-m.avro');
  const listPath = join(dir, 'ours-ml.avro');
  const mBytes = writeManifest({ schema, spec, partitionType, entries, formatVersion: 2 });
  writeFileSync(manifestPath, mBytes);
  const summary = manifestSummary(entries, partitionType);
  const mf = newManifestFile({ path: manifestPath, length: mBytes.length, specId: spec['spec-id'], snapshotId: SNAP, summary });
  writeFileSync(listPath, writeManifestList({ snapshotId: SNAP, parentSnapshotId: OLD_SNAP, sequenceNumber: 8, manifests: [mf] }));

  const got = py({ mode: 'read', manifestList: listPath }) as Record<string, unknown>[];
  assert.equal(got.length, 1);
  const m = got[0];
  assert.deepEqual(
    norm({ ...m, entries: undefined, partitions: undefined }),
    norm({
      manifest_path: manifestPath,
      manifest_length: mBytes.length,
      partition_spec_id: 1,
      content: 0,
      sequence_number: 8,
      min_sequence_number: 3,
      added_snapshot_id: SNAP,
      added_files_count: 2,
      existing_files_count: 1,
      deleted_files_count: 1,
      added_rows_count: 201,
      existing_rows_count: 102,
      deleted_rows_count: 103,
      key_metadata: null,
      entries: undefined,
      partitions: undefined,
    }),
  );
  assert.deepEqual(
    norm(m.partitions),
    norm(summary.partitions.map((p) => ({ contains_null: p.containsNull, contains_nan: p.containsNan, lower_bound: hex(p.lowerBound), upper_bound: hex(p.upperBound) }))),
  );
  // PyIceberg applies inheritance from the list: ADDED entries get sequence number 8, null snapshot ids the list's
  const inherited = readManifest(mBytes, { inherit: { snapshotId: SNAP, sequenceNumber: 8 } }).entries;
  assert.equal(inherited[1].snapshotId, SNAP);
  assert.equal(inherited[0].sequenceNumber, 8);
  assert.deepEqual(norm(m.entries), norm(inherited.map(pyEntry)));
});

// ---- PyIceberg → ours ------------------------------------------------------------------

const pyEntries = [
  {
    status: 1,
    snapshot_id: OLD_SNAP,
    data_file: {
      content: 0,
      file_path: 's3://w/a.parquet',
      file_format: 'PARQUET',
      partition: [19_000, { unscaled: -12_345_678n, scale: 4 }, 'héllo', { uuid: '123e4567-e89b-12d3-a456-426614174000' }, 1n << 62n, { hex: '00ff' }, true, 0.25, { unscaled: 5n, scale: 2 }],
      record_count: 10,
      file_size_in_bytes: 2_000,
      column_sizes: [
        [1, 50],
        [2, 7_000_000_000],
      ],
      null_value_counts: [[3, 1]],
      lower_bounds: [[3, '61']],
      upper_bounds: [[3, '7a7a']],
      split_offsets: [4, 1_000],
      sort_order_id: 0,
    },
  },
  {
    status: 0,
    snapshot_id: 5,
    sequence_number: 3,
    file_sequence_number: 4,
    data_file: {
      content: 0,
      file_path: 's3://w/b.parquet',
      file_format: 'PARQUET',
      partition: [null, null, null, null, null, null, null, null, null],
      record_count: 3,
      file_size_in_bytes: 30,
    },
  },
  {
    status: 2,
    snapshot_id: OLD_SNAP,
    sequence_number: 2,
    file_sequence_number: 2,
    data_file: {
      content: 0,
      file_path: 's3://w/c.parquet',
      file_format: 'PARQUET',
      partition: [20_001, { unscaled: 1n, scale: 4 }, 'a', { uuid: '00000000-0000-0000-0000-000000000002' }, -3n, { hex: '' }, false, { nan: true }, { unscaled: -99_999_999n, scale: 2 }],
      record_count: 7,
      file_size_in_bytes: 70,
    },
  },
];

/** What our reader should give for pyEntries (before inheritance). */
function expectedFromPy(): ManifestEntry[] {
  return pyEntries.map((e) => {
    const d = e.data_file as Record<string, unknown>;
    const partition = (d.partition as unknown[]).map((v, i) => {
      if (v === null) return null;
      const o = v as Record<string, unknown>;
      switch (KINDS[i]) {
        case 'decimal':
          return o.unscaled;
        case 'uuid':
          return o.uuid;
        case 'binary':
          return new Uint8Array(Buffer.from(o.hex as string, 'hex'));
        case 'double':
          return typeof v === 'number' ? v : NaN;
        case 'long':
          return v;
        default:
          return v;
      }
    });
    const df: ManifestEntry['dataFile'] = {
      content: 0,
      'file-path': d.file_path as string,
      'file-format': 'PARQUET',
      partition,
      'record-count': d.record_count as number,
      'file-size-in-bytes': d.file_size_in_bytes as number,
    };
    const nums = (k: string) => (d[k] ? new Map((d[k] as [number, number][]).map(([a, b]) => [a, b])) : undefined);
    const bins = (k: string) => (d[k] ? new Map((d[k] as [number, string][]).map(([a, b]) => [a, new Uint8Array(Buffer.from(b, 'hex'))])) : undefined);
    if (nums('column_sizes')) df['column-sizes'] = nums('column_sizes');
    if (nums('null_value_counts')) df['null-value-counts'] = nums('null_value_counts');
    if (bins('lower_bounds')) df['lower-bounds'] = bins('lower_bounds');
    if (bins('upper_bounds')) df['upper-bounds'] = bins('upper_bounds');
    if (d.split_offsets) df['split-offsets'] = d.split_offsets as number[];
    if (d.sort_order_id !== undefined) df['sort-order-id'] = d.sort_order_id as number;
    return {
      status: e.status as 0 | 1 | 2,
      snapshotId: BigInt(e.snapshot_id),
      sequenceNumber: (e as { sequence_number?: number }).sequence_number ?? null,
      fileSequenceNumber: (e as { file_sequence_number?: number }).file_sequence_number ?? null,
      dataFile: df,
    };
  });
}

const available = py({ mode: 'codecs' }) as { snappy: boolean; version: string };

for (const codec of ['deflate', 'null', 'zstandard', 'snappy'] as const) {
  test(`we read PyIceberg ${available.version}'s manifest list and manifest (codec ${codec})`, () => {
    if (codec === 'snappy') assert.ok(available.snappy, 'python-snappy is in test/helpers/requirements.txt, so FLOE_TEST_PYTHON has it');
    const manifestPath = join(dir, `py-m-${codec}.avro`);
    const listPath = join(dir, `py-ml-${codec}.avro`);
    py({
      mode: 'write',
      codec,
      manifestPath,
      manifestListPath: listPath,
      snapshotId: OLD_SNAP,
      parentSnapshotId: SNAP,
      sequenceNumber: 12,
      schema,
      spec,
      partitionTypes: partitionType.fields.map((f) => f.type),
      entries: pyEntries,
    });
    const listBytes = readFileSync(listPath);
    const meta = readManifestListMetadata(listBytes);
    assert.equal(meta['avro.codec'], codec);
    assert.equal(meta['snapshot-id'], OLD_SNAP.toString());
    assert.equal(meta['parent-snapshot-id'], SNAP.toString());
    assert.equal(meta['sequence-number'], '12');
    const list = readManifestList(listBytes);
    assert.equal(list.length, 1);
    const mf = list[0];
    const mBytes = readFileSync(manifestPath);
    assert.equal(mf.manifestPath, manifestPath);
    assert.equal(mf.manifestLength, mBytes.length);
    assert.equal(mf.partitionSpecId, 1);
    assert.equal(mf.addedSnapshotId, OLD_SNAP);
    assert.equal(mf.sequenceNumber, 12);
    assert.equal(mf.minSequenceNumber, 3);

    const back = readManifest(mBytes);
    const want = expectedFromPy();
    assert.deepEqual(back.entries, want);
    assert.equal(back.specId, 1);
    assert.deepEqual(back.partitionType, partitionType);
    assert.deepEqual(
      back.partitionSpec?.fields.map((f) => [f['field-id'], f['source-id'], f.name, f.transform]),
      spec.fields.map((f) => [f['field-id'], f['source-id'], f.name, f.transform]),
    );
    assert.equal(back.content, 'data');
    assert.equal(back.formatVersion, 2);
    assert.deepEqual(
      back.schema?.fields.map((f) => [f.id, f.name, f.type]),
      schema.fields.map((f) => [f.id, f.name, f.type]),
    );
    const inherited = readManifest(mBytes, { inherit: { snapshotId: mf.addedSnapshotId, sequenceNumber: mf.sequenceNumber! } }).entries;
    assert.deepEqual([inherited[0].sequenceNumber, inherited[0].fileSequenceNumber], [12, 12]);

    // our summary of the same entries equals the one PyIceberg wrote (values chosen where
    // Python's min/max and Java's comparators agree: no ±0.0 ties, no UUIDs across the sign bit)
    const ours = manifestSummary(back.entries, back.partitionType);
    assert.deepEqual(
      [ours.addedFilesCount, ours.existingFilesCount, ours.deletedFilesCount, ours.addedRowsCount, ours.existingRowsCount, ours.deletedRowsCount],
      [mf.addedFilesCount, mf.existingFilesCount, mf.deletedFilesCount, mf.addedRowsCount, mf.existingRowsCount, mf.deletedRowsCount],
    );
    assert.deepEqual(ours.partitions, mf.partitions);
  });
}
