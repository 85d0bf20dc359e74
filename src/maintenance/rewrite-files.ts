// Committing a compaction: input data files replaced by output files already written, as one
// Iceberg `replace` snapshot on main, through the one retry loop (commit/commit-loop.ts).
//
// The snapshot's manifests: a new manifest with the outputs ADDED; each manifest that holds an
// input rewritten with that input DELETED and its other live entries EXISTING (snapshot ids and
// sequence numbers kept); every other manifest carried forward unchanged.
//
// Sequence numbers: the outputs take the largest data sequence number of their inputs (Iceberg's
// RewriteFiles with a fixed data sequence number), not the new snapshot's. An equality delete
// committed after every input (even one committed concurrently, between our build and commit)
// then still applies to the rows it applied to before; with the snapshot's sequence number it
// would stop applying and deleted rows would come back. Position deletes name files by path
// and cannot follow rows into a new file, and a delete between two inputs' sequence numbers
// cannot be kept for the older input's rows: so a group is given up when any live delete file
// could apply to its partition (same spec and partition, or an unpartitioned spec).
//
// Summary: operation `replace` with added/deleted files, records and bytes; EVERY `floe.*`
// entry of the parent (each connector's offsets map, lineage) copied unchanged, then this
// run's own `floe.maintenance.*` entries.
//
// It never makes an append fail: it asserts main is still the head it built on; on a conflict
// it re-checks, on the new head, that every input is still live and no delete applies, and
// retries ONCE; otherwise it gives the group up. Giving up or failing returns a typed result
// (never throws) and deletes the outputs, which nothing references, unless an attempt's
// outcome was unknown (it may have landed later: the outputs then stay, orphans at worst).
import { landedSnapshot, mainSnapshotChange, newSnapshot } from '../commit/main-snapshot.ts';
import { connectorsOf, resolveOffsets } from '../commit/committed-offsets.ts';
import { formatOffsets, offsetsKey } from '../commit/offsets-map.ts';
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { commitWithRetry, outcomeOf } from '../commit/commit-loop.ts';
import type { CommitPlan } from '../commit/commit-loop.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { ADDED, DELETED, EXISTING, manifestSummary, writeManifest } from '../iceberg/manifest.ts';
import type { ManifestEntry } from '../iceberg/manifest.ts';
import { newManifestFile, writeManifestList } from '../iceberg/manifest-list.ts';
import type { ManifestFile } from '../iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import { partitionType } from '../iceberg/partition-spec.ts';
import { newSnapshotId, snapshotSummary } from '../iceberg/snapshot-summary.ts';
import type { PartitionSpec, Snapshot, TableMetadata } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { partitionKey, readSnapshotFiles } from './table-files.ts';
import type { SnapshotFiles } from './table-files.ts';

export interface RewriteFilesRequest {
  catalog: Catalog;
  table: TableIdentifier;
  /** The data files replaced (identified by path), all of spec `specId`. */
  inputs: DataFile[];
  /** The new data files, already written, holding exactly the inputs' rows. */
  outputs: DataFile[];
  specId: number;
  /** floe.maintenance.action (default "stitch"). */
  action?: string;
  /** floe.maintenance.run-id: one id per maintenance run. */
  runId: string;
  io?: FileIO;
}

export type RewriteFilesResult =
  | { status: 'committed'; table: LoadedTable; snapshot: Snapshot; attempts: number; dataSequenceNumber: number }
  /** Not committed, outputs deleted: inputs no longer live, deletes apply, or a conflict twice. */
  | { status: 'gave-up'; reason: string; attempts: number }
  /** Not committed for another reason (I/O, catalog error); outputs deleted. */
  | { status: 'failed'; error: unknown; attempts: number }
  /** An attempt's outcome is unknown: it may land later, so the outputs are kept. */
  | { status: 'unknown'; error: unknown; attempts: number };

/** The plan refuses on this head (the inputs are gone, deletes apply): give the group up. */
class GiveUp extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'GiveUp';
  }
}

