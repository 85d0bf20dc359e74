// Appending data files to a table: one new snapshot whose manifest list carries the parent's
// manifests forward plus a manifest for the new files; small manifests are merged once a spec
// has many of them, so thousands of small commits do not leave thousands of manifests.
//
// The commit is optimistic: it asserts that main still points at the parent it built on. On a
// conflict the commit loop (commit-loop.ts) reloads and this plan builds again (the data files
// and the new manifest are reused), up to a bounded number of attempts. A failure never leaves the table half-committed: the catalog
// swaps one metadata pointer, and files of attempts that lost are deleted (data files of an
// append that gives up stay behind as orphans, which maintenance removes).
import { landedSnapshot, mainSnapshotChange, newSnapshot } from './main-snapshot.ts';
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { ADDED, EXISTING, manifestSummary, readManifest, writeManifest } from '../iceberg/manifest.ts';
import type { ManifestEntry } from '../iceberg/manifest.ts';
import { newManifestFile, readManifestList, writeManifestList } from '../iceberg/manifest-list.ts';
import type { ManifestFile } from '../iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import { partitionType } from '../iceberg/partition-spec.ts';
import { newSnapshotId, snapshotSummary } from '../iceberg/snapshot-summary.ts';
import type { PartitionSpec, Snapshot, TableMetadata } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { commitWithRetry } from './commit-loop.ts';
import type { CommitPlan } from './commit-loop.ts';
import { FloeError, kindOf } from '../errors.ts';

export interface AppendOptions {
  /** FileIO for the table's files; default: chosen from the table location and catalog config. */
  io?: FileIO;
  /** Partition spec the files were written with; default: the table's default spec. */
  specId?: number;
  /**
   * Called before every attempt with the table as it is now and the new snapshot's id. Returns
   * extra summary entries for the snapshot and table properties to set in the same commit (the
   * exactly-once committer puts the offsets map and its floor here), or throws to give up (a
   * fenced writer). Runs again after each conflict, on the reloaded table.
   */
  prepare?: (table: LoadedTable, snapshotId: bigint) => AppendExtras | Promise<AppendExtras>;
  maxAttempts?: number;
  /**
   * When prepare() refuses the append (a fenced writer), also delete the data files: nothing
   * will ever reference them. Other failures keep them, so the caller can retry with the same
   * files. Never when an earlier attempt's outcome was unknown (they may be referenced).
   */
  deleteFilesOnAbort?: boolean;
}

export interface AppendExtras {
  summary?: Record<string, string>;
  properties?: Record<string, string>;
}

export interface AppendResult {
  table: LoadedTable;
  snapshot: Snapshot;
  attempts: number;
}

const DEFAULT_MIN_COUNT_TO_MERGE = 100;
const DEFAULT_TARGET_MANIFEST_BYTES = 8 * 1024 * 1024;

