// Orphan cleanup: files under a table's location that nothing in the table references, older
// than a safety window (default 3 days), and writes that were started and never finished (a
// temporary file or an S3 multipart upload of a killed writer).
//
// Referenced ("reachable") is read from the table metadata, generously: the current metadata
// file and every one in the metadata log; for EVERY snapshot kept (any branch, tag or none), its
// manifest list, every manifest in it, and every file any entry of those manifests names,
// whatever its status (a file a kept snapshot deleted was live in its parent; expiry, not this,
// removes such files); statistics files. A manifest list or manifest that cannot be read stops
// the run before anything is deleted: what it references is unknown.
//
// The window protects writes in flight: a commit writes its data files and manifests before it
// commits them, so a file younger than the window may be about to become referenced. Locations
// are compared in one spelling (file:/x, file:///x and /x alike; s3a:// and s3n:// as s3://), as
// engines spell them differently (Spark writes file:/x).
import type { LoadedTable } from '../catalog/catalog.ts';
import { readManifest } from '../iceberg/manifest.ts';
import { readManifestList } from '../iceberg/manifest-list.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';

export const DEFAULT_ORPHAN_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

export interface OrphanOptions {
  /** Files younger than this are never touched (default 3 days). */
  olderThanMs?: number;
  now?: () => number;
  /** List what a real run would delete, delete nothing. */
  dryRun?: boolean;
  io?: FileIO;
}

export interface OrphanReport {
  /** Unreferenced files older than the window: deleted (or, in a dry run, what would be). */
  orphans: { location: string; size: number; lastModified: Date }[];
  /** Unfinished writes older than the window: removed (or would be). */
  unfinished: { location: string; startedAt: Date }[];
  /** Files under the location that are referenced. */
  referenced: number;
  /** Unreferenced files left alone because they are younger than the window. */
  tooYoung: number;
  dryRun: boolean;
}

/** One spelling per location, for comparing what manifests say with what a listing says. */
export function normalizeLocation(location: string): string {
  const m = /^(s3a?|s3n):\/\/(.*)$/.exec(location);
  if (m) return `s3://${m[2]}`;
  if (location.startsWith('file:')) return location.replace(/^file:(\/\/)?/, '').replace(/^\/+/, '/');
  return location;
}

/** Every file the table's metadata references (normalized locations); throws if a manifest list or manifest cannot be read. */
export async function referencedFiles(table: LoadedTable, io: FileIO): Promise<Set<string>> {
  const m = table.metadata;
  const out = new Set<string>();
  const add = (l: string | undefined) => {
    if (l) out.add(normalizeLocation(l));
  };
  add(table.metadataLocation);
  for (const e of m['metadata-log'] ?? []) add(e['metadata-file']);
  for (const s of (m.statistics ?? []) as { 'statistics-path'?: string }[]) add(s['statistics-path']);
  for (const s of (m['partition-statistics'] ?? []) as { 'statistics-path'?: string }[]) add(s['statistics-path']);
  const manifests = new Set<string>();
  for (const snapshot of m.snapshots ?? []) {
    add(snapshot['manifest-list']);
    for (const mf of readManifestList(await io.read(snapshot['manifest-list']))) manifests.add(mf.manifestPath);
  }
  for (const path of manifests) {
    add(path);
    for (const e of readManifest(await io.read(path)).entries) add(e.dataFile['file-path']);
  }
  return out;
}

/** Finds (and unless dryRun, deletes) the table's orphan files and unfinished writes. */
export async function removeOrphanFiles(table: LoadedTable, options: OrphanOptions = {}): Promise<OrphanReport> {
  const io = options.io ?? fileIOFor(table.metadata.location, table.config);
  const cutoff = (options.now ?? Date.now)() - (options.olderThanMs ?? DEFAULT_ORPHAN_WINDOW_MS);
  const dryRun = options.dryRun ?? false;
  const referenced = await referencedFiles(table, io);
  const prefix = table.metadata.location.replace(/\/+$/, '') + '/';
  const report: OrphanReport = { orphans: [], unfinished: [], referenced: 0, tooYoung: 0, dryRun };
  for await (const f of io.list(prefix)) {
    if (referenced.has(normalizeLocation(f.location))) report.referenced++;
    else if (f.lastModified.getTime() >= cutoff) report.tooYoung++;
    else report.orphans.push(f);
  }
  const aborts: (() => Promise<void>)[] = [];
  for await (const u of io.listUnfinished?.(prefix) ?? []) {
    if (u.startedAt.getTime() >= cutoff) continue;
    report.unfinished.push({ location: u.location, startedAt: u.startedAt });
    aborts.push(u.abort);
  }
  if (!dryRun) {
    for (const f of report.orphans) await io.delete(f.location);
    for (const abort of aborts) await abort();
  }
  return report;
}
