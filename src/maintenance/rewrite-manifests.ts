// Manifest rewrite (Iceberg's RewriteManifests): when a table's data manifests have piled up
// (every commit adds one; with commit.manifest-merge.enabled=false, or below the merge count,
// nothing joins them), the current snapshot's data manifests are written again as manifests of
// about commit.manifest.target-size-bytes (default 8 MiB), clustered by partition: per spec, the
// live entries sorted by partition (then path) and cut into runs, a cut going at a partition
// boundary unless one partition alone exceeds a manifest. A planner then skips every manifest
// whose partition range misses its filter.
//
// When (shouldRewriteManifests): at least `minCount` (default 100) data manifests smaller than
// the target, or more data manifests than `factor` (default 4) times what the table warrants
// (the larger of its live partitions and its total manifest bytes over the target, at least 1)
// with at least `minManifests` (default 16) of them. `force` rewrites whenever it would change
// anything (two or more data manifests of a spec, one larger than the target, or one holding
// deleted entries).
//
// The snapshot: operation `replace` with no data change (no added or deleted files; totals
// carried); every entry EXISTING with its original snapshot id and data and file sequence
// numbers (so equality deletes apply as before and time travel is unchanged); DELETED entries
// dropped (they only mattered to the snapshot that deleted them); delete manifests carried
// forward unchanged. Summary: every `floe.*` entry of the parent and every connector's offsets
// (as rewrite-files.ts), floe.maintenance.action=rewrite-manifests, run id, and Iceberg's
// manifests-created / manifests-replaced / manifests-kept / entries-processed.
//
// Committed through commitWithRetry asserting main's head; on a conflict it is rebuilt on the
// new head and tried once more, then given up; the manifests it wrote are deleted when it gives
// up (unless an attempt's outcome was unknown). Never throws.
import { landedSnapshot, mainSnapshotChange, newSnapshot } from '../commit/main-snapshot.ts';
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { commitWithRetry, lostToOtherWriters } from '../commit/commit-loop.ts';
import { afterNextAppend } from './quiet-gap.ts';
import type { QuietGapOptions } from './quiet-gap.ts';
import type { CommitPlan } from '../commit/commit-loop.ts';
import { DELETED, EXISTING, manifestSummary, writeManifest } from '../iceberg/manifest.ts';
import type { ManifestEntry } from '../iceberg/manifest.ts';
import { newManifestFile, writeManifestList } from '../iceberg/manifest-list.ts';
import type { ManifestFile } from '../iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import { partitionType } from '../iceberg/partition-spec.ts';
import { newSnapshotId, snapshotSummary } from '../iceberg/snapshot-summary.ts';
import type { Snapshot } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { connectorOffsets, floeEntries, metadataPath, specById } from './rewrite-files.ts';
import { partitionKey, readSnapshotFiles } from './table-files.ts';
import type { ManifestWithEntries } from './table-files.ts';

export const DEFAULT_TARGET_MANIFEST_BYTES = 8 * 1024 * 1024;

export interface ManifestRewriteTrigger {
  /** Rewrite once this many data manifests are smaller than the target (default 100). */
  minCount?: number;
  /** ... or once there are more than factor × warranted data manifests (default 4) ... */
  factor?: number;
  /** ... and at least this many (default 16). */
  minManifests?: number;
  /** Rewrite whenever it changes anything. */
  force?: boolean;
}

export interface RewriteManifestsOptions extends ManifestRewriteTrigger {
  /** Target manifest size (default: commit.manifest.target-size-bytes, else 8 MiB). */
  targetBytes?: number;
  runId?: string;
  io?: FileIO;
  /** How the commit waits for the gap after a streaming writer's append (quiet-gap.ts). */
  quietGap?: QuietGapOptions;
}

export type RewriteManifestsResult =
  | { status: 'committed'; table: LoadedTable; snapshot: Snapshot; attempts: number; created: number; replaced: number }
  /** Nothing to do: the manifests are fine as they are (`reason` says why). */
  | { status: 'skipped'; reason: string }
  /** Not committed, its manifests deleted: main moved twice, or the table changed under it. */
  | { status: 'gave-up'; reason: string; attempts: number }
  | { status: 'failed'; error: unknown; attempts: number }
  /** An attempt's outcome is unknown: it may land later, so its manifests are kept. */
  | { status: 'unknown'; error: unknown; attempts: number };

/** commit.manifest.target-size-bytes, else 8 MiB. */
export function manifestTargetSize(properties: Record<string, string> = {}): number {
  const n = Number(properties['commit.manifest.target-size-bytes']);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_TARGET_MANIFEST_BYTES;
}