/** Appends data files as one snapshot on main (through commit-loop.ts). Files must be already written. */
export async function appendFiles(catalog: Catalog, id: TableIdentifier, files: DataFile[], options: AppendOptions = {}): Promise<AppendResult> {
  const snapshotId = newSnapshotId();
  let io = options.io;
  // An append of no files (offsets moved past records that went elsewhere) adds no manifest.
  let newManifest: { file: ManifestFile | undefined; specId: number } | undefined;
  const manifestPaths = () => (newManifest?.file ? [newManifest.file.manifestPath] : []);
  let built: { written: string[]; manifests: ManifestFile[] } | undefined;
  const discard = (paths: string[]) => deleteQuietly(io, paths);

  const plan: CommitPlan<{ table: LoadedTable; snapshot: Snapshot }> = {
    describe: `append to ${tableName(id)}`,
    build: async (table, attempt) => {
      io ??= fileIOFor(table.metadata.location, table.config);
      const metadata = table.metadata;
      const extras = options.prepare ? await options.prepare(table, snapshotId) : {};
      const specId = options.specId ?? metadata['default-spec-id'];
      const spec = specById(metadata, specId);
      const written: string[] = [];
      try {
        if (!newManifest || newManifest.specId !== specId) {
          await discard(manifestPaths());
          newManifest = { file: files.length > 0 ? await writeNewFilesManifest(io, metadata, spec, snapshotId, files) : undefined, specId };
        }
        const { snapshot, manifests } = await buildSnapshot(io, metadata, snapshotId, newManifest.file, files, extras.summary ?? {}, attempt, written);
        built = { written, manifests };
        return mainSnapshotChange(metadata, snapshot, written, extras.properties);
      } catch (err) {
        await discard(written);
        throw new BuildFailed(err);
      }
    },
    landed: (table) => landedSnapshot(table, snapshotId),
    discard,
    abandon: async ({ error, refused, uncertain }) => {
      if (uncertain) return; // an attempt may yet land: every file it could reference stays
      const dataFiles = refused && !(error instanceof BuildFailed) && options.deleteFilesOnAbort ? files.map((f) => f['file-path']) : [];
      await discard([...manifestPaths(), ...dataFiles]);
    },
  };
  try {
    const { result, attempts } = await commitWithRetry(catalog, id, plan, { maxAttempts: options.maxAttempts });
    // A merged-away manifest of new files is referenced by nothing: remove it.
    const own = newManifest?.file?.manifestPath;
    if (own && built && !built.manifests.some((m) => m.manifestPath === own)) await discard([own]);
    return { ...result, attempts };
  } catch (err) {
    throw err instanceof BuildFailed ? err.cause : err;
  }
}

/** A failure while writing an attempt's manifests (not a refusal): the data files are kept. */
class BuildFailed extends FloeError {
  constructor(cause: unknown) {
    super(kindOf(cause), (cause as Error)?.message ?? String(cause), { cause });
  }
}

function specById(metadata: TableMetadata, specId: number): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
  if (!spec) throw new Error(`table ${metadata.location} has no partition spec ${specId}`);
  return spec;
}

function metadataPath(metadata: TableMetadata, file: string): string {
  const dir = metadata.properties?.['write.metadata.path'] ?? `${metadata.location}/metadata`;
  return `${dir}/${file}`;
}

async function writeNewFilesManifest(io: FileIO, metadata: TableMetadata, spec: PartitionSpec, snapshotId: bigint, files: DataFile[]): Promise<ManifestFile> {
  const schema = currentSchema(metadata);
  const pType = partitionType(spec, schema);
  const entries: ManifestEntry[] = files.map((dataFile) => ({ status: ADDED, snapshotId, sequenceNumber: null, fileSequenceNumber: null, dataFile }));
  const bytes = writeManifest({ schema, spec, partitionType: pType, entries, formatVersion: 2 });
  const path = metadataPath(metadata, `${crypto.randomUUID()}-m0.avro`);
  await io.write(path, bytes);
  return newManifestFile({ path, length: bytes.length, specId: spec['spec-id'], snapshotId, summary: manifestSummary(entries, pType) });
}

async function buildSnapshot(
  io: FileIO,
  metadata: TableMetadata,
  snapshotId: bigint,
  newManifest: ManifestFile | undefined,
  files: DataFile[],
  extra: Record<string, string>,
  attempt: number,
  written: string[],
): Promise<{ snapshot: Snapshot; manifests: ManifestFile[] }> {
  const parent = currentSnapshot(metadata);
  const sequenceNumber = metadata['last-sequence-number'] + 1;
  const existing = parent ? readManifestList(await io.read(parent['manifest-list'])) : [];
  const manifests = await mergeManifests(io, metadata, snapshotId, newManifest ? [newManifest, ...existing] : existing, written);
  const listPath = metadataPath(metadata, `snap-${snapshotId}-${attempt}-${crypto.randomUUID()}.avro`);
  const listBytes = writeManifestList({ snapshotId, parentSnapshotId: parent?.['snapshot-id'] ?? null, sequenceNumber, manifests });
  await io.write(listPath, listBytes);
  written.push(listPath);

  const partitions = new Set(files.map((f) => JSON.stringify(f.partition, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))));
  const summary = snapshotSummary(
    'append',
    {
      addedDataFiles: files.length,
      addedRecords: files.reduce((n, f) => n + f['record-count'], 0),
      addedFilesSize: files.reduce((n, f) => n + f['file-size-in-bytes'], 0),
      changedPartitionCount: partitions.size,
    },
    parent?.summary,
    extra,
  );
  const snapshot = newSnapshot(metadata, snapshotId, parent, listPath, summary);
  return { snapshot, manifests };
}

