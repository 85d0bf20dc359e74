// Page compression codecs (Parquet CompressionCodec ids).

import zlib from 'node:zlib';
import { snappyCompress } from './snappy.ts';

export type Compression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export const CODEC_ID: Record<Compression, number> = { uncompressed: 0, snappy: 1, gzip: 2, zstd: 6 };

/**
 * zstd pages up to this size are stored, not compressed: a zstd frame holding one raw block
 * (RFC 8878: 3.1.1.2), as libzstd itself writes data it cannot shrink. The small data files of
 * a table partitioned into many partitions are mostly small pages (bench/writer.bench.ts's
 * events, 145 rows per file: 4.5 pages of up to 128 B, which zstd makes larger, and 4 of
 * 129-512 B, which it shrinks by a quarter on average, 205 → 154 B). When every page cost a
 * zstd context (~30 µs), storing those saved ~8 of them a file for ~500 B (4.5 %) more. With the
 * context kept (ZstdPages, ~3-5 µs a small page) it still saves ~20 % of a small file's encoding:
 * 1,000 files of 43 rows, 113-116 µs a file at 512 against 134-136 µs at 128, for 7,104 against
 * 6,375 bytes (docs/decisions.md, "Session 17"). Still codec ZSTD, so every reader (and
 * maintenance's stitch, which needs one codec per column) takes them as any other zstd page.
 */
export const ZSTD_STORED_MAX_BYTES = 512;

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The largest content a stored frame holds here: a 2-byte Frame_Content_Size field (its value + 256). */
const STORED_FRAME_MAX = 0xffff + 256;

/**
 * One zstd frame holding `b` as a raw block: magic, a single-segment frame header with the
 * content size (1 byte below 256, else 2 bytes holding size − 256), the block header (last
 * block, type raw, size), the bytes. No checksum (as zstdCompressSync writes by default).
 */
export function zstdStoredFrame(b: Uint8Array): Uint8Array {
  const n = b.length;
  if (n > STORED_FRAME_MAX) throw new RangeError(`zstdStoredFrame: ${n} bytes (at most ${STORED_FRAME_MAX})`);
  const sizeBytes = n < 256 ? 1 : 2;
  const out = new Uint8Array(n + 8 + sizeBytes);
  out.set(ZSTD_MAGIC, 0);
  // Single_Segment_flag, no checksum, no dictionary; Frame_Content_Size_flag 0 (1 byte) or 1 (2 bytes)
  if (sizeBytes === 1) {
    out[4] = 0x20;
    out[5] = n;
  } else {
    out[4] = 0x60;
    out[5] = (n - 256) & 0xff;
    out[6] = (n - 256) >>> 8;
  }
  const at = 5 + sizeBytes;
  const block = (n << 3) | 1; // Last_Block, Block_Type 0 (raw), Block_Size
  out[at] = block & 0xff;
  out[at + 1] = (block >>> 8) & 0xff;
  out[at + 2] = (block >>> 16) & 0xff;
  out.set(b, at + 3);
  return out;
}

/**
 * zstd pages through one zstd context per compression level, reused page after page. Node's
 * zstdCompressSync makes a stream, a native handle and a zstd context for every call and frees
 * them after it: ~17–27 µs of CPU for a page of 300 B to 2 KB on the benchmark machine, against
 * 3–5 µs through one handle kept (docs/decisions.md, "Session 17"). Node offers no synchronous
 * call that keeps it, so this drives the handle of one ZstdCompress stream itself (its `_handle`
 * and `_writeState`, the fields Node's own zstdCompressSync uses): each page is one write with
 * ZSTD_e_end, which ends the page's frame and leaves the context ready for the next frame, so
 * every page is the frame zstdCompressSync writes for it, byte for byte
 * (test/unit/parquet-compress.test.ts). Where those fields are missing (another Node), or a
 * write does not end its frame in the room given, the page goes through zstdCompressSync and,
 * after such a write, a new context is made.
 */
