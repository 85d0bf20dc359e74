// FileIO: the one interface through which floe reads and writes table files. The catalog's
// metadata files, manifests and data files all go through it.
import { FloeError } from '../errors.ts';

export interface FileIO {
  /** Reads a whole file. Throws NotFoundError when it does not exist. */
  read(location: string): Promise<Uint8Array>;
  /** Reads `length` bytes at `offset` (negative offset: from the end). */
  readRange?(location: string, offset: number, length: number): Promise<Uint8Array>;
  /** Writes a whole file, replacing what was there. */
  write(location: string, data: Uint8Array): Promise<void>;
  /**
   * Opens a new file to be written piece by piece (a data file written a row group at a time).
   * Nothing is at the location until close(); abort() leaves nothing behind. Without it,
   * callers collect the pieces and write() them (see openOutput).
   */
  create?(location: string): Promise<OutputFile>;
  exists(location: string): Promise<boolean>;
  delete(location: string): Promise<void>;
  /** Every file under a prefix (for orphan-file cleanup), with size and last-modified time. */
  list(prefix: string): AsyncIterable<{ location: string; size: number; lastModified: Date }>;
  /**
   * Writes under a prefix that were started and never finished nor aborted (a writer killed
   * while a file was open): local temporary files, S3 multipart uploads. For orphan cleanup.
   */
  listUnfinished?(prefix: string): AsyncIterable<UnfinishedWrite>;
  close?(): Promise<void>;
}

/** A write that was started and never finished (see FileIO.listUnfinished). */
export interface UnfinishedWrite {
  /** Where the file would have been (S3), or the temporary file itself (local). */
  location: string;
  startedAt: Date;
  /** Removes what the write left (deletes the temporary file, aborts the upload). */
  abort(): Promise<void>;
}

export class NotFoundError extends FloeError {
  readonly location: string;
  constructor(location: string, cause?: unknown) {
    super('fatal', `file not found: ${location}`, { cause });
    this.location = location;
  }
}

/** Properties that configure FileIO, in Iceberg's own names (s3.endpoint, s3.access-key-id, ...). */
export type FileIOProperties = Record<string, string>;

/** A file being written in order; visible at its location only once closed. */
export interface OutputFile {
  readonly location: string;
  /** Bytes written so far. */
  readonly length: number;
  /** Appends bytes; the caller must not change them until the promise settles. */
  write(data: Uint8Array): Promise<void>;
  /** Finishes the file and makes it visible at its location. */
  close(): Promise<void>;
  /** Drops what was written (temporary file deleted, multipart upload aborted); never throws. */
  abort(): Promise<void>;
}

/** An OutputFile on any FileIO: create() when it has one, else the pieces kept and written at close. */
export async function openOutput(io: FileIO, location: string): Promise<OutputFile> {
  if (io.create) return io.create(location);
  const parts: Uint8Array[] = [];
  let length = 0;
  return {
    location,
    get length() {
      return length;
    },
    async write(data) {
      parts.push(data.slice());
      length += data.length;
    },
    async close() {
      const all = new Uint8Array(length);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      parts.length = 0;
      await io.write(location, all);
    },
    async abort() {
      parts.length = 0;
    },
  };
}