/**
 * Within each partition spec, once there are at least commit.manifest.min-count-to-merge
 * manifests, rewrites the ones smaller than commit.manifest.target-size-bytes into manifests of
 * about that size. Entries keep their snapshot ids and sequence numbers; deleted entries (which
 * only mattered to the snapshot that deleted them) are dropped. Delete manifests are left alone.
 */
async function mergeManifests(io: FileIO, metadata: TableMetadata, snapshotId: bigint, manifests: ManifestFile[], written: string[]): Promise<ManifestFile[]> {
  const props = metadata.properties ?? {};
  if ((props['commit.manifest-merge.enabled'] ?? 'true') === 'false') return manifests;
  const minCount = Number(props['commit.manifest.min-count-to-merge'] ?? DEFAULT_MIN_COUNT_TO_MERGE);
  const target = Number(props['commit.manifest.target-size-bytes'] ?? DEFAULT_TARGET_MANIFEST_BYTES);

  const bySpec = new Map<number, ManifestFile[]>();
  for (const m of manifests) {
    if (m.content !== 0) continue;
    const list = bySpec.get(m.partitionSpecId) ?? [];
    list.push(m);
    bySpec.set(m.partitionSpecId, list);
  }
  const replaced = new Set<ManifestFile>();
  const merged: ManifestFile[] = [];
  for (const [specId, group] of bySpec) {
    if (group.length < minCount) continue;
    const small = group.filter((m) => m.manifestLength < target);
    if (small.length < 2) continue;
    // Bins in order (the new manifest first), each up to the target size.
    const bins: ManifestFile[][] = [];
    let bin: ManifestFile[] = [];
    let binBytes = 0;
    for (const m of small) {
      if (bin.length > 0 && binBytes + m.manifestLength > target) {
        bins.push(bin);
        bin = [];
        binBytes = 0;
      }
      bin.push(m);
      binBytes += m.manifestLength;
    }
    if (bin.length > 0) bins.push(bin);
    for (const b of bins) {
      if (b.length < 2) continue;
      merged.push(await rewriteManifests(io, metadata, specId, snapshotId, b, written));
      for (const m of b) replaced.add(m);
    }
  }
  if (replaced.size === 0) return manifests;
  return [...merged, ...manifests.filter((m) => !replaced.has(m))];
}

async function rewriteManifests(io: FileIO, metadata: TableMetadata, specId: number, snapshotId: bigint, bin: ManifestFile[], written: string[]): Promise<ManifestFile> {
  const spec = specById(metadata, specId);
  const schema = currentSchema(metadata);
  const pType = partitionType(spec, schema);
  const entries: ManifestEntry[] = [];
  for (const m of bin) {
    const own = m.addedSnapshotId === snapshotId && m.sequenceNumber === null;
    const contents = readManifest(await io.read(m.manifestPath), own ? {} : { inherit: { snapshotId: m.addedSnapshotId, sequenceNumber: m.sequenceNumber ?? 0 } });
    for (const e of contents.entries) {
      if (e.status === 2) continue;
      if (own) {
        entries.push(e);
      } else {
        entries.push({ ...e, status: EXISTING });
      }
    }
  }
  const bytes = writeManifest({ schema, spec, partitionType: pType, entries, formatVersion: 2 });
  const path = metadataPath(metadata, `${crypto.randomUUID()}-m1.avro`);
  await io.write(path, bytes);
  written.push(path);
  return newManifestFile({ path, length: bytes.length, specId, snapshotId, summary: manifestSummary(entries, pType) });
}

async function deleteQuietly(io: FileIO | undefined, paths: string[]): Promise<void> {
  if (io) await Promise.all(paths.map((p) => io.delete(p).catch(() => undefined)));
}
