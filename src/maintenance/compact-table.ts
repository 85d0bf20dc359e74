// One compaction run on a table choosing, per group of small files, between the two ways:
// *stitch* (stitch.ts: row groups copied byte for byte, no decode) when the files allow it and
// the result would be a sound file, else *rewrite* (rewrite-compaction.ts: decode, project onto
// the current schema, re-encode, optionally sort). Groups are committed in batches, one
// `replace` snapshot per batch (rewrite-files.ts rewriteGroups) with floe.maintenance.action
// "stitch" or "rewrite": a batch holds up to `commitGroups` groups (default 100) of one action
// and is committed when full, when its oldest group waited `commitIntervalMs` (default 60 s),
// and when the run ends or stops. Each input footer is read once (small inputs whole, kept for
// the stitch: stitch.ts loadStitchInputs) and each manifest parsed once per run.
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
import type { DataFile } from '../iceberg/data-file.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import type { FooterLayout } from '../parquet/footer-layout.ts';
import type { ParquetEncoder } from '../writer/data-file-writer.ts';
import type { CompactionGroup, CompactionPlanOptions } from './compaction-plan.ts';
import { DEFAULT_MAX_ROW_GROUPS, DEFAULT_MIN_ROW_GROUP_BYTES, planCompaction } from './compaction-plan.ts';
import { defaultSortOrder, rewriteDataFiles } from './rewrite-compaction.ts';
import { rewriteGroups } from './rewrite-files.ts';
import type { RewriteFilesResult } from './rewrite-files.ts';
import { InputArena } from './input-arena.ts';
import { KEPT_BYTES, NotStitchableError, dataFileSources, loadStitchInputs, stitchDataFiles, whyNotStitchable } from './stitch.ts';
import type { StitchInput } from './stitch.ts';
import { readSnapshotFiles } from './table-files.ts';
import type { ManifestCache } from './table-files.ts';
import type { QuietGapOptions } from './quiet-gap.ts';

export const DEFAULT_COMMIT_GROUPS = 100;
export const DEFAULT_COMMIT_INTERVAL_MS = 60_000;

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
export function chooseCompaction(footers: FooterLayout[], names: string[], options: ChoiceOptions = {}): Choice {
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
      bytes += g.compressedBytes;
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
  /** Groups committed together in one snapshot (default 100). */
  commitGroups?: number;
  /** A batch is committed once its oldest group waited this long (default 60 s). */
  commitIntervalMs?: number;
  /** Asked before each group: false stops the run there (a stop signal, a lost lease); what is done is committed. */
  beforeGroup?: () => Promise<boolean>;
  /** Told each group's outcome as it comes. */
  onOutcome?: (outcome: CompactOutcome) => void;
  /** How each replace commit waits for the gap after a streaming writer's append (quiet-gap.ts). */
  quietGap?: QuietGapOptions;
}

export type CompactOutcome = { group: CompactionGroup; action?: CompactionMethod; outputs?: string[]; why?: string } & (
  RewriteFilesResult | { status: 'not-stitchable'; reason: string } | { status: 'failed'; error: unknown }
);

function outputLocation(group: CompactionGroup): string {
  const first = group.files[0]['file-path'];
  return `${first.slice(0, first.lastIndexOf('/'))}/${crypto.randomUUID()}.parquet`;
}

/** A group compacted, waiting for its batch's commit. */
interface Pending {
  group: CompactionGroup;
  outputs: DataFile[];
  why?: string;
  since: number;
}

/**
 * Plans compaction groups on main (compaction-plan.ts) and compacts each by stitching or
 * rewriting (see the module comment), committing them in batches; one outcome per group.
 */
export async function compactTable(catalog: Catalog, id: TableIdentifier, options: CompactOptions = {}): Promise<{ runId: string; groups: CompactOutcome[] }> {
  const runId = options.runId ?? crypto.randomUUID();
  const table = await catalog.loadTable(id);
  const io: FileIO = options.io ?? fileIOFor(table.metadata.location, table.config);
  const manifests: ManifestCache = new Map();
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata), manifests);
  const groups = planCompaction(files.data, {
    targetBytes: options.targetBytes,
    maxGroups: options.maxGroups,
    properties: table.metadata.properties,
    deleteFiles: files.deletes,
    unpartitionedSpecIds: table.metadata['partition-specs'].filter((s) => s.fields.length === 0).map((s) => s['spec-id']),
    // a stitch cannot merge row groups: a stitch-only run leaves fragmented partitions alone
    maxRowGroups: options.mode === 'stitch' ? Infinity : options.maxRowGroups,
    minRowGroupBytes: options.minRowGroupBytes,
  });
  const schema = currentSchema(table.metadata);
  const sortOrder = defaultSortOrder(table) !== undefined;
  const commitGroups = Math.max(1, options.commitGroups ?? DEFAULT_COMMIT_GROUPS);
  const commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
  const outcomes: CompactOutcome[] = [];
  const push = (o: CompactOutcome) => {
    outcomes.push(o);
    options.onOutcome?.(o);
  };
  const pending: Record<CompactionMethod, Pending[]> = { stitch: [], rewrite: [] };
  const flush = async (action: CompactionMethod) => {
    const batch = pending[action];
    if (batch.length === 0) return;
    pending[action] = [];
    const results = await rewriteGroups({
      catalog,
      table: id,
      groups: batch.map((p) => ({ inputs: p.group.files, outputs: p.outputs, specId: p.group.specId })),
      runId,
      action,
      io,
      manifests,
      quietGap: options.quietGap,
    });
    batch.forEach((p, i) => push({ group: p.group, action, why: p.why, outputs: p.outputs.map((f) => f['file-path']), ...results[i] }));
  };
  const due = (action: CompactionMethod) => {
    const batch = pending[action];
    return batch.length >= commitGroups || (batch.length > 0 && Date.now() - batch[0].since >= commitIntervalMs);
  };

  // the small inputs of each group, read into one buffer reused group after group
  const arena = new InputArena(KEPT_BYTES);
  for (const group of groups) {
    if (options.beforeGroup && !(await options.beforeGroup())) break;
    let choice: Choice;
    let why: string | undefined;
    let loaded: StitchInput[];
    try {
      loaded = await loadStitchInputs(io, dataFileSources(group.files), { arena });
      choice = chooseCompaction(
        loaded.map((x) => x.footer),
        group.files.map((f) => f['file-path']),
        { ...options, sortOrder },
      );
      why = choice.reason;
    } catch (error) {
      push({ group, status: 'failed', error });
      continue;
    }
    if (choice.method === 'stitch' && choice.reason !== undefined) {
      push({ group, action: 'stitch', status: 'not-stitchable', reason: choice.reason });
      continue;
    }

    let outputs: DataFile[] | undefined;
    let action = choice.method;
    if (action === 'stitch') {
      try {
        outputs = [(await stitchDataFiles(io, schema, group.files, outputLocation(group), { loaded })).dataFile];
      } catch (error) {
        if (!(error instanceof NotStitchableError)) {
          push({ group, action, status: 'failed', error });
          continue;
        }
        if (options.mode === 'stitch') {
          push({ group, action, status: 'not-stitchable', reason: error.reason });
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
        push({ group, action, why, status: 'failed', error });
        continue;
      }
    }
    pending[action].push({ group, outputs: outputs!, why, since: Date.now() });
    for (const a of ['stitch', 'rewrite'] as const) if (due(a)) await flush(a);
  }
  await flush('stitch');
  await flush('rewrite');
  return { runId, groups: outcomes };
}
