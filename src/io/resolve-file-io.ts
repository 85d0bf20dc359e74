// Picks the FileIO for a location by its scheme.
//
// Instances are shared: one LocalFileIO, and one S3FileIO per distinct set of s3.* / client.*
// properties, so calling fileIOFor on every flush does not build a new S3 client (and its
// connection pool) each time. Callers must not close what fileIOFor returns; closeSharedFileIO()
// closes them all at shutdown.
import type { FileIO, FileIOProperties } from './file-io.ts';
import { LocalFileIO } from './local-file-io.ts';
import { S3_SCHEMES, S3FileIO } from './s3-file-io.ts';

/** The scheme of a location (`s3`, `file`, ...), or undefined for a plain path. */
export function schemeOf(location: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(location);
  // A one-letter "scheme" is a Windows drive (C:\...), not a URI.
  return m && m[1].length > 1 ? m[1].toLowerCase() : undefined;
}

class SharedS3FileIO extends S3FileIO {
  override async close(): Promise<void> {
    // shared: closed by closeSharedFileIO()
  }
  async reallyClose(): Promise<void> {
    await super.close();
  }
}

const local = new LocalFileIO();
const s3Shared = new Map<string, SharedS3FileIO>();

function s3Key(properties: FileIOProperties): string {
  return JSON.stringify(
    Object.entries(properties)
      .filter(([k]) => k.startsWith('s3.') || k.startsWith('client.'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/**
 * A FileIO that can read and write `location` (a table location, a metadata file, a
 * warehouse), configured by Iceberg's property names (s3.endpoint, s3.access-key-id, ...).
 */
export function fileIOFor(location: string, properties: FileIOProperties = {}): FileIO {
  const scheme = schemeOf(location);
  if (scheme === undefined) {
    if (location.startsWith('/')) return local;
    throw new Error(`location "${location}" has no scheme and is not an absolute path (use file://, s3:// or /abs/path)`);
  }
  if (scheme === 'file') return local;
  if (S3_SCHEMES.includes(scheme)) {
    const key = s3Key(properties);
    let io = s3Shared.get(key);
    if (!io) {
      io = new SharedS3FileIO(properties);
      s3Shared.set(key, io);
    }
    return io;
  }
  throw new Error(`no FileIO for scheme "${scheme}://" in location "${location}" (supported: file://, ${S3_SCHEMES.map((s) => `${s}://`).join(', ')}, absolute paths)`);
}

/** Closes every shared FileIO (at shutdown). Later fileIOFor calls build new ones. */
export async function closeSharedFileIO(): Promise<void> {
  const all = [...s3Shared.values()];
  s3Shared.clear();
  await Promise.all(all.map((io) => io.reallyClose()));
}
