// One compaction run on a table choosing, per group of small files, between the two ways:
// *stitch* (stitch.ts: row groups copied byte for byte, no decode) when the files allow it and
// the result would be a sound file, else *rewrite* (rewrite-compaction.ts: decode, project onto
// the current schema, re-encode, optionally sort). Each group is committed as its own `replace`
// snapshot (rewrite-files.ts) with floe.maintenance.action "stitch" or "rewrite".
//
// The rule (chooseCompaction, from the inputs' Parquet footers alone, read by ranges):
//   rewrite when the files cannot be stitched: whyNotStitchable (stitch.ts) gives a reason:
//     a file not written by floe (Spark, PyIceberg...), other schema elements or field ids
//     (written before a schema change), other codecs or key-value metadata, encryption;
//   rewrite when stitching would leave too many tiny row groups: the inputs hold more than
//     `maxRowGroups` (default 64) row groups together AND they average under
//     `minRowGroupBytes` (default 1 MiB) compressed. A hot partition stitched every few commits
//     stays stitched (a few dozen small row groups are cheap to read); once a partition has
//     piled up more small row groups than that, one rewrite merges them into full row groups;
//   rewrite when `sort` is asked and the table has a sort order (stitching cannot sort);
//   stitch otherwise. `mode` forces one way ("stitch" reports the groups it cannot take as
//   not-stitchable, as stitchSmallFiles does; "rewrite" rewrites every group).
// A group chosen for stitching whose stitch still fails with NotStitchableError (a row-group
// layout floe does not write) is rewritten instead.
import type { Catalog, TableIdentifier } from '../catalog/catalog.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import type { ParquetFooter } from '../parquet/footer.ts';
import { readFooterFrom } from '../parquet/footer.ts';
import type { ParquetEncoder } from '../table/table-writer.ts';
import type { CompactionGroup, CompactionPlanOptions } from './compaction-plan.ts';
import { planCompaction } from './compaction-plan.ts';
import { defaultSortOrder, rewriteDataFiles } from './rewrite-compaction.ts';
import { rewriteFiles } from './rewrite-files.ts';
import type { RewriteFilesResult } from './rewrite-files.ts';
import { NotStitchableError, stitchDataFiles, whyNotStitchable } from './stitch.ts';
import { readSnapshotFiles } from './table-files.ts';

export const DEFAULT_MAX_ROW_GROUPS = 64;
export const DEFAULT_MIN_ROW_GROUP_BYTES = 1024 * 1024;

export type CompactionMethod = 'stitch' | 'rewrite';

export interface ChoiceOptions {
  /** Force one way (default "auto": the rule above). */
  mode?: 'auto' | CompactionMethod;
  /** More row groups than this, averaging under minRowGroupBytes, are rewritten (default 64). */
  maxRowGroups?: number;
  /** Average compressed row group size under which many row groups are rewritten (default 1 MiB). */
  minRowGroupBytes?: number;
  /** Sort rewritten files by the table's default sort order (stitching cannot sort). */
  sort?: boolean;
  /** The table has a sort order with fields (with `sort`, every group is rewritten). */
  sortOrder?: boolean;
}

export interface Choice {
  method: CompactionMethod;
  /** Why rewrite (or, in mode "stitch", why the files cannot be stitched). */
  reason?: string;
}

/** Stitch or rewrite, for the inputs' footers (see the module comment). Pure. */
export function chooseCompaction(footers: ParquetFooter[], names: string[], options: ChoiceOptions = {}): Choice {
  const mode = options.mode ?? 'auto';
  if (mode === 'rewrite') return { method: 'rewrite', reason: 'rewrite asked' };
  const why = whyNotStitchable(footers, names);
  if (why !== undefined) return { method: mode === 'stitch' ? 'stitch' : 'rewrite', reason: why };
  if (mode === 'stitch') return { method: 'stitch' };
  if (options.sort && options.sortOrder) return { method: 'rewrite', reason: 'sorting by the table sort order' };
  const maxGroups = options.maxRowGroups ?? DEFAULT_MAX_ROW_GROUPS;
  const minBytes = options.minRowGroupBytes ?? DEFAULT_MIN_ROW_GROUP_BYTES;
  let groups = 0;
  let bytes = 0;
  for (const f of footers) {
    for (const g of f.rowGroups) {
      groups++;
      for (const c of g.columns) bytes += c.totalCompressedSize;
    }
  }
  if (groups > maxGroups && bytes / groups < minBytes) {
    return { method: 'rewrite', reason: `${groups} row groups averaging ${Math.round(bytes / groups)} bytes (more than ${maxGroups} under ${minBytes})` };
  }
  return { method: 'stitch' };
}

