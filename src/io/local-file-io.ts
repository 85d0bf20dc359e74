// FileIO on the local file system: `file://` URIs (file:/path and file:///path) and plain
// absolute paths. A write goes to a temporary file beside the target and is renamed over it,
// so a reader sees either the old file or the whole new one, never half of it.
//
// Reads of up to SYNC_READ_BYTES are synchronous: on a local disk an asynchronous read costs
// about 300 µs of CPU in the thread-pool hand-offs (open, fstat, read, close: four round trips)
// against about 15 µs read synchronously (measured on 9 KB Parquet files: docs/decisions.md,
// "Maintenance: the cost of a small file"), and the event loop is blocked for no longer than a
// copy of 1 MiB from the page cache. Larger reads stay asynchronous.
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, fsync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import { NotFoundError, type FileIO, type OutputFile, type UnfinishedWrite } from './file-io.ts';

/** The local path of a `file:` URI or an absolute path. Throws for anything else. */
export function localPath(location: string): string {
  if (location.startsWith('file:')) {
    // file:/a/b (Hadoop style, one slash) and file:///a/b are both valid; file://host/... is not local.
    let url = location;
    if (/^file:\/[^/]/.test(url)) url = 'file://' + url.slice('file:'.length);
    if (/^file:\/\/[^/]/.test(url)) throw new Error(`file location with a host is not local: ${location}`);
    // The path is taken literally, not percent-decoded: Iceberg's partition paths are
    // URL-encoded ("s=a%2Fb"), and Java's HadoopFileIO, PyIceberg and DuckDB all use such a
    // location's characters as the file name (decoding would also turn %2F into a separator).
    return url.slice('file://'.length);
  }
  if (isAbsolute(location)) return location;
  throw new Error(`not a local file location (need file:// or an absolute path): ${location}`);
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** OutputFile writes are gathered into chunks of this size. */
const WRITE_CHUNK_BYTES = 1 << 20;
/**
 * A file's first chunk when none is pooled: it doubles up to WRITE_CHUNK_BYTES as the file
 * grows, so a thousand small files open at once (one per partition of a commit) do not hold a
 * MiB each.
 */
const FIRST_CHUNK_BYTES = 64 << 10;
/** Folders a LocalFileIO remembers as made (forgotten all at once beyond this). */
const KNOWN_FOLDERS = 10_000;
/** Chunks of closed OutputFiles kept for the next ones. */
const POOLED_CHUNKS = 4;
const freeChunks: Uint8Array[] = [];

/** fsync on the thread pool: its latency (a disk flush) would block the event loop. */
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * A whole file made visible at once: a temporary file beside the target, opened, written and
 * closed by synchronous calls (tens of µs each on a local disk, against ~60 µs of CPU for each
 * thread-pool hand-off of the asynchronous calls) around an asynchronous fsync (a disk flush
 * would block the event loop), then renamed over the target. `written` runs once the bytes are
 * handed to the kernel (the caller may reuse its buffer). On failure the temporary file may be
 * left: the caller removes it.
 */
async function writeWholeFile(folder: string, tmp: string, path: string, data: Uint8Array, written?: () => void): Promise<void> {
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    mkdirSync(folder, { recursive: true }); // removed since (an orphan cleanup)
    fd = openSync(tmp, 'wx');
  }
  try {
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    written?.();
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads up to this many bytes synchronously (see the module comment). */
export const SYNC_READ_BYTES = 1 << 20;

export class LocalFileIO implements FileIO {
  /** Folders write(), create() and writeIfAbsent() made or found (a commit of a thousand partitions opens a file in each). */
  private readonly folders = new Set<string>();

  async read(location: string): Promise<Uint8Array> {
    const path = localPath(location);
    try {
      const small = readSmallSync(path, undefined);
      if (small !== undefined) return small;
      const fh = await open(path, 'r');
      try {
        return new Uint8Array(await fh.readFile());
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(location, err);
      throw err;
    }
  }

  /**
   * Reads a whole file into `into` (its start) when it fits, and returns the bytes read (a view
   * of `into`); undefined, having read nothing, when the file is larger. Reads no more than
   * SYNC_READ_BYTES synchronously. For callers that read many small files into one reused buffer
   * (a stitch: maintenance/input-arena.ts): no buffer allocated per file.
   */
  async readInto(location: string, into: Uint8Array): Promise<Uint8Array | undefined> {
    const path = localPath(location);
    try {
      if (into.length <= SYNC_READ_BYTES) return readSmallSync(path, into);
      const fh = await open(path, 'r');
      try {
        const size = (await fh.stat()).size;
        if (size > into.length) return undefined;
        let done = 0;
        while (done < size) {
          const { bytesRead } = await fh.read(into, done, size - done, done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return into.subarray(0, done);
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(location, err);
      throw err;
    }
  }

  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    const path = localPath(location);
    if (length <= SYNC_READ_BYTES) return readRangeSync(location, path, offset, length);
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(location, err);
      throw err;
    }
    try {
      const size = (await fh.stat()).size;
      const start = offset < 0 ? Math.max(0, size + offset) : offset;
      const n = Math.max(0, Math.min(length, size - start));
      const buf = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === n ? buf : buf.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  /**
   * Makes the folder unless this FileIO made it already: a mkdir per file written was ~4 % of
   * the main thread with 100 tables committing (each commit writes a manifest, a manifest list
   * and metadata). A folder removed since (orphan cleanup) is made again by inFolder().
   */
  private async knownFolder(folder: string): Promise<void> {
    if (this.folders.has(folder)) return;
    await mkdir(folder, { recursive: true });
    if (this.folders.size >= KNOWN_FOLDERS) this.folders.clear();
    this.folders.add(folder);
  }

  /** op(), and once more after making the folder again if it found the folder missing (removed since: an orphan cleanup). */
  private async inFolder<T>(folder: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await mkdir(folder, { recursive: true });
      return op();
    }
  }

  async write(location: string, data: Uint8Array): Promise<void> {
    const path = localPath(location);
    const folder = dirname(path);
    await this.knownFolder(folder);
    const tmp = join(folder, `.${randomUUID()}.tmp`);
    try {
      // metadata, manifests, manifest lists: three a commit, most of them small
      if (data.length <= WRITE_CHUNK_BYTES) return await writeWholeFile(folder, tmp, path, data);
      const fh = await this.inFolder(folder, () => open(tmp, 'wx'));
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  /**
   * A temporary file beside the target, renamed over it at close (as write() does). Writes are
   * gathered into a chunk of WRITE_CHUNK_BYTES (each asynchronous write costs a thread-pool
   * hand-off); the chunk comes from a small pool, so no buffer is allocated per write or per file.
   *
   * The temporary file is opened when the first chunk is flushed, not before: a file that fits
   * its chunk (a data file of a few dozen rows, a thousand of them per commit when a table is
   * partitioned by bucket(1000)) is written at close by synchronous calls (open, write, close,
   * rename: tens of µs each on a local disk against about 60 µs of CPU per thread-pool hand-off)
   * around an asynchronous fsync (whose latency would block the event loop), and holds no file
   * descriptor while it is open. Durability is unchanged: the bytes are fsynced before the
   * rename makes the file visible, and close() resolves only after both.
   */
  async create(location: string): Promise<OutputFile> {
    const path = localPath(location);
    const folder = dirname(path);
    await this.knownFolder(folder);
    const tmp = join(folder, `.${randomUUID()}.tmp`);
    /** The temporary file, once a chunk had to be flushed before close. */
    let fh: FileHandle | undefined;
    const openTmp = (): Promise<FileHandle> => this.inFolder(folder, () => open(tmp, 'wx'));
    let length = 0;
    let done = false;
    let chunk: Uint8Array | undefined;
    let fill = 0;
    const writeAll = async (data: Uint8Array) => {
      fh ??= await openTmp();
      let at = 0;
      while (at < data.length) {
        const { bytesWritten } = await fh.write(data, at, data.length - at);
        at += bytesWritten;
      }
    };
    const flush = async () => {
      if (fill === 0) return;
      const n = fill;
      fill = 0;
      await writeAll(chunk!.subarray(0, n));
    };
    const put = async (data: Uint8Array) => {
      if (fill + data.length > WRITE_CHUNK_BYTES) await flush();
      // a large piece goes as it is; smaller ones are copied: the caller may reuse its buffer once write() settles
      if (data.length >= WRITE_CHUNK_BYTES) return writeAll(data);
      room(data.length).set(data, fill);
      fill += data.length;
    };
    let queue: Promise<void> = Promise.resolve();
    let queued = 0;
    const release = () => {
      if (chunk && chunk.length === WRITE_CHUNK_BYTES && freeChunks.length < POOLED_CHUNKS) freeChunks.push(chunk);
      chunk = undefined;
    };
    /** The chunk, with room for `n` more bytes (fill + n <= WRITE_CHUNK_BYTES). */
    const room = (n: number): Uint8Array => {
      if (chunk && fill + n <= chunk.length) return chunk;
      if (!chunk && freeChunks.length > 0) return (chunk = freeChunks.pop()!);
      let size = chunk ? chunk.length * 2 : FIRST_CHUNK_BYTES;
      while (size < fill + n) size *= 2;
      const grown = new Uint8Array(Math.min(size, WRITE_CHUNK_BYTES));
      if (chunk) grown.set(chunk.subarray(0, fill));
      return (chunk = grown);
    };
    /** close() of a file never flushed: its one chunk written at once (see the method's comment). */
    const closeSmall = () =>
      writeWholeFile(folder, tmp, path, chunk?.subarray(0, fill) ?? new Uint8Array(0), () => {
        fill = 0;
        release();
      });
    return {
      location,
      get length() {
        return length;
      },
      write(data: Uint8Array) {
        if (done) return Promise.reject(new Error(`write to ${location} after close or abort`));
        length += data.length;
        if (queued === 0 && fill + data.length <= WRITE_CHUNK_BYTES && data.length < WRITE_CHUNK_BYTES) {
          // room in the chunk and nothing in flight: copied now
          room(data.length).set(data, fill);
          fill += data.length;
          return Promise.resolve();
        }
        // else one write at a time, in order (a flush in flight reads the chunk)
        queued++;
        const run = queue.then(() => put(data)).finally(() => queued--);
        queue = run.catch(() => {});
        return run;
      },
      async close() {
        if (done) throw new Error(`close of ${location} after close or abort`);
        done = true;
        try {
          await queue;
          if (fh === undefined) return await closeSmall();
          await flush();
          release();
          await fh.sync();
          await fh.close();
          await rename(tmp, path);
        } catch (err) {
          release();
          await fh?.close().catch(() => {});
          await unlink(tmp).catch(() => {});
          throw err;
        }
      },
      async abort() {
        if (done) return;
        done = true;
        await queue;
        fill = 0;
        release();
        if (fh === undefined) return;
        await fh.close().catch(() => {});
        await unlink(tmp).catch(() => {});
      },
    };
  }

  /**
   * Writes only if nothing is at the location yet (O_EXCL). Returns false when a file was
   * already there. Not atomic against readers (a reader may see a partial file while it is
   * written), so use it only for files nobody reads before the writer says so.
   */
  async writeIfAbsent(location: string, data: Uint8Array): Promise<boolean> {
    const path = localPath(location);
    await this.knownFolder(dirname(path));
    try {
      await this.inFolder(dirname(path), () => writeFile(path, data, { flag: 'wx' }));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  async exists(location: string): Promise<boolean> {
    try {
      await stat(localPath(location));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async delete(location: string): Promise<void> {
    try {
      await unlink(localPath(location));
    } catch (err) {
      if (isNotFound(err)) return; // deleting a missing file is not an error (as in S3)
      throw err;
    }
  }

  /** Temporary files (`.<uuid>.tmp`) of writes never finished, under a folder prefix. */
  async *listUnfinished(prefix: string): AsyncIterable<UnfinishedWrite> {
    for await (const f of files(prefix, true)) yield { location: f.location, startedAt: f.lastModified, abort: () => unlink(f.path).catch(() => {}) };
  }

  async *list(prefix: string): AsyncIterable<{ location: string; size: number; lastModified: Date }> {
    for await (const f of files(prefix, false)) yield { location: f.location, size: f.size, lastModified: f.lastModified };
  }
}

/**
 * A whole file of at most SYNC_READ_BYTES read synchronously (open, fstat, read, close), into
 * `into` when given (undefined when larger than `into`), else into a buffer of its size;
 * undefined without `into` when the file is larger than SYNC_READ_BYTES.
 */
function readSmallSync(path: string, into: Uint8Array | undefined): Uint8Array | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > (into?.length ?? SYNC_READ_BYTES)) return undefined;
    const buf = into ?? new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const bytesRead = readSync(fd, buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === buf.length ? buf : buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** readRange of a bounded length, synchronously (see the module comment). */
function readRangeSync(location: string, path: string, offset: number, length: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(location, err);
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const start = offset < 0 ? Math.max(0, size + offset) : offset;
    const n = Math.max(0, Math.min(length, size - start));
    const buf = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const bytesRead = readSync(fd, buf, done, n - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === n ? buf : buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/**
 * The files under a prefix, recursively: the finished ones, or (`temporary`) only the temporary
 * files of unfinished writes. Locations come back in the prefix's own spelling (file:/x,
 * file:///x or /x), so they compare equal to the paths that manifests hold. A prefix is a
 * folder, or a folder plus the start of a file name (as S3 prefixes are).
 */
async function* files(prefix: string, temporary: boolean): AsyncIterable<{ path: string; location: string; size: number; lastModified: Date }> {
  const root = localPath(prefix);
  const toLocation = (p: string): string => prefix + p.slice(root.length);
  let dir = root;
  let namePrefix = '';
  try {
    const st = await stat(root);
    if (!st.isDirectory()) {
      if (isTempName(basename(root)) === temporary) yield { path: root, location: toLocation(root), size: st.size, lastModified: st.mtime };
      return;
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (root.endsWith(sep)) return;
    dir = dirname(root);
    namePrefix = root.slice(dir.length + (dir.endsWith(sep) ? 0 : 1));
  }
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    for (const e of entries) {
      if (d === dir && !e.name.startsWith(namePrefix)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && isTempName(e.name) === temporary) {
        try {
          const st = await stat(p);
          yield { path: p, location: toLocation(p), size: st.size, lastModified: st.mtime };
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }
}

function isTempName(name: string): boolean {
  return /^\.[0-9a-f-]{36}\.tmp$/.test(name);
}
