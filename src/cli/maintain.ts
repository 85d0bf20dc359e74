// `floe maintain <table>`: one maintenance pass, its plan printed first. Under the table's
// maintenance lease (maintenance/lease.ts), in this order:
//   1. compaction: small files of a partition stitched into files near the target size;
//   2. snapshot expiry (floe keeps each connector's offsets snapshot), then the files only
//      expired snapshots reached;
//   3. orphan cleanup: unreferenced files and unfinished writes older than the window.
// --dry-run prints the plan (groups, bytes in and out, snapshots and files that would go) and
// changes nothing. Every change is its own commit through the commit loop; a connector appending
// meanwhile never fails because of it (a group that loses a race is given up and reported).
import type { Catalog } from '../catalog/catalog.ts';
import { parseTableName } from '../catalog/catalog.ts';
import { currentSnapshot } from '../iceberg/metadata-updates.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { planCompaction, targetFileSize } from '../maintenance/compaction-plan.ts';
import { expireSnapshots } from '../maintenance/expire-snapshots.ts';
import { acquireLease, releaseLease } from '../maintenance/lease.ts';
import { DEFAULT_ORPHAN_WINDOW_MS, removeOrphanFiles } from '../maintenance/orphan-files.ts';
import { stitchSmallFiles } from '../maintenance/stitch-compaction.ts';
import { readSnapshotFiles } from '../maintenance/table-files.ts';

export interface MaintainOptions {
  dryRun?: boolean;
  /** Target file size in bytes (default: write.target-file-size-bytes, else 512 MiB). */
  targetBytes?: number;
  /** Snapshots older than this may expire (default: history.expire.max-snapshot-age-ms, else 5 days). */
  maxSnapshotAgeMs?: number;
  /** At least this many snapshots of each branch kept (default: history.expire.min-snapshots-to-keep, else 1). */
  minSnapshotsToKeep?: number;
  /** Orphans younger than this are left alone (default 3 days). */
  orphanWindowMs?: number;
  /** Extra FileIO properties (the connector file's catalog properties). */
  ioProperties?: Record<string, string>;
  out?: (line: string) => void;
  now?: () => number;
}