export interface CompactOptions extends Pick<CompactionPlanOptions, 'targetBytes' | 'maxGroups'>, Omit<ChoiceOptions, 'sortOrder'> {
  io?: FileIO;
  runId?: string;
  encoder?: ParquetEncoder;
  /** Asked before each group: false stops the run there (a stop signal, a lost lease). */
  beforeGroup?: () => Promise<boolean>;
  /** Told each group's outcome as it comes. */
  onOutcome?: (outcome: CompactOutcome) => void;
}

export type CompactOutcome = { group: CompactionGroup; action?: CompactionMethod; outputs?: string[]; why?: string } & (
  RewriteFilesResult | { status: 'not-stitchable'; reason: string } | { status: 'failed'; error: unknown }
);

function outputLocation(group: CompactionGroup): string {
  const first = group.files[0]['file-path'];
  return `${first.slice(0, first.lastIndexOf('/'))}/${crypto.randomUUID()}.parquet`;
}

/**
 * Plans compaction groups on main (compaction-plan.ts) and compacts each by stitching or
 * rewriting (see the module comment), one `replace` snapshot per group; one outcome per group.
 */
export async function compactTable(catalog: Catalog, id: TableIdentifier, options: CompactOptions = {}): Promise<{ runId: string; groups: CompactOutcome[] }> {
  const runId = options.runId ?? crypto.randomUUID();
  const table = await catalog.loadTable(id);
  const io: FileIO = options.io ?? fileIOFor(table.metadata.location, table.config);
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  const groups = planCompaction(files.data, {
    targetBytes: options.targetBytes,
    maxGroups: options.maxGroups,
    properties: table.metadata.properties,
    deleteFiles: files.deletes,
    unpartitionedSpecIds: table.metadata['partition-specs'].filter((s) => s.fields.length === 0).map((s) => s['spec-id']),
  });
  const schema = currentSchema(table.metadata);
  const sortOrder = defaultSortOrder(table) !== undefined;
  const outcomes: CompactOutcome[] = [];
  const out = {
    push: (o: CompactOutcome) => {
      outcomes.push(o);
      options.onOutcome?.(o);
    },
  };
  for (const group of groups) {
    if (options.beforeGroup && !(await options.beforeGroup())) break;
    let choice: Choice;
    let why: string | undefined;
    try {
      const footers: ParquetFooter[] = [];
      for (const f of group.files) footers.push((await readFooterFrom(io, f['file-path'], f['file-size-in-bytes'])).footer);
      choice = chooseCompaction(
        footers,
        group.files.map((f) => f['file-path']),
        { ...options, sortOrder },
      );
      why = choice.reason;
    } catch (error) {
      out.push({ group, status: 'failed', error });
      continue;
    }
    if (choice.method === 'stitch' && choice.reason !== undefined) {
      out.push({ group, action: 'stitch', status: 'not-stitchable', reason: choice.reason });
      continue;
    }

    let outputs;
    let action = choice.method;
    if (action === 'stitch') {
      try {
        outputs = [(await stitchDataFiles(io, schema, group.files, outputLocation(group))).dataFile];
      } catch (error) {
        if (!(error instanceof NotStitchableError)) {
          out.push({ group, action, status: 'failed', error });
          continue;
        }
        if (options.mode === 'stitch') {
          out.push({ group, action, status: 'not-stitchable', reason: error.reason });
          continue;
        }
        action = 'rewrite';
        why = error.reason;
      }
    }
    if (action === 'rewrite') {
      const spec = table.metadata['partition-specs'].find((s) => s['spec-id'] === group.specId);
      try {
        if (!spec) throw new Error(`no partition spec ${group.specId}`);
        const rewritten = await rewriteDataFiles(table, io, spec, group.partition, group.files, { targetBytes: options.targetBytes, sort: options.sort, encoder: options.encoder });
        outputs = rewritten.outputs;
      } catch (error) {
        out.push({ group, action, why, status: 'failed', error });
        continue;
      }
    }
    const result = await rewriteFiles({ catalog, table: id, inputs: group.files, outputs: outputs!, specId: group.specId, runId, action, io });
    out.push({ group, action, why, outputs: outputs!.map((f) => f['file-path']), ...result });
  }
  return { runId, groups: outcomes };
}