/** Whether the data manifests should be rewritten (see the module comment), and why. */
export function shouldRewriteManifests(manifests: ManifestWithEntries[], targetBytes: number, trigger: ManifestRewriteTrigger = {}): { rewrite: boolean; reason: string } {
  const data = manifests.filter((m) => m.manifest.content === 0);
  if (trigger.force) {
    const specs = new Map<number, number>();
    for (const m of data) specs.set(m.manifest.partitionSpecId, (specs.get(m.manifest.partitionSpecId) ?? 0) + 1);
    const changes = [...specs.values()].some((n) => n > 1) || data.some((m) => m.manifest.manifestLength > targetBytes || m.entries.some((e) => e.status === DELETED));
    return { rewrite: changes, reason: changes ? 'forced' : 'one manifest per spec without deleted entries already' };
  }
  const minCount = trigger.minCount ?? 100;
  const small = data.filter((m) => m.manifest.manifestLength < targetBytes).length;
  if (small >= minCount) return { rewrite: true, reason: `${small} data manifests smaller than ${targetBytes} bytes (at least ${minCount})` };
  const partitions = new Set<string>();
  let bytes = 0;
  for (const m of data) {
    bytes += m.manifest.manifestLength;
    for (const e of m.entries) if (e.status !== DELETED) partitions.add(partitionKey(m.manifest.partitionSpecId, e.dataFile.partition));
  }
  const warranted = Math.max(1, partitions.size, Math.ceil(bytes / targetBytes));
  const factor = trigger.factor ?? 4;
  const minManifests = trigger.minManifests ?? 16;
  if (data.length >= minManifests && data.length > factor * warranted) {
    return { rewrite: true, reason: `${data.length} data manifests for ${partitions.size} partitions (more than ${factor} × ${warranted})` };
  }
  return { rewrite: false, reason: `${data.length} data manifests (${small} small) for ${partitions.size} partitions` };
}

/** Orders partition values: null first, then numbers, bigints and strings by value, bytes unsigned. */
export function comparePartitions(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      const n = Math.min(x.length, y.length);
      for (let k = 0; k < n; k++) if (x[k] !== y[k]) return x[k] - y[k];
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    if (typeof x === 'string' && typeof y === 'string') {
      const c = Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));
      if (c !== 0) return c;
      continue;
    }
    const xv = typeof x === 'boolean' ? Number(x) : (x as number | bigint);
    const yv = typeof y === 'boolean' ? Number(y) : (y as number | bigint);
    if (xv < yv) return -1;
    if (xv > yv) return 1;
  }
  return 0;
}

/**
 * Entries (of one spec) sorted by partition then path, cut into runs of at most `perManifest`
 * entries, a cut at a partition boundary when the next partition fits no more in the run
 * (a partition larger than a manifest is split). Pure.
 */
