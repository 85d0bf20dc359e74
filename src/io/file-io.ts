// FileIO: the one interface through which floe reads and writes table files. The catalog's
// metadata files, manifests and data files all go through it.

export interface FileIO {
  /** Reads a whole file. Throws NotFoundError when it does not exist. */
  read(location: string): Promise<Uint8Array>;
  /** Reads `length` bytes at `offset` (negative offset: from the end). */
  readRange?(location: string, offset: number, length: number): Promise<Uint8Array>;
  /** Writes a whole file, replacing what was there. */
  write(location: string, data: Uint8Array): Promise<void>;
  exists(location: string): Promise<boolean>;
  delete(location: string): Promise<void>;
  /** Every file under a prefix (for orphan-file cleanup), with size and last-modified time. */
  list(prefix: string): AsyncIterable<{ location: string; size: number; lastModified: Date }>;
  close?(): Promise<void>;
}

export class NotFoundError extends Error {
  readonly location: string;
  constructor(location: string, cause?: unknown) {
    super(`file not found: ${location}`, { cause });
    this.name = 'NotFoundError';
    this.location = location;
  }
}

/** Properties that configure FileIO, in Iceberg's own names (s3.endpoint, s3.access-key-id, ...). */
export type FileIOProperties = Record<string, string>;
