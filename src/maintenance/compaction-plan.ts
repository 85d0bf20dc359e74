// Which small data files to join (pure: files in, groups out).
//
// Per partition (spec id + partition tuple): the files below the target size (table property
// write.target-file-size-bytes, default 512 MiB) are "small". With n small files totalling B
// bytes, the partition should hold k = ceil(B / target) files: the small files, in order of
// data sequence number (oldest rows first, then by path), are cut into k consecutive runs of
// about B / k bytes each (a cut goes where the running total is nearest to the next multiple of
// B / k). Runs of two or more files are the groups to join; a run of one file stays as it is.
// Each output is at most about B / k + one input (so at most about the target plus one small
// file), and a partition reaches k files in one round; a later round with new small files
// starts again from the files then present.
//
// A partition already at k files (nothing to join) whose small files together hold more than
// `maxRowGroups` row groups (their split offsets) averaging under `minRowGroupBytes` is one group
// as well: its files were stitched from many small commits, and a rewrite (compact-table.ts
// chooses it for such groups) merges their row groups into full ones, which is what makes a
// scan of a partition that went cold fast. Stitch-only runs turn this off (maxRowGroups Infinity).
//
// Partitions where a live delete file could apply (same spec and partition, or a delete of an
// unpartitioned spec, which applies everywhere) are left out: joining files does not apply
// deletes, and position deletes name files by path.
import type { DataFile } from '../iceberg/data-file.ts';
import { partitionKey as key } from './table-files.ts';

export const DEFAULT_TARGET_FILE_SIZE = 512 * 1024 * 1024;
/** More row groups than this in a group's files, averaging under DEFAULT_MIN_ROW_GROUP_BYTES, are rewritten. */
export const DEFAULT_MAX_ROW_GROUPS = 64;
export const DEFAULT_MIN_ROW_GROUP_BYTES = 1024 * 1024;

export interface PlanFile {
  dataFile: DataFile;
  specId: number;
  /** Data sequence number (for order; optional). */
  sequenceNumber?: number;
}

export interface CompactionPlanOptions {
  /** Target size of a file in bytes (default: targetFileSize(properties)). */
  targetBytes?: number;
  /** Table properties, for write.target-file-size-bytes. */
  properties?: Record<string, string>;
  /** Live delete files: their partitions are skipped. */
  deleteFiles?: PlanFile[];
  /** Specs without partition fields (their deletes apply to every partition). */
  unpartitionedSpecIds?: number[];
  /** At most this many groups (largest saving first); default all. */
  maxGroups?: number;
  /** A partition with nothing to join is still a group when its files hold more row groups than this (default 64) ... */
  maxRowGroups?: number;
  /** ... averaging under this many bytes (default 1 MiB). */
  minRowGroupBytes?: number;
}

export interface CompactionGroup {
  specId: number;
  partition: unknown[];
  files: DataFile[];
  bytes: number;
}

/** write.target-file-size-bytes, else 512 MiB. */
export function targetFileSize(properties: Record<string, string> = {}): number {
  const v = properties['write.target-file-size-bytes'];
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_TARGET_FILE_SIZE;
}

/** Cuts sizes (in order) into k consecutive runs of about total / k each; returns run lengths. */
export function balancedRuns(sizes: number[], k: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const runs: number[] = [];
  let start = 0;
  let acc = 0;
  for (let j = 1; j < k; j++) {
    const goal = (total * j) / k;
    let end = start;
    let sum = acc;
    // extend while taking the next file brings the running total closer to the goal
    while (end < sizes.length - (k - j) && Math.abs(sum + sizes[end] - goal) <= Math.abs(sum - goal)) sum += sizes[end++];
    if (end === start && start < sizes.length - (k - j)) sum += sizes[end++]; // every run has a file
    runs.push(end - start);
    start = end;
    acc = sum;
  }
  runs.push(sizes.length - start);
  return runs;
}

/** Groups of small files to join, per partition (see the module comment). */
export function planCompaction(files: PlanFile[], options: CompactionPlanOptions = {}): CompactionGroup[] {
  const target = options.targetBytes ?? targetFileSize(options.properties);
  const unpartitioned = new Set(options.unpartitionedSpecIds ?? []);
  const deletes = options.deleteFiles ?? [];
  if (deletes.some((d) => unpartitioned.has(d.specId))) return [];
  const blocked = new Set(deletes.map((d) => key(d.specId, d.dataFile.partition)));

  const byPartition = new Map<string, PlanFile[]>();
  for (const f of files) {
    if (f.dataFile.content !== 0 || f.dataFile['file-format'] !== 'PARQUET') continue;
    if (f.dataFile['file-size-in-bytes'] >= target) continue;
    const k = key(f.specId, f.dataFile.partition);
    if (blocked.has(k)) continue;
    const list = byPartition.get(k) ?? [];
    list.push(f);
    byPartition.set(k, list);
  }
  const groups: CompactionGroup[] = [];
  for (const small of byPartition.values()) {
    small.sort((a, b) => (a.sequenceNumber ?? 0) - (b.sequenceNumber ?? 0) || (a.dataFile['file-path'] < b.dataFile['file-path'] ? -1 : 1));
    const sizes = small.map((f) => f.dataFile['file-size-in-bytes']);
    const total = sizes.reduce((a, b) => a + b, 0);
    const k = Math.max(1, Math.ceil(total / target));
    if (k >= small.length) {
      // as few files as the target allows; but many small row groups in them: one group, rewritten
      const rowGroups = small.reduce((n, f) => n + Math.max(1, f.dataFile['split-offsets']?.length ?? 1), 0);
      if (rowGroups > (options.maxRowGroups ?? DEFAULT_MAX_ROW_GROUPS) && total / rowGroups < (options.minRowGroupBytes ?? DEFAULT_MIN_ROW_GROUP_BYTES)) {
        groups.push({ specId: small[0].specId, partition: small[0].dataFile.partition, files: small.map((f) => f.dataFile), bytes: total });
      }
      continue;
    }
    let at = 0;
    for (const n of balancedRuns(sizes, k)) {
      const run = small.slice(at, at + n);
      at += n;
      if (run.length < 2) continue;
      groups.push({ specId: run[0].specId, partition: run[0].dataFile.partition, files: run.map((f) => f.dataFile), bytes: run.reduce((s, f) => s + f.dataFile['file-size-in-bytes'], 0) });
    }
  }
  groups.sort((a, b) => b.files.length - a.files.length || b.bytes - a.bytes);
  return options.maxGroups === undefined ? groups : groups.slice(0, options.maxGroups);
}
