// `floe maintain <table>`: one maintenance pass, its plan printed first. Under the table's
// maintenance lease (maintenance/lease.ts), in this order:
//   1. compaction (maintenance/compact-table.ts): small files of a partition stitched (or, when
//      the files do not allow it, rewritten) into files near the target size, after the
//      manifests are rewritten when they piled up (maintenance/rewrite-manifests.ts);
//   2. snapshot expiry (floe keeps each connector's offsets snapshot), then the files only
//      expired snapshots reached;
//   3. orphan cleanup: unreferenced files and unfinished writes older than the window.
// --dry-run prints the plan (groups, bytes in and out, snapshots and files that would go) and
// changes nothing. Every change is its own commit through the commit loop; a connector appending
// meanwhile never fails because of it (a group that loses a race is given up and reported).
//
// The maintenance worker (maintain-worker.ts) calls the same pass with steps turned on or off,
// without the printed plan, and with an AbortSignal: once it fires, no further step (nor
// compaction group) starts, the one running finishes, and the lease is released. A group stops
// either committed or with its output deleted (stitch.ts aborts an unfinished output,
// rewrite-files.ts deletes the output of a group it does not commit).
import type { Catalog } from '../catalog/catalog.ts';
import { parseTableName } from '../catalog/catalog.ts';
import { currentSnapshot } from '../iceberg/metadata-updates.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { planCompaction, targetFileSize } from '../maintenance/compaction-plan.ts';
import type { CompactionGroup } from '../maintenance/compaction-plan.ts';
import { expireSnapshots } from '../maintenance/expire-snapshots.ts';
import { acquireLease, releaseLease } from '../maintenance/lease.ts';
import type { LeaseOptions } from '../maintenance/lease.ts';
import type { QuietGapOptions } from '../maintenance/quiet-gap.ts';
import { DEFAULT_ORPHAN_WINDOW_MS, removeOrphanFiles } from '../maintenance/orphan-files.ts';
import { compactTable } from '../maintenance/compact-table.ts';
import type { CompactOutcome } from '../maintenance/compact-table.ts';
import { rewriteManifests } from '../maintenance/rewrite-manifests.ts';
import { readSnapshotFiles } from '../maintenance/table-files.ts';
import { FloeError, kindOf } from '../errors.ts';

export interface MaintainOptions {
  dryRun?: boolean;
  /** Print the whole plan first (default true; the worker turns it off: it costs an extra read of the table's files). */
  printPlan?: boolean;
  /** Steps (default all on). */
  compact?: boolean;
  expire?: boolean;
  orphans?: boolean;
  /** Target file size in bytes (default: write.target-file-size-bytes, else 512 MiB). */
  targetBytes?: number;
  /** Compaction groups committed together in one replace snapshot (default 100). */
  commitGroups?: number;
  /** Snapshots older than this may expire (default: history.expire.max-snapshot-age-ms, else 5 days). */
  maxSnapshotAgeMs?: number;
  /** At least this many snapshots of each branch kept (default: history.expire.min-snapshots-to-keep, else 1). */
  minSnapshotsToKeep?: number;
  /** Orphans younger than this are left alone (default 3 days). */
  orphanWindowMs?: number;
  /** Extra FileIO properties (the connector file's catalog properties). */
  ioProperties?: Record<string, string>;
  /** Once aborted, no further step or compaction group starts; the lease is released. */
  signal?: AbortSignal;
  /** The lease's timing (tests). */
  lease?: Pick<LeaseOptions, 'ttlMs' | 'graceMs'>;
  /** How replace commits wait for the gap after a streaming writer's append (default: at most 10 s; quiet-gap.ts). */
  quietGap?: QuietGapOptions;
  out?: (line: string) => void;
  now?: () => number;
}

export interface MaintainSummary {
  table: string;
  skipped?: string;
  /** Why it was skipped: another run holds the lease, or the table has no snapshot. */
  skippedBy?: 'lease' | 'empty-table';
  /** The signal fired: the steps after the one running were not started. */
  aborted?: boolean;
  groups: { planned: number; committed: number; gaveUp: number; failed: number; filesIn: number; filesOut: number; bytesIn: number; bytesOut: number };
  expired: { snapshots: number; files: number; bytes: number; deleteFailures: number };
  orphans: { files: number; unfinished: number; bytes: number };
  /** Groups given up or failed, deletes that failed, a lease that could not be kept: one line each. */
  problems: string[];
}

