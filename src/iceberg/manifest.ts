// Iceberg manifest files (table spec, "Manifests"): Avro container files of manifest_entry
// records, written in the v2 layout Java Iceberg uses (same field ids, names, record names and
// header keys), and read by field id so that files from Java Iceberg and PyIceberg (v1 or v2)
// read the same.
//
// Sequence-number inheritance: an entry ADDED by the snapshot being written carries null
// sequence numbers (the snapshot's sequence number is only known at commit; a manifest can be
// reused across commit retries). The manifest list records the manifest's sequence number;
// pass it to readManifest as `inherit` to get the effective values:
//   snapshotId null → inherit.snapshotId (any status)
//   sequenceNumber / fileSequenceNumber null and status ADDED → inherit.sequenceNumber
// Without `inherit`, nulls stay null. Entries with status EXISTING or DELETED must carry
// both sequence numbers explicitly (writeManifest checks this).
//
// Partition values in JS, per the partition field's result type:
//   int, date → number          long, time, timestamp* → bigint (number accepted on write)
//   string → string             binary, fixed → Uint8Array
//   uuid → canonical string (16 bytes accepted on write)
//   decimal → bigint unscaled value (a decimal string accepted on write)
//   boolean → boolean           float, double → number          null → null

import { stringifyJson, parseJson } from './json.ts';
import type { AvroField, AvroNode, AvroRecordNode } from './avro.ts';
import { fieldsById, parseSchema, unwrapOptional } from './avro.ts';
import type { AvroWriteCodec } from './avro-file.ts';
import { readAvroFile, writeAvroFile } from './avro-file.ts';
import { avroRecordToStruct, structToAvro } from './avro-iceberg.ts';
import type { DataFile, FileContent } from './data-file.ts';
import { bigIntFromBytes, parseDecimalString, toSingleValue, uuidFromBytes, uuidToBytes } from './single-value.ts';
import type { PartitionField, PartitionSpec } from './table-metadata.ts';
import type { IcebergType, Schema, StructType } from './types.ts';
import { decimalParams, decimalRequiredBytes, primitiveKind, typeToString } from './types.ts';

export type ManifestEntryStatus = 0 | 1 | 2; // EXISTING, ADDED, DELETED
export const EXISTING = 0;
export const ADDED = 1;
export const DELETED = 2;

export interface ManifestEntry {
  status: ManifestEntryStatus;
  /** Snapshot that added (or deleted) the file; null = inherit from the manifest list. */
  snapshotId: bigint | null;
  /** Data sequence number; null only for ADDED entries (inherited). */
  sequenceNumber: number | null;
  /** File sequence number; null only for ADDED entries (inherited). */
  fileSequenceNumber: number | null;
  dataFile: DataFile;
}

export type ManifestContentName = 'data' | 'deletes';

export interface WriteManifestOptions {
  schema: Schema;
  spec: PartitionSpec;
  /** The spec's result struct: fields with the partition field ids and result types. */
  partitionType: StructType;
  entries: ManifestEntry[];
  formatVersion: 2;
  /** Default "data". */
  content?: ManifestContentName;
  /** Default "deflate". */
  codec?: AvroWriteCodec;
  /** Avro block size (uncompressed bytes); default 64 KiB. */
  blockBytes?: number;
  syncMarker?: Uint8Array;
}

export interface ReadManifestOptions {
  /** Values from this manifest's manifest-list entry, for sequence-number inheritance. */
  inherit?: { snapshotId: bigint; sequenceNumber: number };
}

export interface ManifestContents {
  entries: ManifestEntry[];
  /** Table schema from the header ("schema"), if present. */
  schema?: Schema;
  schemaId?: number;
  specId: number;
  /** The spec from the header ("partition-spec" fields and "partition-spec-id"). */
  partitionSpec?: PartitionSpec;
  /** The partition struct as the file's Avro schema declares it. */
  partitionType: StructType;
  content: ManifestContentName;
  formatVersion: number;
}

// ---------------------------------------------------------------------------------------------
// The manifest_entry schema (v2, as Java's V2Metadata writes it)

const optMap = (id: number, name: string, keyId: number, valueId: number, value: IcebergType) => ({
  id,
  name,
  required: false,
  type: { type: 'map' as const, 'key-id': keyId, key: 'int' as IcebergType, 'value-id': valueId, value, 'value-required': true },
});

