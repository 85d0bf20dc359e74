// Snapshot expiry, the maintenance job: remove the snapshots (and refs) that expire-plan.ts
// picks, in one commit through the commit loop (commit/commit-loop.ts), then delete the files
// only those snapshots reached (expire-files.ts).
//
//   commit   the plan is made again on every attempt, on the table as loaded; the commit
//            asserts the table's uuid and every ref where the plan saw it (main at the head it
//            planned on, each other branch and tag too), so a concurrent append or a moved
//            ref makes it plan again instead of removing what the new state keeps;
//   files    only after the commit landed, computed from the snapshots it removed against
//            every snapshot the committed table still has; deleted best effort (a failure is
//            reported, never thrown: the file is an orphan, for orphan cleanup). Nothing is
//            deleted when the table says gc.enabled=false (its files may belong to another
//            table) or when a kept snapshot's manifest list or manifest cannot be read;
//   dryRun   plans and lists the files on the table as it is; commits and deletes nothing.
//
// The metadata.json history is not touched here: the catalog bounds it
// (write.metadata.previous-versions-max).
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { commitWithRetry } from '../commit/commit-loop.ts';
import type { CommitPlan } from '../commit/commit-loop.ts';
import type { Snapshot, TableMetadata, TableRequirement } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { filesOnlyExpiredReach, mapLimit } from './expire-files.ts';
import type { ExpiredFileKind, ExpiredFiles } from './expire-files.ts';
import { expiryUpdates, planExpiry, refsOf } from './expire-plan.ts';
import type { ExpirePlan } from './expire-plan.ts';
import type { ExpireOptions } from './expire-settings.ts';

export interface ExpireSnapshotsOptions extends ExpireOptions {
  /** The time ages are measured from (ms; default: now). */
  now?: number;
  /** Plan and list the files only; commit and delete nothing. */
  dryRun?: boolean;
  /** FileIO for the table's files; default: chosen from the table location and catalog config. */
  io?: FileIO;
  /** Commit attempts (default: the commit loop's). */
  maxAttempts?: number;
  /** Files read or deleted at once (default 16). */
  concurrency?: number;
}

export interface ExpireReport {
  table: string;
  dryRun: boolean;
  /** The plan that was committed (dry run: made on the table as loaded). */
  plan: ExpirePlan;
  /** Snapshots removed (dry run: that would be), oldest first. */
  expiredSnapshots: bigint[];
  /** Refs removed (dry run: that would be). */
  removedRefs: string[];
  /** Whether a commit was made (false for a dry run and when there was nothing to expire). */
  committed: boolean;
  /** Commit attempts (0 for a dry run). */
  attempts: number;
  /** Files only the expired snapshots reached: deleted (dry run: that would be). */
  files: ExpiredFiles;
  /** What was actually deleted, by kind, and the bytes freed. */
  deleted: Record<ExpiredFileKind, number> & { bytes: number };
  /** Deletes that failed (the files stay as orphans). */
  failed: { path: string; error: string }[];
  /** Set when no file was deleted on purpose: why. */
  filesKept?: string;
}