const MAINTENANCE_PREFIX = 'floe.maintenance.';

export function specById(metadata: TableMetadata, specId: number): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
  if (!spec) throw new Error(`table ${metadata.location} has no partition spec ${specId}`);
  return spec;
}

export function metadataPath(metadata: TableMetadata, file: string): string {
  const dir = metadata.properties?.['write.metadata.path'] ?? `${metadata.location}/metadata`;
  return `${dir}/${file}`;
}

/** Every `floe.*` entry of a summary (offsets maps of every connector, lineage). */
export function floeEntries(summary: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(summary ?? {})) if (k.startsWith('floe.') && !k.startsWith(MAINTENANCE_PREFIX)) out[k] = v;
  return out;
}

/**
 * Every connector's offsets map as the table holds it (committed-offsets.ts), so the maintenance
 * snapshot carries them even when its parent is another engine's snapshot without them.
 */
export function connectorOffsets(metadata: TableMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of connectorsOf(metadata)) {
    try {
      const r = resolveOffsets(metadata, c);
      if (r.source !== 'none') out[offsetsKey(c)] = formatOffsets(r.offsets);
    } catch {
      // unknown offsets (OffsetsUnknownError): the connector says so itself; carry nothing
    }
  }
  return out;
}

/** Why the inputs cannot be replaced on this table state, or their live entries' max data sequence number. */
function checkInputs(files: SnapshotFiles, req: RewriteFilesRequest, metadata: TableMetadata): number {
  const live = new Map(files.data.map((f) => [f.dataFile['file-path'], f]));
  let maxSeq = 0;
  const keys = new Set<string>();
  for (const input of req.inputs) {
    const f = live.get(input['file-path']);
    if (!f) throw new GiveUp(`${input['file-path']} is no longer live (compacted or deleted by another writer)`);
    if (f.specId !== req.specId) throw new GiveUp(`${input['file-path']} is in spec ${f.specId}, not ${req.specId}`);
    keys.add(partitionKey(f.specId, f.dataFile.partition));
    maxSeq = Math.max(maxSeq, f.sequenceNumber);
  }
  for (const d of files.deletes) {
    const unpartitioned = specById(metadata, d.specId).fields.length === 0;
    if (unpartitioned || keys.has(partitionKey(d.specId, d.dataFile.partition))) {
      throw new GiveUp(`delete file ${d.dataFile['file-path']} may apply to the inputs (stitching cannot apply deletes)`);
    }
  }
  return maxSeq;
}