/** The v2 data_file struct for a partition type. */
export function dataFileType(partitionType: StructType): StructType {
  return {
    type: 'struct',
    fields: [
      { id: 134, name: 'content', required: true, type: 'int' },
      { id: 100, name: 'file_path', required: true, type: 'string' },
      { id: 101, name: 'file_format', required: true, type: 'string' },
      { id: 102, name: 'partition', required: true, type: partitionType },
      { id: 103, name: 'record_count', required: true, type: 'long' },
      { id: 104, name: 'file_size_in_bytes', required: true, type: 'long' },
      optMap(108, 'column_sizes', 117, 118, 'long'),
      optMap(109, 'value_counts', 119, 120, 'long'),
      optMap(110, 'null_value_counts', 121, 122, 'long'),
      optMap(137, 'nan_value_counts', 138, 139, 'long'),
      optMap(125, 'lower_bounds', 126, 127, 'binary'),
      optMap(128, 'upper_bounds', 129, 130, 'binary'),
      { id: 131, name: 'key_metadata', required: false, type: 'binary' },
      { id: 132, name: 'split_offsets', required: false, type: { type: 'list', 'element-id': 133, element: 'long', 'element-required': true } },
      { id: 135, name: 'equality_ids', required: false, type: { type: 'list', 'element-id': 136, element: 'int', 'element-required': true } },
      { id: 140, name: 'sort_order_id', required: false, type: 'int' },
      { id: 143, name: 'referenced_data_file', required: false, type: 'string' },
    ],
  };
}