export class ZstdPages {
  private readonly level: number;
  /** The stream whose handle is kept (undefined: pages go through zstdCompressSync). */
  private stream: ZstdStream | undefined;
  private handle: ZstdHandle | undefined;
  private state: Uint32Array | undefined;
  private out = Buffer.allocUnsafe(64 * 1024);

  constructor(level: number) {
    this.level = level;
    this.open();
  }

  /** Pages go through a kept context (false: through zstdCompressSync, one context a page). */
  get reused(): boolean {
    return this.handle !== undefined;
  }

  compress(b: Uint8Array): Uint8Array {
    const stream = this.stream;
    const handle = this.handle;
    const state = this.state;
    if (stream === undefined || handle === undefined || state === undefined) return zlib.zstdCompressSync(b, this.options());
    const n = b.length;
    // ZSTD_compressBound, and more: with that much room one ZSTD_e_end write ends the frame
    const bound = n + (n >>> 8) + (n < 131_072 ? (131_072 - n) >>> 11 : 0) + 64;
    if (this.out.length < bound) this.out = Buffer.allocUnsafe(Math.max(bound, this.out.length * 2));
    const out = this.out;
    let ended: boolean;
    try {
      handle.writeSync(zlib.constants.ZSTD_e_end, b, 0, n, out, 0, out.length);
      // an error inside zstd destroys the stream (synchronously) and closes its handle
      ended = !stream.destroyed && stream._handle === handle && state[1] === 0 && state[0] > 0;
    } catch {
      ended = false;
    }
    if (!ended) {
      // the frame may not have ended: this context is not used again
      stream.destroy();
      this.open();
      return zlib.zstdCompressSync(b, this.options());
    }
    return new Uint8Array(out.subarray(0, out.length - state[0]));
  }

  private options(): zlib.ZstdOptions {
    return { params: { [zlib.constants.ZSTD_c_compressionLevel]: this.level } };
  }

  private open(): void {
    const stream = zlib.createZstdCompress(this.options()) as unknown as ZstdStream;
    stream.on('error', () => {}); // seen through `destroyed`; the stream's 'error' event comes later
    const handle = stream._handle;
    const state = stream._writeState;
    if (typeof handle?.writeSync === 'function' && state instanceof Uint32Array && state.length >= 2) {
      this.stream = stream;
      this.handle = handle;
      this.state = state;
    } else {
      stream.destroy();
      this.stream = undefined;
      this.handle = undefined;
      this.state = undefined;
    }
  }
}

/** The parts of Node's ZstdCompress stream ZstdPages reads: its native handle, where the handle writes what is left, and whether it was destroyed. */
interface ZstdStream {
  _handle?: ZstdHandle | null;
  _writeState?: unknown;
  readonly destroyed: boolean;
  destroy(): void;
  on(event: 'error', f: (e: unknown) => void): void;
}

/** What ZstdPages calls on Node's native zstd handle (out_avail and in_avail land in the stream's _writeState). */
interface ZstdHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
}

const zstdPages = new Map<number, ZstdPages>();

/** The zstd pages compressor of a level (one per thread: each has its own module instance). */
export function zstdPagesOf(level: number): ZstdPages {
  let z = zstdPages.get(level);
  if (z === undefined) {
    z = new ZstdPages(level);
    zstdPages.set(level, z);
  }
  return z;
}

export function compressor(c: Compression, zstdLevel: number): (b: Uint8Array) => Uint8Array {
  switch (c) {
    case 'uncompressed':
      return (b) => b;
    case 'gzip':
      return (b) => zlib.gzipSync(b);
    case 'snappy':
      return snappyCompress;
    case 'zstd': {
      const pages = zstdPagesOf(zstdLevel);
      return (b) => (b.length <= ZSTD_STORED_MAX_BYTES ? zstdStoredFrame(b) : pages.compress(b));
    }
  }
}