export function clusterEntries(entries: ManifestEntry[], perManifest: number): ManifestEntry[][] {
  const max = Number.isFinite(perManifest) ? Math.max(1, Math.floor(perManifest)) : Infinity;
  const sorted = [...entries].sort(
    (a, b) => comparePartitions(a.dataFile.partition, b.dataFile.partition) || (a.dataFile['file-path'] < b.dataFile['file-path'] ? -1 : a.dataFile['file-path'] > b.dataFile['file-path'] ? 1 : 0),
  );
  // partitions as runs of the sorted entries
  const parts: ManifestEntry[][] = [];
  for (const e of sorted) {
    const last = parts.at(-1);
    if (last && comparePartitions(last[0].dataFile.partition, e.dataFile.partition) === 0) last.push(e);
    else parts.push([e]);
  }
  const out: ManifestEntry[][] = [];
  let cur: ManifestEntry[] = [];
  for (const p of parts) {
    if (cur.length > 0 && cur.length + p.length > max) {
      out.push(cur);
      cur = [];
    }
    for (const e of p) {
      if (cur.length >= max) {
        out.push(cur);
        cur = [];
      }
      cur.push(e);
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Rewrites main's data manifests when they piled up (see the module comment). Never throws. */
export async function rewriteManifests(catalog: Catalog, id: TableIdentifier, options: RewriteManifestsOptions = {}): Promise<RewriteManifestsResult> {
  const snapshotId = newSnapshotId();
  const runId = options.runId ?? crypto.randomUUID();
  let io = options.io;
  let uncertain = false;
  let attempts = 0;
  let skipped: string | undefined;
  let counts = { created: 0, replaced: 0 };
  const discard = async (paths: string[]) => {
    if (io) await Promise.all(paths.map((p) => io!.delete(p).catch(() => undefined)));
  };

  const plan: CommitPlan<{ table: LoadedTable; snapshot?: Snapshot }> = {
    describe: `rewrite manifests of ${tableName(id)}`,
    build: async (table, attempt) => {
      attempts = attempt;
      io ??= fileIOFor(table.metadata.location, table.config);
      const metadata = table.metadata;
      const parent = currentSnapshot(metadata);
      const none = { requirements: [], updates: [], result: (t: LoadedTable) => ({ table: t }) };
      if (!parent) {
        skipped = 'the table has no snapshot';
        return none;
      }
      const target = options.targetBytes ?? manifestTargetSize(metadata.properties);
      const files = await readSnapshotFiles(io, parent);
      const decision = shouldRewriteManifests(files.manifests, target, options);
      if (!decision.rewrite) {
        skipped = decision.reason;
        return none;
      }
      skipped = undefined;
      const schema = currentSchema(metadata);
      const written: string[] = [];
      try {
        const manifests: ManifestFile[] = [];
        const bySpec = new Map<number, ManifestWithEntries[]>();
        for (const m of files.manifests) {
          if (m.manifest.content !== 0) {
            manifests.push(m.manifest); // delete manifests carried forward
            continue;
          }
          const list = bySpec.get(m.manifest.partitionSpecId) ?? [];
          list.push(m);
          bySpec.set(m.manifest.partitionSpecId, list);
        }
        const kept = manifests.length;
        let replaced = 0;
        let processed = 0;
        const created: ManifestFile[] = [];
        for (const [specId, list] of bySpec) {
          const entries: ManifestEntry[] = [];
          let all = 0;
          for (const m of list) {
            all += m.entries.length;
            for (const e of m.entries) if (e.status !== DELETED) entries.push({ ...e, status: EXISTING });
          }
          replaced += list.length;
          processed += all;
          if (entries.length === 0) continue;
          // entries per manifest, from the size of all of them in one manifest less its header
          const spec = specById(metadata, specId);
          const pType = partitionType(spec, schema);
          const write = (run: ManifestEntry[]) => writeManifest({ schema, spec, partitionType: pType, entries: run, formatVersion: 2 });
          const sorted = clusterEntries(entries, Infinity)[0];
          const whole = write(sorted);
          const header = write([]).length;
          const perEntry = Math.max(1, (whole.length - header) / sorted.length);
          const runs = whole.length <= target ? [sorted] : clusterEntries(sorted, (target - header) / perEntry);
          for (const [k, run] of runs.entries()) {
            const data = run === sorted ? whole : write(run);
            const path = metadataPath(metadata, `${crypto.randomUUID()}-m${k}.avro`);
            await io.write(path, data);
            written.push(path);
            created.push(newManifestFile({ path, length: data.length, specId, snapshotId, summary: manifestSummary(run, pType) }));
          }
        }
        counts = { created: created.length, replaced };
        const sequenceNumber = metadata['last-sequence-number'] + 1;
        const listPath = metadataPath(metadata, `snap-${snapshotId}-${attempt}-${crypto.randomUUID()}.avro`);
        await io.write(listPath, writeManifestList({ snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, manifests: [...created, ...manifests] }));
        written.push(listPath);
        const summary = snapshotSummary('replace', { addedDataFiles: 0, addedRecords: 0, addedFilesSize: 0 }, parent.summary, {
          ...floeEntries(parent.summary),
          ...connectorOffsets(metadata),
          'manifests-created': String(created.length),
          'manifests-replaced': String(replaced),
          'manifests-kept': String(kept),
          'entries-processed': String(processed),
          'floe.maintenance.action': 'rewrite-manifests',
          'floe.maintenance.manifests-in': String(replaced),
          'floe.maintenance.manifests-out': String(created.length),
          'floe.maintenance.run-id': runId,
        });
        return mainSnapshotChange(metadata, newSnapshot(metadata, snapshotId, parent, listPath, summary), written);
      } catch (err) {
        await discard(written);
        throw err;
      }
    },
    landed: (table) => landedSnapshot(table, snapshotId),
    discard,
    abandon: async (why) => {
      uncertain = why.uncertain;
    },
  };

  try {
    // One attempt on the head as loaded, one more on the new head after a conflict.
    const { result, attempts: n } = await commitWithRetry(catalog, id, plan, { maxAttempts: 2, beforeAttempt: afterNextAppend(catalog, id, options.quietGap) });
    if (!result.snapshot) return { status: 'skipped', reason: skipped ?? 'nothing to rewrite' };
    return { status: 'committed', table: result.table, snapshot: result.snapshot, attempts: n, ...counts };
  } catch (error) {
    if (uncertain) return { status: 'unknown', error, attempts };
    if (lostToOtherWriters(error)) return { status: 'gave-up', reason: `main moved again: ${(error as Error).message}`, attempts };
    return { status: 'failed', error, attempts };
  }
}
