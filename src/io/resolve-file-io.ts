// Picks the FileIO for a location by its scheme.
import type { FileIO, FileIOProperties } from './file-io.ts';
import { LocalFileIO } from './local-file-io.ts';
import { S3_SCHEMES, S3FileIO } from './s3-file-io.ts';

/** The scheme of a location (`s3`, `file`, ...), or undefined for a plain path. */
export function schemeOf(location: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(location);
  // A one-letter "scheme" is a Windows drive (C:\...), not a URI.
  return m && m[1].length > 1 ? m[1].toLowerCase() : undefined;
}

/**
 * A FileIO that can read and write `location` (a table location, a metadata file, a
 * warehouse), configured by Iceberg's property names (s3.endpoint, s3.access-key-id, ...).
 */
export function fileIOFor(location: string, properties: FileIOProperties = {}): FileIO {
  const scheme = schemeOf(location);
  if (scheme === undefined) {
    if (location.startsWith('/')) return new LocalFileIO();
    throw new Error(`location "${location}" has no scheme and is not an absolute path (use file://, s3:// or /abs/path)`);
  }
  if (scheme === 'file') return new LocalFileIO();
  if (S3_SCHEMES.includes(scheme)) return new S3FileIO(properties);
  throw new Error(
    `no FileIO for scheme "${scheme}://" in location "${location}" (supported: file://, ${S3_SCHEMES.map((s) => `${s}://`).join(', ')}, absolute paths)`,
  );
}
