// The files of a snapshot as maintenance sees them: every manifest of its manifest list with its
// entries, sequence numbers and snapshot ids inherited (so every entry carries its effective
// values and can be written again as EXISTING or DELETED), and the live ones (not DELETED).
import type { DataFile } from '../iceberg/data-file.ts';
import { DELETED, readManifest } from '../iceberg/manifest.ts';
import type { ManifestEntry } from '../iceberg/manifest.ts';
import { readManifestList } from '../iceberg/manifest-list.ts';
import type { ManifestFile } from '../iceberg/manifest-list.ts';
import type { Snapshot } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';

export interface ManifestWithEntries {
  manifest: ManifestFile;
  /** Entries with effective snapshot ids and sequence numbers. */
  entries: ManifestEntry[];
}

/** A live file of the snapshot with what a rewrite needs to know of it. */
export interface LiveFile {
  dataFile: DataFile;
  specId: number;
  /** Effective data sequence number. */
  sequenceNumber: number;
  fileSequenceNumber: number;
  snapshotId: bigint;
}

export interface SnapshotFiles {
  manifests: ManifestWithEntries[];
  /** Live data files (content 0). */
  data: LiveFile[];
  /** Live delete files (position and equality deletes). */
  deletes: LiveFile[];
}

/**
 * Parsed manifests by path, shared by the commits of one maintenance run: a manifest file never
 * changes once written, so a commit that follows another (or retries on a new head) reads and
 * decodes only the manifests it has not seen. The entries are shared: never change them.
 */
export type ManifestCache = Map<string, ManifestEntry[]>;

/** Reads every manifest of a snapshot (none for no snapshot); through `cache` when given. */
export async function readSnapshotFiles(io: FileIO, snapshot: Snapshot | undefined, cache?: ManifestCache): Promise<SnapshotFiles> {
  const out: SnapshotFiles = { manifests: [], data: [], deletes: [] };
  if (!snapshot) return out;
  const list = readManifestList(await io.read(snapshot['manifest-list']));
  for (const manifest of list) {
    let entries = cache?.get(manifest.manifestPath);
    if (!entries) {
      entries = readManifest(await io.read(manifest.manifestPath), {
        inherit: { snapshotId: manifest.addedSnapshotId, sequenceNumber: manifest.sequenceNumber ?? 0 },
      }).entries;
      cache?.set(manifest.manifestPath, entries);
    }
    out.manifests.push({ manifest, entries });
    for (const e of entries) {
      if (e.status === DELETED) continue;
      const live: LiveFile = {
        dataFile: e.dataFile,
        specId: manifest.partitionSpecId,
        sequenceNumber: e.sequenceNumber ?? 0,
        fileSequenceNumber: e.fileSequenceNumber ?? 0,
        snapshotId: e.snapshotId ?? manifest.addedSnapshotId,
      };
      (e.dataFile.content === 0 ? out.data : out.deletes).push(live);
    }
  }
  return out;
}

/** A stable text key of a partition tuple (bigints, bytes and nulls included). */
export function partitionKey(specId: number, partition: unknown[]): string {
  // numbers, strings, booleans and nulls: what the replacer gives, without calling it per value
  if (partition.every((v) => v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) return `${specId}/${JSON.stringify(partition)}`;
  return `${specId}/${JSON.stringify(partition, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `0x${Buffer.from(v).toString('hex')}` : v))}`;
}