/** The v2 manifest_entry struct for a partition type. */
export function manifestEntryType(partitionType: StructType): StructType {
  return {
    type: 'struct',
    fields: [
      { id: 0, name: 'status', required: true, type: 'int' },
      { id: 1, name: 'snapshot_id', required: false, type: 'long' },
      { id: 3, name: 'sequence_number', required: false, type: 'long' },
      { id: 4, name: 'file_sequence_number', required: false, type: 'long' },
      { id: 2, name: 'data_file', required: true, type: dataFileType(partitionType) },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Partition values

/** Avro value for a partition value of Iceberg type `type` (see the module comment). */
function partitionToAvro(type: IcebergType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof type !== 'string') throw new TypeError(`partition field of nested type ${typeToString(type)}`);
  switch (primitiveKind(type)) {
    case 'decimal': {
      const { precision, scale } = decimalParams(type)!;
      const unscaled = typeof v === 'bigint' ? v : typeof v === 'string' ? parseDecimalString(v, scale) : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (unscaled === undefined) throw new TypeError(`decimal partition value: expected bigint unscaled value, got ${typeof v}`);
      const limit = 10n ** BigInt(precision);
      if (unscaled >= limit || unscaled <= -limit) throw new RangeError(`decimal partition value ${unscaled} (unscaled) exceeds precision ${precision}`);
      return decimalToFixed(unscaled, decimalRequiredBytes(precision));
    }
    case 'uuid':
      if (typeof v === 'string') return uuidToBytes(v);
      return v;
    default:
      return v;
  }
}

/** Two's-complement big-endian of `v`, sign-extended to exactly `size` bytes. */
export function decimalToFixed(v: bigint, size: number): Uint8Array {
  const bits = BigInt(8 * size);
  if (v >= 1n << (bits - 1n) || v < -(1n << (bits - 1n))) throw new RangeError(`decimal unscaled value ${v} does not fit ${size} bytes`);
  let x = BigInt.asUintN(8 * size, v);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function partitionFromAvro(type: IcebergType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof type !== 'string') return v;
  switch (primitiveKind(type)) {
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return typeof v === 'number' ? BigInt(v) : v;
    case 'decimal':
      return v instanceof Uint8Array ? bigIntFromBytes(v) : v;
    case 'uuid':
      return v instanceof Uint8Array ? uuidFromBytes(v) : v;
    default:
      return v;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

// map<int, X> fields are given to the Avro encoder as JS Maps (it writes them as key/value records)
function mapToAvro<V>(m: Map<number, V> | undefined): Map<number, V> | null {
  return m ?? null;
}

/** Encode a v2 manifest file. */
export function writeManifest(options: WriteManifestOptions): Uint8Array {
  const { schema, spec, partitionType, entries } = options;
  if (options.formatVersion !== 2) throw new Error(`writeManifest writes format version 2, got ${String(options.formatVersion)}`);
  const content = options.content ?? 'data';
  if (partitionType.fields.length !== spec.fields.length) {
    throw new Error(`partition type has ${partitionType.fields.length} fields, spec ${spec['spec-id']} has ${spec.fields.length}`);
  }
  for (let i = 0; i < spec.fields.length; i++) {
    if (spec.fields[i]['field-id'] !== partitionType.fields[i].id) {
      throw new Error(`partition type field ${i} has id ${partitionType.fields[i].id}, spec field has ${spec.fields[i]['field-id']}`);
    }
  }
  const avroSchema = structToAvro(manifestEntryType(partitionType), 'manifest_entry');
  // the Avro names of the partition fields (sanitized like Java when needed)
  const entryNode = parseSchema(avroSchema) as AvroRecordNode;
  const dataFileNode = unwrapOptional(fieldsById(entryNode).get(2)!.type) as AvroRecordNode;
  const partNode = unwrapOptional(fieldsById(dataFileNode).get(102)!.type) as AvroRecordNode;
  const partNames = partNode.fields.map((f) => f.name);
  const partTypes = partitionType.fields.map((f) => f.type);

  const records = entries.map((e, idx) => {
    if (e.status !== 0 && e.status !== 1 && e.status !== 2) throw new Error(`entry ${idx}: invalid status ${String(e.status)}`);
    if (e.status !== ADDED && (e.sequenceNumber === null || e.fileSequenceNumber === null)) {
      throw new Error(`entry ${idx} (${e.dataFile['file-path']}): only ADDED entries may have null sequence numbers`);
    }
    const f = e.dataFile;
    if (content === 'data' && f.content !== 0) throw new Error(`entry ${idx}: a data manifest cannot hold content ${f.content}`);
    if (content === 'deletes' && f.content === 0) throw new Error(`entry ${idx}: a delete manifest cannot hold data files`);
    if (f.partition.length !== partNames.length) {
      throw new Error(`entry ${idx} (${f['file-path']}): partition has ${f.partition.length} values, spec has ${partNames.length}`);
    }
    const partition: Record<string, unknown> = {};
    for (let i = 0; i < partNames.length; i++) partition[partNames[i]] = partitionToAvro(partTypes[i], f.partition[i]);
    return {
      status: e.status,
      snapshot_id: e.snapshotId,
      sequence_number: e.sequenceNumber,
      file_sequence_number: e.fileSequenceNumber,
      data_file: {
        content: f.content,
        file_path: f['file-path'],
        file_format: f['file-format'],
        partition,
        record_count: f['record-count'],
        file_size_in_bytes: f['file-size-in-bytes'],
        column_sizes: mapToAvro(f['column-sizes']),
        value_counts: mapToAvro(f['value-counts']),
        null_value_counts: mapToAvro(f['null-value-counts']),
        nan_value_counts: mapToAvro(f['nan-value-counts']),
        lower_bounds: mapToAvro(f['lower-bounds']),
        upper_bounds: mapToAvro(f['upper-bounds']),
        key_metadata: f['key-metadata'] ?? null,
        split_offsets: f['split-offsets'] ?? null,
        equality_ids: f['equality-ids'] ?? null,
        sort_order_id: f['sort-order-id'] ?? null,
        referenced_data_file: null,
      },
    };
  });

  return writeAvroFile(avroSchema, records, {
    codec: options.codec ?? 'deflate',
    blockBytes: options.blockBytes,
    syncMarker: options.syncMarker,
    metadata: {
      schema: stringifyJson(schema),
      'schema-id': String(schema['schema-id']),
      'partition-spec': stringifyJson(spec.fields),
      'partition-spec-id': String(spec['spec-id']),
      'format-version': '2',
      content,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Reading (by field id)

/** Longs are decoded as numbers when safe (see readManifest); a bigint here is beyond 2^53. */
function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') throw new RangeError(`${what}: ${v} is beyond 2^53`);
  throw new TypeError(`${what}: expected a number, got ${typeof v}`);
}

function big(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

type Getter = (o: Record<string, unknown>) => unknown;

function getter(fields: Map<number, AvroField>, id: number): Getter | undefined {
  const f = fields.get(id);
  if (!f) return undefined;
  const name = f.name;
  return (o) => o[name];
}

/**
 * Reader for a map<int, X>: Iceberg stores it as an array of key/value records with logicalType
 * "map", which the Avro decoder already gives as a JS Map (returned as is after checking that
 * keys are ints and values pass `valid`). An Avro map (string keys) is accepted too.
 */
function intMapReader<V>(fields: Map<number, AvroField>, id: number, valid: (v: unknown) => boolean, expected: string): ((o: Record<string, unknown>) => Map<number, V> | undefined) | undefined {
  const f = fields.get(id);
  if (!f) return undefined;
  const name = f.name;
  const node = unwrapOptional(f.type);
  const isPairs = node.kind === 'array' && node.props.logicalType === 'map';
  if (!isPairs && node.kind !== 'map') throw new Error(`field ${id} (${name}) is not a map`);
  const fail = (k: unknown, v: unknown): never => {
    throw new TypeError(`${name} (field ${id}): entry ${String(k)} → ${typeof v} ${String(v)} is not int → ${expected}`);
  };
  return (o) => {
    const m = o[name] as Map<unknown, unknown> | null | undefined;
    if (m === null || m === undefined) return undefined;
    if (isPairs) {
      // forEach, not for-of: no [k, v] array per entry (this is the hot loop of reading manifests)
      m.forEach((v, k) => {
        if (typeof k !== 'number' || !valid(v)) fail(k, v);
      });
      return m as Map<number, V>;
    }
    const out = new Map<number, V>();
    m.forEach((v, k) => {
      if (!valid(v)) fail(k, v);
      out.set(Number(k), v as V);
    });
    return out;
  };
}

const FORMATS: Record<string, DataFile['file-format']> = { PARQUET: 'PARQUET', AVRO: 'AVRO', ORC: 'ORC' };

/** Decode a manifest file (v1 or v2, written by anyone who follows the spec). */
export function readManifest(bytes: Uint8Array, options: ReadManifestOptions = {}): ManifestContents {
  const file = readAvroFile(bytes, { longs: 'number-if-safe' });
  const meta = file.metadata;
  const root = unwrapOptional(file.schema);
  if (root.kind !== 'record') throw new Error('manifest schema is not a record');
  const ef = fieldsById(root);
  const dfField = ef.get(2);
  if (!dfField) throw new Error('manifest schema has no data_file (field id 2)');
  const dfNode = unwrapOptional(dfField.type) as AvroRecordNode;
  const df = fieldsById(dfNode);
  const partField = df.get(102);
  if (!partField) throw new Error('manifest schema has no partition (field id 102)');
  const partNode = unwrapOptional(partField.type) as AvroNode;
  const partitionType = avroRecordToStruct(partNode);
  const partNames = (partNode as AvroRecordNode).fields.map((f) => f.name);
  const partTypes = partitionType.fields.map((f) => f.type);

  const formatVersion = meta['format-version'] !== undefined ? Number(meta['format-version']) : 1;
  const hasSeq = ef.has(3);
  const hasFileSeq = ef.has(4);
  const gStatus = getter(ef, 0)!;
  const gSnap = getter(ef, 1);
  const gSeq = getter(ef, 3);
  const gFileSeq = getter(ef, 4);
  const gDf = dfField.name;
  const gContent = getter(df, 134);
  const gPath = getter(df, 100)!;
  const gFormat = getter(df, 101)!;
  const gPart = partField.name;
  const gCount = getter(df, 103)!;
  const gSize = getter(df, 104)!;
  // longs are numbers when safe; a bigint count is beyond 2^53 and rejected
  const isCount = (v: unknown) => typeof v === 'number';
  const isBytes = (v: unknown) => v instanceof Uint8Array;
  const mColumnSizes = intMapReader<number>(df, 108, isCount, 'long (safe integer)');
  const mValueCounts = intMapReader<number>(df, 109, isCount, 'long (safe integer)');
  const mNullCounts = intMapReader<number>(df, 110, isCount, 'long (safe integer)');
  const mNanCounts = intMapReader<number>(df, 137, isCount, 'long (safe integer)');
  const mLower = intMapReader<Uint8Array>(df, 125, isBytes, 'binary');
  const mUpper = intMapReader<Uint8Array>(df, 128, isBytes, 'binary');
  const gKey = getter(df, 131);
  const gSplits = getter(df, 132);
  const gEq = getter(df, 135);
  const gSort = getter(df, 140);
  const inherit = options.inherit;

  const entries: ManifestEntry[] = file.records.map((raw) => {
    const o = raw as Record<string, unknown>;
    const d = o[gDf] as Record<string, unknown>;
    const status = gStatus(o) as ManifestEntryStatus;
    const snap = gSnap?.(o);
    let snapshotId = snap === null || snap === undefined ? null : big(snap);
    const seqRaw = gSeq?.(o);
    const fseqRaw = gFileSeq?.(o);
    // v1 manifests have no sequence numbers: they are 0 (spec, "Sequence Number Inheritance");
    // early v2 writers had no file_sequence_number: null, inherited for ADDED entries
    let sequenceNumber = !hasSeq ? 0 : seqRaw === null || seqRaw === undefined ? null : num(seqRaw, 'sequence_number');
    let fileSequenceNumber = !hasFileSeq ? (hasSeq ? null : 0) : fseqRaw === null || fseqRaw === undefined ? null : num(fseqRaw, 'file_sequence_number');
    if (inherit) {
      if (snapshotId === null) snapshotId = inherit.snapshotId;
      if (status === ADDED) {
        if (sequenceNumber === null) sequenceNumber = inherit.sequenceNumber;
        if (fileSequenceNumber === null) fileSequenceNumber = inherit.sequenceNumber;
      }
    }
    const p = d[gPart] as Record<string, unknown>;
    const partition = new Array<unknown>(partNames.length);
    for (let i = 0; i < partNames.length; i++) partition[i] = partitionFromAvro(partTypes[i], p[partNames[i]]);
    const fmt = String(gFormat(d));
    const dataFile: DataFile = {
      content: gContent ? (gContent(d) as FileContent) : 0,
      'file-path': gPath(d) as string,
      'file-format': FORMATS[fmt.toUpperCase()] ?? (fmt.toUpperCase() as DataFile['file-format']),
      partition,
      'record-count': num(gCount(d), 'record_count'),
      'file-size-in-bytes': num(gSize(d), 'file_size_in_bytes'),
    };
    const put = <K extends keyof DataFile>(k: K, v: DataFile[K] | undefined | null) => {
      if (v !== undefined && v !== null) dataFile[k] = v;
    };
    put('column-sizes', mColumnSizes?.(d));
    put('value-counts', mValueCounts?.(d));
    put('null-value-counts', mNullCounts?.(d));
    put('nan-value-counts', mNanCounts?.(d));
    put('lower-bounds', mLower?.(d));
    put('upper-bounds', mUpper?.(d));
    put('key-metadata', gKey?.(d) as Uint8Array | null | undefined);
    const splits = gSplits?.(d) as unknown[] | null | undefined;
    if (splits) dataFile['split-offsets'] = splits.map((x) => num(x, 'split_offsets'));
    const eq = gEq?.(d) as unknown[] | null | undefined; // int in the spec; PyIceberg writes long
    if (eq) dataFile['equality-ids'] = eq.map((x) => num(x, 'equality_ids'));
    put('sort-order-id', gSort?.(d) as number | null | undefined);
    return { status, snapshotId, sequenceNumber, fileSequenceNumber, dataFile };
  });

  const specId = meta['partition-spec-id'] !== undefined ? Number(meta['partition-spec-id']) : 0;
  let partitionSpec: PartitionSpec | undefined;
  if (meta['partition-spec'] !== undefined) {
    partitionSpec = { 'spec-id': specId, fields: parseJson<PartitionField[]>(meta['partition-spec']) };
  }
  const schema = meta.schema !== undefined ? parseJson<Schema>(meta.schema) : undefined;
  const schemaIdText = meta['schema-id'] ?? (schema?.['schema-id'] !== undefined ? String(schema['schema-id']) : undefined);
  return {
    entries,
    schema,
    schemaId: schemaIdText !== undefined ? Number(schemaIdText) : undefined,
    specId,
    partitionSpec,
    partitionType,
    content: meta.content === 'deletes' ? 'deletes' : 'data',
    formatVersion,
  };
}

// ---------------------------------------------------------------------------------------------
// Summary for the manifest list

export interface PartitionFieldSummary {
  containsNull: boolean;
  /** null when unknown (files from old writers); false for non-floating-point fields. */
  containsNan: boolean | null;
  /** Single-value binary of the smallest non-null, non-NaN value; null if none. */
  lowerBound: Uint8Array | null;
  upperBound: Uint8Array | null;
}

export interface ManifestSummary {
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  /** Smallest explicit data sequence number of live (added/existing) entries; null if all inherit. */
  minSequenceNumber: number | null;
  partitions: PartitionFieldSummary[];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Code-point order (what Java Iceberg's CharSeqComparator and UTF-8 byte order give). */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const hx = x >= 0xd800 && x <= 0xdbff;
    const hy = y >= 0xd800 && y <= 0xdbff;
    if (hx && !hy) return 1;
    if (!hx && hy) return -1;
    return x - y;
  }
  return a.length - b.length;
}

/** -0.0 before +0.0, as Java's Float/Double.compare. */
function compareFloats(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === 0 && b === 0) return (Object.is(a, -0) ? 0 : 1) - (Object.is(b, -0) ? 0 : 1);
  return 0;
}

function toBig(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

/** java.util.UUID order: most then least significant 64 bits, each as a signed long. */
function compareUuids(a: Uint8Array, b: Uint8Array): number {
  const da = new DataView(a.buffer, a.byteOffset, 16);
  const db = new DataView(b.buffer, b.byteOffset, 16);
  for (const off of [0, 8]) {
    const x = da.getBigInt64(off, false);
    const y = db.getBigInt64(off, false);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function comparatorFor(type: IcebergType): (a: unknown, b: unknown) => number {
  if (typeof type !== 'string') throw new TypeError(`partition field of nested type ${typeToString(type)}`);
  switch (primitiveKind(type)) {
    case 'boolean':
      return (a, b) => Number(a) - Number(b);
    case 'int':
    case 'date':
      return (a, b) => (a as number) - (b as number);
    case 'float':
    case 'double':
      return (a, b) => compareFloats(a as number, b as number);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'decimal':
      return (a, b) => {
        const x = toBig(a);
        const y = toBig(b);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    case 'string':
      return (a, b) => compareStrings(a as string, b as string);
    case 'uuid':
      return (a, b) => compareUuids(a as Uint8Array, b as Uint8Array);
    case 'binary':
    case 'fixed':
      return (a, b) => compareBytes(a as Uint8Array, b as Uint8Array);
  }
  throw new TypeError(`no order for ${String(type)}`);
}

/** Normalize a partition value for comparison and single-value encoding. */
function normalize(type: IcebergType, v: unknown): unknown {
  const kind = primitiveKind(type as never);
  if (kind === 'decimal' && typeof v === 'string') return parseDecimalString(v, decimalParams(type)!.scale);
  if (kind === 'uuid' && typeof v === 'string') return uuidToBytes(v);
  return v;
}

/**
 * Counts and per-partition-field summaries of a manifest's entries, as the manifest list
 * stores them (same rules as Java's ManifestWriter / PartitionSummary: every entry, deleted
 * ones included, feeds the partition summaries; the min sequence number is over live entries).
 */
export function manifestSummary(entries: ManifestEntry[], partitionType: StructType): ManifestSummary {
  const s: ManifestSummary = {
    addedFilesCount: 0,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 0,
    existingRowsCount: 0,
    deletedRowsCount: 0,
    minSequenceNumber: null,
    partitions: [],
  };
  const fields = partitionType.fields;
  const cmp = fields.map((f) => comparatorFor(f.type));
  const isFloat = fields.map((f) => f.type === 'float' || f.type === 'double');
  const containsNull = fields.map(() => false);
  const containsNan = fields.map(() => false);
  const min: unknown[] = fields.map(() => undefined);
  const max: unknown[] = fields.map(() => undefined);
  for (const e of entries) {
    const rows = e.dataFile['record-count'];
    if (e.status === ADDED) {
      s.addedFilesCount++;
      s.addedRowsCount += rows;
    } else if (e.status === EXISTING) {
      s.existingFilesCount++;
      s.existingRowsCount += rows;
    } else {
      s.deletedFilesCount++;
      s.deletedRowsCount += rows;
    }
    if (e.status !== DELETED && e.sequenceNumber !== null && (s.minSequenceNumber === null || e.sequenceNumber < s.minSequenceNumber)) {
      s.minSequenceNumber = e.sequenceNumber;
    }
    const part = e.dataFile.partition;
    for (let i = 0; i < fields.length; i++) {
      const raw = part[i];
      if (raw === null || raw === undefined) {
        containsNull[i] = true;
        continue;
      }
      if (isFloat[i] && Number.isNaN(raw)) {
        containsNan[i] = true;
        continue;
      }
      const v = normalize(fields[i].type, raw);
      if (min[i] === undefined) {
        min[i] = v;
        max[i] = v;
      } else {
        if (cmp[i](v, min[i]) < 0) min[i] = v;
        if (cmp[i](max[i], v) < 0) max[i] = v;
      }
    }
  }
  s.partitions = fields.map((f, i) => ({
    containsNull: containsNull[i],
    containsNan: containsNan[i],
    lowerBound: min[i] === undefined ? null : toSingleValue(f.type, min[i]),
    upperBound: max[i] === undefined ? null : toSingleValue(f.type, max[i]),
  }));
  return s;
}