/** Replaces `inputs` by `outputs` in one `replace` snapshot (see the module comment). Never throws. */
export async function rewriteFiles(req: RewriteFilesRequest): Promise<RewriteFilesResult> {
  const snapshotId = newSnapshotId();
  let io = req.io;
  let uncertain = false;
  let attempts = 0;
  let dataSequenceNumber = 0;
  const discard = async (paths: string[]) => {
    if (io) await Promise.all(paths.map((p) => io!.delete(p).catch(() => undefined)));
  };
  const inputPaths = new Set(req.inputs.map((f) => f['file-path']));

  const plan: CommitPlan<{ table: LoadedTable; snapshot: Snapshot }> = {
    describe: `${req.action ?? 'stitch'} in ${tableName(req.table)}`,
    build: async (table, attempt) => {
      attempts = attempt;
      io ??= fileIOFor(table.metadata.location, table.config);
      const metadata = table.metadata;
      const parent = currentSnapshot(metadata);
      if (!parent) throw new GiveUp('the table has no snapshot');
      const files = await readSnapshotFiles(io, parent);
      dataSequenceNumber = checkInputs(files, req, metadata);

      const schema = currentSchema(metadata);
      const written: string[] = [];
      try {
        // the outputs, ADDED with the inputs' largest data sequence number
        const spec = specById(metadata, req.specId);
        const pType = partitionType(spec, schema);
        const added: ManifestEntry[] = req.outputs.map((dataFile) => ({ status: ADDED, snapshotId, sequenceNumber: dataSequenceNumber, fileSequenceNumber: null, dataFile }));
        const addedBytes = writeManifest({ schema, spec, partitionType: pType, entries: added, formatVersion: 2 });
        const addedPath = metadataPath(metadata, `${crypto.randomUUID()}-m0.avro`);
        await io.write(addedPath, addedBytes);
        written.push(addedPath);
        const manifests: ManifestFile[] = [newManifestFile({ path: addedPath, length: addedBytes.length, specId: req.specId, snapshotId, summary: manifestSummary(added, pType) })];

        // manifests holding an input: rewritten; the others carried forward
        let k = 1;
        for (const { manifest, entries } of files.manifests) {
          if (manifest.content !== 0 || !entries.some((e) => e.status !== DELETED && inputPaths.has(e.dataFile['file-path']))) {
            manifests.push(manifest);
            continue;
          }
          const mSpec = specById(metadata, manifest.partitionSpecId);
          const mType = partitionType(mSpec, schema);
          const kept: ManifestEntry[] = [];
          for (const e of entries) {
            if (e.status === DELETED) continue;
            if (inputPaths.has(e.dataFile['file-path'])) kept.push({ ...e, status: DELETED, snapshotId });
            else kept.push({ ...e, status: EXISTING });
          }
          const bytes = writeManifest({ schema, spec: mSpec, partitionType: mType, entries: kept, formatVersion: 2 });
          const path = metadataPath(metadata, `${crypto.randomUUID()}-m${k++}.avro`);
          await io.write(path, bytes);
          written.push(path);
          manifests.push(newManifestFile({ path, length: bytes.length, specId: manifest.partitionSpecId, snapshotId, summary: manifestSummary(kept, mType) }));
        }

        const sequenceNumber = metadata['last-sequence-number'] + 1;
        const listPath = metadataPath(metadata, `snap-${snapshotId}-${attempt}-${crypto.randomUUID()}.avro`);
        await io.write(listPath, writeManifestList({ snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, manifests }));
        written.push(listPath);

        const sum = (fs: DataFile[], k: 'record-count' | 'file-size-in-bytes') => fs.reduce((n, f) => n + f[k], 0);
        const outBytes = sum(req.outputs, 'file-size-in-bytes');
        const inBytes = sum(req.inputs, 'file-size-in-bytes');
        const extra: Record<string, string> = {
          ...floeEntries(parent.summary),
          ...connectorOffsets(metadata),
          'floe.maintenance.action': req.action ?? 'stitch',
          'floe.maintenance.files-in': String(req.inputs.length),
          'floe.maintenance.files-out': String(req.outputs.length),
          'floe.maintenance.bytes-in': String(inBytes),
          'floe.maintenance.bytes-out': String(outBytes),
          'floe.maintenance.run-id': req.runId,
        };
        const partitions = new Set([...req.inputs, ...req.outputs].map((f) => partitionKey(req.specId, f.partition)));
        const summary = snapshotSummary(
          'replace',
          {
            addedDataFiles: req.outputs.length,
            addedRecords: sum(req.outputs, 'record-count'),
            addedFilesSize: outBytes,
            deletedDataFiles: req.inputs.length,
            deletedRecords: sum(req.inputs, 'record-count'),
            removedFilesSize: inBytes,
            changedPartitionCount: partitions.size,
          },
          parent.summary,
          extra,
        );
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
    const { result, attempts: n } = await commitWithRetry(req.catalog, req.table, plan, { maxAttempts: 2 });
    return { status: 'committed', table: result.table, snapshot: result.snapshot, attempts: n, dataSequenceNumber };
  } catch (error) {
    if (uncertain) return { status: 'unknown', error, attempts };
    await discard(req.outputs.map((f) => f['file-path']));
    if (error instanceof GiveUp) return { status: 'gave-up', reason: error.message, attempts };
    if (outcomeOf(error) === 'conflict') {
      return { status: 'gave-up', reason: `main moved again: ${(error as Error).message}`, attempts };
    }
    return { status: 'failed', error, attempts };
  }
}
