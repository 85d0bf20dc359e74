// Iceberg manifest lists (table spec, "Manifest Lists"): one Avro container file per snapshot,
// one manifest_file record per manifest, written in the v2 layout Java Iceberg uses and read by
// field id (v1 lists read too: missing v2 fields take the spec's defaults).
//
// Sequence numbers: a manifest written by the snapshot being committed does not know the
// snapshot's sequence number yet. Give it sequenceNumber: null (and minSequenceNumber: null when
// all its live entries inherit); writeManifestList fills in the snapshot's sequence number, and
// refuses to do so for a manifest added by another snapshot (as Java and PyIceberg do).

import type { AvroRecordNode } from './avro.ts';
import { fieldsById, unwrapOptional } from './avro.ts';
import type { AvroWriteCodec } from './avro-file.ts';
import { readAvroFile, readAvroHeader, writeAvroFile } from './avro-file.ts';
import { structToAvro } from './avro-iceberg.ts';
import type { ManifestContentName, ManifestSummary, PartitionFieldSummary } from './manifest.ts';
import type { StructType } from './types.ts';

export type { PartitionFieldSummary } from './manifest.ts';

export interface ManifestFile {
  manifestPath: string;
  manifestLength: number;
  partitionSpecId: number;
  /** 0 data, 1 deletes. */
  content: 0 | 1;
  /** Sequence number of the snapshot that added the manifest; null = this snapshot's (filled on write). */
  sequenceNumber: number | null;
  /** Smallest data sequence number of live entries; null = this snapshot's (filled on write). */
  minSequenceNumber: number | null;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  partitions: PartitionFieldSummary[] | null;
  keyMetadata: Uint8Array | null;
}

/** A ManifestFile for a manifest this snapshot just wrote (sequence numbers left to the list writer). */
export function newManifestFile(args: { path: string; length: number; specId: number; snapshotId: bigint; summary: ManifestSummary; content?: ManifestContentName }): ManifestFile {
  const s = args.summary;
  return {
    manifestPath: args.path,
    manifestLength: args.length,
    partitionSpecId: args.specId,
    content: args.content === 'deletes' ? 1 : 0,
    sequenceNumber: null,
    minSequenceNumber: s.minSequenceNumber,
    addedSnapshotId: args.snapshotId,
    addedFilesCount: s.addedFilesCount,
    existingFilesCount: s.existingFilesCount,
    deletedFilesCount: s.deletedFilesCount,
    addedRowsCount: s.addedRowsCount,
    existingRowsCount: s.existingRowsCount,
    deletedRowsCount: s.deletedRowsCount,
    partitions: s.partitions,
    keyMetadata: null,
  };
}

/** The v2 manifest_file struct (Java's V2Metadata.MANIFEST_LIST_SCHEMA). */
export const MANIFEST_FILE_TYPE: StructType = {
  type: 'struct',
  fields: [
    { id: 500, name: 'manifest_path', required: true, type: 'string' },
    { id: 501, name: 'manifest_length', required: true, type: 'long' },
    { id: 502, name: 'partition_spec_id', required: true, type: 'int' },
    { id: 517, name: 'content', required: true, type: 'int' },
    { id: 515, name: 'sequence_number', required: true, type: 'long' },
    { id: 516, name: 'min_sequence_number', required: true, type: 'long' },
    { id: 503, name: 'added_snapshot_id', required: true, type: 'long' },
    { id: 504, name: 'added_files_count', required: true, type: 'int' },
    { id: 505, name: 'existing_files_count', required: true, type: 'int' },
    { id: 506, name: 'deleted_files_count', required: true, type: 'int' },
    { id: 512, name: 'added_rows_count', required: true, type: 'long' },
    { id: 513, name: 'existing_rows_count', required: true, type: 'long' },
    { id: 514, name: 'deleted_rows_count', required: true, type: 'long' },
    {
      id: 507,
      name: 'partitions',
      required: false,
      type: {
        type: 'list',
        'element-id': 508,
        'element-required': true,
        element: {
          type: 'struct',
          fields: [
            { id: 509, name: 'contains_null', required: true, type: 'boolean' },
            { id: 518, name: 'contains_nan', required: false, type: 'boolean' },
            { id: 510, name: 'lower_bound', required: false, type: 'binary' },
            { id: 511, name: 'upper_bound', required: false, type: 'binary' },
          ],
        },
      },
    },
    { id: 519, name: 'key_metadata', required: false, type: 'binary' },
  ],
};

export interface WriteManifestListOptions {
  snapshotId: bigint;
  /** null or absent for the first snapshot (written as "null", as Java and PyIceberg do). */
  parentSnapshotId?: bigint | null;
  sequenceNumber: number;
  manifests: ManifestFile[];
  /** Default "deflate". */
  codec?: AvroWriteCodec;
  syncMarker?: Uint8Array;
}

