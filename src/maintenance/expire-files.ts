// The files snapshot expiry may delete: those that only expired snapshots reach, never one that a
// kept snapshot references (Java's ReachableFileCleanup, same rules):
//   manifest lists  an expired snapshot's list, unless a kept snapshot names the same file;
//   manifests       in an expired snapshot's list and in no kept snapshot's list;
//   data and delete every file of those manifests (any status: a file an expired snapshot
//   files           deleted was live in its parent) that no kept manifest holds live.
// Every kept manifest list is read, and every kept manifest when there is a candidate file: a
// kept one that cannot be read fails the whole computation (what it references is unknown, so
// nothing may go). An expired snapshot's file that is already gone is skipped.
import { DELETED, readManifest } from '../iceberg/manifest.ts';
import { readManifestList } from '../iceberg/manifest-list.ts';
import type { ManifestFile } from '../iceberg/manifest-list.ts';
import type { Snapshot } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';
import { NotFoundError } from '../io/file-io.ts';

export interface ExpiredFile {
  path: string;
  /** Size in bytes, as the metadata (or, for a manifest list, the read) says. */
  bytes: number;
}

export interface ExpiredFiles {
  manifestLists: ExpiredFile[];
  manifests: ExpiredFile[];
  dataFiles: ExpiredFile[];
  /** Position and equality delete files. */
  deleteFiles: ExpiredFile[];
}

export type ExpiredFileKind = keyof ExpiredFiles;

export const EXPIRED_FILE_KINDS: readonly ExpiredFileKind[] = ['manifestLists', 'manifests', 'dataFiles', 'deleteFiles'];

export interface ReachOptions {
  /** Files read at once (default 16). */
  concurrency?: number;
}

/** The files only `expired` snapshots reach, given every snapshot that stays (`kept`). */
export async function filesOnlyExpiredReach(io: FileIO, expired: Snapshot[], kept: Snapshot[], options: ReachOptions = {}): Promise<ExpiredFiles> {
  const limit = options.concurrency ?? 16;
  const out: ExpiredFiles = { manifestLists: [], manifests: [], dataFiles: [], deleteFiles: [] };
  if (expired.length === 0) return out;

  const keptLists = new Set(kept.map((s) => s['manifest-list']));
  const expiredLists = await mapLimit(unique(expired.map((s) => s['manifest-list'])), limit, async (path) => {
    const bytes = await readIfExists(io, path);
    return bytes ? { path, bytes: bytes.length, manifests: readManifestList(bytes) } : undefined;
  });
  const keptManifests = new Map<string, ManifestFile>();
  for (const list of await mapLimit([...keptLists], limit, async (path) => readManifestList(await io.read(path)))) {
    for (const m of list) keptManifests.set(m.manifestPath, m);
  }

  const candidates = new Map<string, ManifestFile>();
  for (const list of expiredLists) {
    if (!list) continue;
    if (!keptLists.has(list.path)) out.manifestLists.push({ path: list.path, bytes: list.bytes });
    for (const m of list.manifests) if (!keptManifests.has(m.manifestPath)) candidates.set(m.manifestPath, m);
  }

  const files = new Map<string, { kind: 'dataFiles' | 'deleteFiles'; bytes: number }>();
  await mapLimit([...candidates.values()], limit, async (m) => {
    const bytes = await readIfExists(io, m.manifestPath);
    if (!bytes) return;
    out.manifests.push({ path: m.manifestPath, bytes: m.manifestLength });
    for (const e of readManifest(bytes).entries) {
      const f = e.dataFile;
      files.set(f['file-path'], { kind: f.content === 0 ? 'dataFiles' : 'deleteFiles', bytes: f['file-size-in-bytes'] });
    }
  });
  if (files.size > 0) {
    await mapLimit([...keptManifests.keys()], limit, async (path) => {
      for (const e of readManifest(await io.read(path)).entries) if (e.status !== DELETED) files.delete(e.dataFile['file-path']);
    });
  }
  for (const [path, { kind, bytes }] of files) out[kind].push({ path, bytes });
  for (const kind of EXPIRED_FILE_KINDS) out[kind].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

async function readIfExists(io: FileIO, path: string): Promise<Uint8Array | undefined> {
  try {
    return await io.read(path);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}

/** Runs fn over items, at most `limit` at once; results in the items' order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