export interface MaintainSummary {
  skipped?: string;
  groups: { planned: number; committed: number; gaveUp: number; failed: number; filesIn: number; filesOut: number; bytesIn: number; bytesOut: number };
  expired: { snapshots: number; files: number; bytes: number };
  orphans: { files: number; unfinished: number; bytes: number };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export async function maintain(catalog: Catalog, name: string, o: MaintainOptions = {}): Promise<MaintainSummary> {
  const out = o.out ?? ((l: string) => console.log(l));
  const now = o.now ?? Date.now;
  const id = parseTableName(name);
  const summary: MaintainSummary = {
    groups: { planned: 0, committed: 0, gaveUp: 0, failed: 0, filesIn: 0, filesOut: 0, bytesIn: 0, bytesOut: 0 },
    expired: { snapshots: 0, files: 0, bytes: 0 },
    orphans: { files: 0, unfinished: 0, bytes: 0 },
  };
  const runId = crypto.randomUUID();
  let table = await catalog.loadTable(id);
  const io = fileIOFor(table.metadata.location, { ...table.config, ...(o.ioProperties ?? {}) });

  // ---- the plan ----
  const target = o.targetBytes ?? targetFileSize(table.metadata.properties);
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  const groups = planCompaction(files.data, {
    targetBytes: target,
    properties: table.metadata.properties,
    deleteFiles: files.deletes,
    unpartitionedSpecIds: table.metadata['partition-specs'].filter((s) => s.fields.length === 0).map((s) => s['spec-id']),
  });
  summary.groups.planned = groups.length;
  out(`maintain ${name}${o.dryRun ? ' (dry run: nothing changes)' : ''}: run ${runId}`);
  out(`  data files: ${files.data.length} live, ${mb(files.data.reduce((n, f) => n + f.dataFile['file-size-in-bytes'], 0))}; target file size ${mb(target)}`);
  out(`  compaction: ${groups.length} group(s)`);
  for (const g of groups) {
    out(
      `    spec ${g.specId} partition ${JSON.stringify(g.partition, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}: ${g.files.length} files, ${mb(g.bytes)} in → about ${Math.max(1, Math.ceil(g.bytes / target))} file(s)`,
    );
  }
  const expiryPlan = await expireSnapshots(catalog, id, { dryRun: true, io, now: now(), maxSnapshotAgeMs: o.maxSnapshotAgeMs, minSnapshotsToKeep: o.minSnapshotsToKeep });
  const expFiles = Object.values(expiryPlan.files).flat();
  out(
    `  expiry: ${expiryPlan.expiredSnapshots.length} snapshot(s) of ${table.metadata.snapshots?.length ?? 0}${expiryPlan.expiredSnapshots.length > 0 ? ` (${expiryPlan.expiredSnapshots.join(', ')})` : ''}, ${expFiles.length} file(s) only they reach`,
  );
  for (const [sid, connectors] of expiryPlan.plan.keptForOffsets) out(`    kept for the offsets of ${connectors.join(', ')}: snapshot ${sid}`);
  const orphanPlan = await removeOrphanFiles(table, { io, dryRun: true, olderThanMs: o.orphanWindowMs ?? DEFAULT_ORPHAN_WINDOW_MS, now });
  out(
    `  orphans: ${orphanPlan.orphans.length} file(s) (${mb(orphanPlan.orphans.reduce((n, f) => n + f.size, 0))}) and ${orphanPlan.unfinished.length} unfinished write(s) older than the window; ${orphanPlan.tooYoung} younger left alone`,
  );
  for (const f of orphanPlan.orphans) out(`    ${f.location}`);
  for (const u of orphanPlan.unfinished) out(`    unfinished: ${u.location}`);
  if (o.dryRun) {
    summary.expired = { snapshots: expiryPlan.expiredSnapshots.length, files: expFiles.length, bytes: expFiles.reduce((n, f) => n + f.bytes, 0) };
    summary.orphans = { files: orphanPlan.orphans.length, unfinished: orphanPlan.unfinished.length, bytes: orphanPlan.orphans.reduce((n, f) => n + f.size, 0) };
    return summary;
  }

  // ---- the pass, under the lease ----
  const lease = await acquireLease(catalog, id, runId, { now });
  if (!lease.held) {
    summary.skipped =
      lease.reason === 'empty-table' ? 'the table has no snapshot yet' : `another maintenance run (${lease.holder.owner}) holds the lease until ${new Date(lease.holder.until).toISOString()}`;
    out(`  skipped: ${summary.skipped}`);
    return summary;
  }
  try {
    const stitched = await stitchSmallFiles(catalog, id, { io, runId, targetBytes: target });
    for (const g of stitched.groups) {
      const where = `spec ${g.group.specId} partition ${JSON.stringify(g.group.partition, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
      if (g.status === 'committed') {
        summary.groups.committed++;
        summary.groups.filesIn += g.group.files.length;
        summary.groups.filesOut += 1;
        summary.groups.bytesIn += g.group.bytes;
        summary.groups.bytesOut += Number(g.snapshot.summary['added-files-size'] ?? 0);
        out(`  stitched ${where}: ${g.group.files.length} files → 1 (snapshot ${g.snapshot['snapshot-id']})`);
      } else if (g.status === 'gave-up' || g.status === 'not-stitchable') {
        summary.groups.gaveUp++;
        out(`  gave up ${where}: ${g.reason}`);
      } else {
        summary.groups.failed++;
        out(`  failed ${where}: ${(g.error as Error)?.message ?? String(g.error)}`);
      }
    }
    await acquireLease(catalog, id, runId, { now }); // renew between steps
    const expired = await expireSnapshots(catalog, id, { io, now: now(), maxSnapshotAgeMs: o.maxSnapshotAgeMs, minSnapshotsToKeep: o.minSnapshotsToKeep });
    const deleted = expired.deleted;
    summary.expired = { snapshots: expired.expiredSnapshots.length, files: deleted.manifestLists + deleted.manifests + deleted.dataFiles + deleted.deleteFiles, bytes: deleted.bytes };
    out(
      `  expired ${summary.expired.snapshots} snapshot(s), deleted ${summary.expired.files} file(s) (${mb(summary.expired.bytes)})${expired.failed.length > 0 ? `, ${expired.failed.length} delete(s) failed` : ''}`,
    );
    await acquireLease(catalog, id, runId, { now });
    table = await catalog.loadTable(id);
    const orphans = await removeOrphanFiles(table, { io, olderThanMs: o.orphanWindowMs ?? DEFAULT_ORPHAN_WINDOW_MS, now });
    summary.orphans = { files: orphans.orphans.length, unfinished: orphans.unfinished.length, bytes: orphans.orphans.reduce((n, f) => n + f.size, 0) };
    out(`  removed ${summary.orphans.files} orphan file(s) (${mb(summary.orphans.bytes)}) and ${summary.orphans.unfinished} unfinished write(s)`);
  } finally {
    await releaseLease(catalog, id, runId).catch((err) => out(`  lease release failed (it expires by itself): ${(err as Error).message}`));
  }
  return summary;
}