/** A pass that failed after it took the lease: what it did until then is in `summary`. */
export class MaintainError extends FloeError {
  readonly summary: MaintainSummary;
  constructor(summary: MaintainSummary, cause: unknown) {
    super(kindOf(cause), cause instanceof Error ? cause.message : String(cause), { cause });
    this.summary = summary;
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const partitionText = (g: CompactionGroup) => `spec ${g.specId} partition ${JSON.stringify(g.partition, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;

/** Renew the lease at most this often (each renewal is a commit), and whenever the lease tag should move to main's new head. */
const RENEW_AFTER_MS = 60_000;

export async function maintain(catalog: Catalog, name: string, o: MaintainOptions = {}): Promise<MaintainSummary> {
  const out = o.out ?? ((l: string) => console.log(l));
  const now = o.now ?? Date.now;
  const printPlan = o.printPlan ?? true;
  const steps = { compact: o.compact ?? true, expire: o.expire ?? true, orphans: o.orphans ?? true };
  const id = parseTableName(name);
  const summary: MaintainSummary = {
    table: name,
    groups: { planned: 0, committed: 0, gaveUp: 0, failed: 0, filesIn: 0, filesOut: 0, bytesIn: 0, bytesOut: 0 },
    expired: { snapshots: 0, files: 0, bytes: 0, deleteFailures: 0 },
    orphans: { files: 0, unfinished: 0, bytes: 0 },
    problems: [],
  };
  const runId = crypto.randomUUID();
  let table = await catalog.loadTable(id);
  const io = fileIOFor(table.metadata.location, { ...table.config, ...(o.ioProperties ?? {}) });
  const target = o.targetBytes ?? targetFileSize(table.metadata.properties);
  const planGroups = async () => {
    const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
    const groups = planCompaction(files.data, {
      targetBytes: target,
      properties: table.metadata.properties,
      deleteFiles: files.deletes,
      unpartitionedSpecIds: table.metadata['partition-specs'].filter((s) => s.fields.length === 0).map((s) => s['spec-id']),
    });
    return { files, groups };
  };
  const expireOptions = { io, maxSnapshotAgeMs: o.maxSnapshotAgeMs, minSnapshotsToKeep: o.minSnapshotsToKeep };
  const orphanWindowMs = o.orphanWindowMs ?? DEFAULT_ORPHAN_WINDOW_MS;

  // ---- the plan ----
  if (printPlan || o.dryRun) {
    out(`maintain ${name}${o.dryRun ? ' (dry run: nothing changes)' : ''}: run ${runId}`);
    if (steps.compact) {
      const { files, groups } = await planGroups();
      summary.groups.planned = groups.length;
      out(`  data files: ${files.data.length} live, ${mb(files.data.reduce((n, f) => n + f.dataFile['file-size-in-bytes'], 0))}; target file size ${mb(target)}`);
      out(`  compaction: ${groups.length} group(s)`);
      for (const g of groups) out(`    ${partitionText(g)}: ${g.files.length} files, ${mb(g.bytes)} in → about ${Math.max(1, Math.ceil(g.bytes / target))} file(s)`);
    } else out('  compaction: off');
    if (steps.expire) {
      const expiryPlan = await expireSnapshots(catalog, id, { ...expireOptions, dryRun: true, now: now() });
      const expFiles = Object.values(expiryPlan.files).flat();
      out(
        `  expiry: ${expiryPlan.expiredSnapshots.length} snapshot(s) of ${table.metadata.snapshots?.length ?? 0}${expiryPlan.expiredSnapshots.length > 0 ? ` (${expiryPlan.expiredSnapshots.join(', ')})` : ''}, ${expFiles.length} file(s) only they reach`,
      );
      for (const [sid, connectors] of expiryPlan.plan.keptForOffsets) out(`    kept for the offsets of ${connectors.join(', ')}: snapshot ${sid}`);
      if (o.dryRun) summary.expired = { snapshots: expiryPlan.expiredSnapshots.length, files: expFiles.length, bytes: expFiles.reduce((n, f) => n + f.bytes, 0), deleteFailures: 0 };
    } else out('  expiry: off');
    if (steps.orphans) {
      const orphanPlan = await removeOrphanFiles(table, { io, dryRun: true, olderThanMs: orphanWindowMs, now });
      out(
        `  orphans: ${orphanPlan.orphans.length} file(s) (${mb(orphanPlan.orphans.reduce((n, f) => n + f.size, 0))}) and ${orphanPlan.unfinished.length} unfinished write(s) older than the window; ${orphanPlan.tooYoung} younger left alone`,
      );
      for (const f of orphanPlan.orphans) out(`    ${f.location}`);
      for (const u of orphanPlan.unfinished) out(`    unfinished: ${u.location}`);
      if (o.dryRun) summary.orphans = { files: orphanPlan.orphans.length, unfinished: orphanPlan.unfinished.length, bytes: orphanPlan.orphans.reduce((n, f) => n + f.size, 0) };
    } else out('  orphans: off');
    if (o.dryRun) return summary;
  }
  if (o.signal?.aborted) {
    summary.aborted = true;
    return summary;
  }

  // ---- the pass, under the lease ----
  const leaseOptions = { ...o.lease, now };
  const lease = await acquireLease(catalog, id, runId, leaseOptions);
  if (!lease.held) {
    summary.skippedBy = lease.reason === 'empty-table' ? 'empty-table' : 'lease';
    summary.skipped =
      lease.reason === 'empty-table' ? 'the table has no snapshot yet' : `another maintenance run (${lease.holder.owner}) holds the lease until ${new Date(lease.holder.until).toISOString()}`;
    out(`  skipped: ${summary.skipped}`);
    return summary;
  }
  let leaseAt = now();
  let lost = false;
  /** Renews the lease when due or forced (moving its tag to main's head); false once it is lost. */
  const keepLease = async (force = false): Promise<boolean> => {
    if (lost) return false;
    if (!force && now() - leaseAt < RENEW_AFTER_MS) return true;
    const renewed = await acquireLease(catalog, id, runId, leaseOptions);
    if (renewed.held) {
      leaseAt = now();
      return true;
    }
    lost = true;
    summary.problems.push(`lost the lease (${renewed.reason === 'held-by-other' ? `${renewed.holder.owner} holds it` : renewed.reason}): the pass stops`);
    out(`  ${summary.problems.at(-1)}`);
    return false;
  };
  const stop = (): boolean => {
    if (o.signal?.aborted) summary.aborted = true;
    return summary.aborted === true || lost;
  };
  try {
    if (steps.compact && !stop()) {
      table = await catalog.loadTable(id);
      const { groups } = await planGroups();
      summary.groups.planned = groups.length;
      const report = (g: CompactOutcome) => {
        const where = partitionText(g.group);
        if (g.status === 'committed') {
          const filesOut = g.outputs?.length ?? 1;
          summary.groups.committed++;
          summary.groups.filesIn += g.group.files.length;
          summary.groups.filesOut += filesOut;
          summary.groups.bytesIn += g.group.bytes;
          summary.groups.bytesOut += Number(g.snapshot.summary['added-files-size'] ?? 0);
          out(`  ${g.action === 'rewrite' ? 'rewrote' : 'stitched'} ${where}: ${g.group.files.length} files → ${filesOut} (snapshot ${g.snapshot['snapshot-id']})${g.why ? ` (${g.why})` : ''}`);
        } else if (g.status === 'gave-up' || g.status === 'not-stitchable') {
          summary.groups.gaveUp++;
          summary.problems.push(`gave up ${where}: ${g.reason}`);
          out(`  gave up ${where}: ${g.reason}`);
        } else {
          summary.groups.failed++;
          summary.problems.push(`failed ${where}: ${(g.error as Error)?.message ?? String(g.error)}`);
          out(`  failed ${where}: ${(g.error as Error)?.message ?? String(g.error)}`);
        }
      };
      // Manifests first, clustered by partition: each compaction group then rewrites the few
      // manifests of its own partition, not every manifest a commit touched (the benchmark's
      // cost of a group was mostly reading and rewriting all of them).
      if (!stop() && (await keepLease())) {
        const m = await rewriteManifests(catalog, id, { io, runId, quietGap: o.quietGap });
        if (m.status === 'committed') out(`  rewrote manifests: ${m.replaced} → ${m.created} (snapshot ${m.snapshot['snapshot-id']})`);
        else if (m.status === 'gave-up') summary.problems.push(`manifest rewrite gave up: ${m.reason}`);
        else if (m.status === 'failed' || m.status === 'unknown') summary.problems.push(`manifest rewrite ${m.status}: ${(m.error as Error)?.message ?? String(m.error)}`);
      }
      await compactTable(catalog, id, {
        io,
        runId,
        targetBytes: target,
        commitGroups: o.commitGroups,
        quietGap: o.quietGap,
        beforeGroup: async () => !stop() && (await keepLease()),
        onOutcome: report,
      });
    }
    // the lease tag moves to main's head, so the snapshots compaction replaced can expire
    if (steps.expire && !stop() && (await keepLease(summary.groups.committed > 0))) {
      const expired = await expireSnapshots(catalog, id, { ...expireOptions, now: now() });
      const deleted = expired.deleted;
      summary.expired = {
        snapshots: expired.expiredSnapshots.length,
        files: deleted.manifestLists + deleted.manifests + deleted.dataFiles + deleted.deleteFiles,
        bytes: deleted.bytes,
        deleteFailures: expired.failed.length,
      };
      if (expired.failed.length > 0) summary.problems.push(`${expired.failed.length} delete(s) of expired files failed (orphans now)`);
      out(
        `  expired ${summary.expired.snapshots} snapshot(s), deleted ${summary.expired.files} file(s) (${mb(summary.expired.bytes)})${expired.failed.length > 0 ? `, ${expired.failed.length} delete(s) failed` : ''}`,
      );
    }
    if (steps.orphans && !stop() && (await keepLease())) {
      table = await catalog.loadTable(id);
      const orphans = await removeOrphanFiles(table, { io, olderThanMs: orphanWindowMs, now });
      summary.orphans = { files: orphans.orphans.length, unfinished: orphans.unfinished.length, bytes: orphans.orphans.reduce((n, f) => n + f.size, 0) };
      out(`  removed ${summary.orphans.files} orphan file(s) (${mb(summary.orphans.bytes)}) and ${summary.orphans.unfinished} unfinished write(s)`);
    }
    stop();
    if (summary.aborted) out('  stopped: the steps after the one running were not started');
  } catch (err) {
    throw new MaintainError(summary, err);
  } finally {
    await releaseLease(catalog, id, runId).catch((err) => {
      summary.problems.push(`lease release failed (it expires by itself): ${(err as Error).message}`);
      out(`  lease release failed (it expires by itself): ${(err as Error).message}`);
    });
  }
  return summary;
}