/** Encode a v2 manifest list. */
export function writeManifestList(options: WriteManifestListOptions): Uint8Array {
  const { snapshotId, sequenceNumber } = options;
  const records = options.manifests.map((m) => {
    const own = m.addedSnapshotId === snapshotId;
    if (m.sequenceNumber === null && !own) {
      throw new Error(`manifest ${m.manifestPath} from snapshot ${m.addedSnapshotId} has no sequence number`);
    }
    if (m.minSequenceNumber === null && !own) {
      throw new Error(`manifest ${m.manifestPath} from snapshot ${m.addedSnapshotId} has no min sequence number`);
    }
    return {
      manifest_path: m.manifestPath,
      manifest_length: m.manifestLength,
      partition_spec_id: m.partitionSpecId,
      content: m.content,
      sequence_number: m.sequenceNumber ?? sequenceNumber,
      min_sequence_number: m.minSequenceNumber ?? sequenceNumber,
      added_snapshot_id: m.addedSnapshotId,
      added_files_count: m.addedFilesCount,
      existing_files_count: m.existingFilesCount,
      deleted_files_count: m.deletedFilesCount,
      added_rows_count: m.addedRowsCount,
      existing_rows_count: m.existingRowsCount,
      deleted_rows_count: m.deletedRowsCount,
      partitions:
        m.partitions === null
          ? null
          : m.partitions.map((p) => ({
              contains_null: p.containsNull,
              contains_nan: p.containsNan,
              lower_bound: p.lowerBound,
              upper_bound: p.upperBound,
            })),
      key_metadata: m.keyMetadata,
    };
  });
  return writeAvroFile(structToAvro(MANIFEST_FILE_TYPE, 'manifest_file'), records, {
    codec: options.codec ?? 'deflate',
    syncMarker: options.syncMarker,
    metadata: {
      'snapshot-id': String(snapshotId),
      'parent-snapshot-id': options.parentSnapshotId == null ? 'null' : String(options.parentSnapshotId),
      'sequence-number': String(sequenceNumber),
      'format-version': '2',
    },
  });
}

/** Longs are decoded as numbers when safe (see readManifestList); a bigint here is beyond 2^53. */
function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') throw new RangeError(`${what}: ${v} is beyond 2^53`);
  throw new TypeError(`${what}: expected a number, got ${typeof v}`);
}

/**
 * Decode a manifest list (v1 or v2). v1 defaults: content 0, sequence numbers 0; counts a
 * v1 writer left null come back as 0 here (the spec reads null as "assume non-zero"; callers
 * that plan scans on counts must not skip v1 manifests on a 0 from a v1 list).
 */
export function readManifestList(bytes: Uint8Array): ManifestFile[] {
  const file = readAvroFile(bytes, { longs: 'number-if-safe' });
  const root = unwrapOptional(file.schema);
  if (root.kind !== 'record') throw new Error('manifest list schema is not a record');
  const f = fieldsById(root);
  const name = (id: number) => f.get(id)?.name;
  const n = {
    path: name(500),
    length: name(501),
    spec: name(502),
    content: name(517),
    seq: name(515),
    minSeq: name(516),
    snap: name(503),
    af: name(504),
    ef: name(505),
    df: name(506),
    ar: name(512),
    er: name(513),
    dr: name(514),
    parts: name(507),
    key: name(519),
  };
  if (!n.path || !n.length || !n.spec || !n.snap) throw new Error('manifest list schema lacks required fields 500-503');
  let pn: { cn?: string; nan?: string; lo?: string; hi?: string } = {};
  const partsField = f.get(507);
  if (partsField) {
    const arr = unwrapOptional(partsField.type);
    if (arr.kind !== 'array') throw new Error('partitions (507) is not a list');
    const rec = unwrapOptional(arr.items) as AvroRecordNode;
    const pf = fieldsById(rec);
    pn = { cn: pf.get(509)?.name, nan: pf.get(518)?.name, lo: pf.get(510)?.name, hi: pf.get(511)?.name };
  }
  const opt = (o: Record<string, unknown>, k: string | undefined, what: string): number => {
    if (!k) return 0;
    const v = o[k];
    return v === null || v === undefined ? 0 : num(v, what);
  };
  return file.records.map((raw) => {
    const o = raw as Record<string, unknown>;
    const parts = n.parts ? (o[n.parts] as Record<string, unknown>[] | null) : null;
    const key = n.key ? (o[n.key] as Uint8Array | null) : null;
    return {
      manifestPath: o[n.path!] as string,
      manifestLength: num(o[n.length!], 'manifest_length'),
      partitionSpecId: o[n.spec!] as number,
      content: (n.content ? (o[n.content] as 0 | 1) : 0) ?? 0,
      sequenceNumber: opt(o, n.seq, 'sequence_number'),
      minSequenceNumber: opt(o, n.minSeq, 'min_sequence_number'),
      addedSnapshotId: BigInt(o[n.snap!] as bigint | number),
      addedFilesCount: opt(o, n.af, 'added_files_count'),
      existingFilesCount: opt(o, n.ef, 'existing_files_count'),
      deletedFilesCount: opt(o, n.df, 'deleted_files_count'),
      addedRowsCount: opt(o, n.ar, 'added_rows_count'),
      existingRowsCount: opt(o, n.er, 'existing_rows_count'),
      deletedRowsCount: opt(o, n.dr, 'deleted_rows_count'),
      partitions:
        parts === null || parts === undefined
          ? null
          : parts.map((p) => ({
              containsNull: p[pn.cn!] as boolean,
              containsNan: pn.nan ? ((p[pn.nan] as boolean | null) ?? null) : null,
              lowerBound: pn.lo ? ((p[pn.lo] as Uint8Array | null) ?? null) : null,
              upperBound: pn.hi ? ((p[pn.hi] as Uint8Array | null) ?? null) : null,
            })),
      keyMetadata: key ?? null,
    };
  });
}

/** Header metadata of a manifest list (snapshot-id, parent-snapshot-id, sequence-number, format-version). */
export function readManifestListMetadata(bytes: Uint8Array): Record<string, string> {
  return readAvroHeader(bytes).metadata;
}