export async function expireSnapshots(catalog: Catalog, id: TableIdentifier, options: ExpireSnapshotsOptions = {}): Promise<ExpireReport> {
  const now = options.now ?? Date.now();
  const concurrency = options.concurrency ?? 16;
  const name = tableName(id);

  if (options.dryRun) {
    const table = await catalog.loadTable(id);
    const plan = planExpiry(table.metadata, now, options);
    const gone = new Set(plan.expire);
    const snapshots = table.metadata.snapshots ?? [];
    const report = newReport(name, true, plan, 0, false);
    await listFiles(
      report,
      table,
      options.io,
      snapshots.filter((s) => gone.has(s['snapshot-id'])),
      snapshots.filter((s) => !gone.has(s['snapshot-id'])),
      concurrency,
    );
    return report;
  }

  let built: { metadata: TableMetadata; plan: ExpirePlan } | undefined;
  const commitPlan: CommitPlan<LoadedTable> = {
    describe: `expire snapshots of ${name}`,
    build: async (table) => {
      const plan = planExpiry(table.metadata, now, options);
      built = { metadata: table.metadata, plan };
      return { requirements: requirementsFor(table.metadata), updates: expiryUpdates(plan), result: (committed) => committed };
    },
    landed: (table) => {
      if (!built) return undefined;
      const left = new Set((table.metadata.snapshots ?? []).map((s) => s['snapshot-id']));
      const refs = table.metadata.refs ?? {};
      return built.plan.expire.some((s) => left.has(s)) || built.plan.removeRefs.some((r) => refs[r] !== undefined) ? undefined : table;
    },
  };
  const { result: committed, attempts } = await commitWithRetry(catalog, id, commitPlan, { maxAttempts: options.maxAttempts });
  const { metadata, plan } = built!;
  const changed = expiryUpdates(plan).length > 0;
  const report = newReport(name, false, plan, attempts, changed);
  if (!changed) return report;

  const left = new Set((committed.metadata.snapshots ?? []).map((s) => s['snapshot-id']));
  const gone = new Set(plan.expire.filter((s) => !left.has(s)));
  const expired = (metadata.snapshots ?? []).filter((s) => gone.has(s['snapshot-id']));
  const io = await listFiles(report, committed, options.io, expired, committed.metadata.snapshots ?? [], concurrency);
  if (report.filesKept !== undefined) return report;

  // Data and delete files first, then manifests, then manifest lists: a crash part way leaves
  // orphans only (nothing kept references any of them).
  for (const kind of ['dataFiles', 'deleteFiles', 'manifests', 'manifestLists'] as const) {
    await mapLimit(report.files[kind], concurrency, async (f) => {
      try {
        await io.delete(f.path);
        report.deleted[kind]++;
        report.deleted.bytes += f.bytes;
      } catch (err) {
        report.failed.push({ path: f.path, error: (err as Error).message });
      }
    });
  }
  return report;
}

/** The commit's guard: the table, and every ref where the plan saw it. */
function requirementsFor(metadata: TableMetadata): TableRequirement[] {
  const requirements: TableRequirement[] = [{ type: 'assert-table-uuid', uuid: metadata['table-uuid'] }];
  const refs = refsOf(metadata);
  requirements.push({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': refs.main?.['snapshot-id'] ?? null });
  for (const [ref, r] of Object.entries(refs)) if (ref !== 'main') requirements.push({ type: 'assert-ref-snapshot-id', ref, 'snapshot-id': r['snapshot-id'] });
  return requirements;
}

function newReport(table: string, dryRun: boolean, plan: ExpirePlan, attempts: number, committed: boolean): ExpireReport {
  return {
    table,
    dryRun,
    plan,
    expiredSnapshots: plan.expire,
    removedRefs: plan.removeRefs,
    committed,
    attempts,
    files: { manifestLists: [], manifests: [], dataFiles: [], deleteFiles: [] },
    deleted: { manifestLists: 0, manifests: 0, dataFiles: 0, deleteFiles: 0, bytes: 0 },
    failed: [],
  };
}

/** Fills report.files (or report.filesKept); returns the FileIO used. */
async function listFiles(report: ExpireReport, table: LoadedTable, given: FileIO | undefined, expired: Snapshot[], kept: Snapshot[], concurrency: number): Promise<FileIO> {
  const io = given ?? fileIOFor(table.metadata.location, table.config);
  if ((table.metadata.properties?.['gc.enabled'] ?? 'true').toLowerCase() === 'false') {
    report.filesKept = 'the table says gc.enabled=false: its files may be shared with another table';
    return io;
  }
  try {
    report.files = await filesOnlyExpiredReach(io, expired, kept, { concurrency });
  } catch (err) {
    report.filesKept = `the manifest lists and manifests could not all be read, so what the kept snapshots reference is unknown: ${(err as Error).message}`;
  }
  return io;
}
