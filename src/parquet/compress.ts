// Page compression codecs (Parquet CompressionCodec ids).

import zlib from 'node:zlib';
import { snappyCompress } from './snappy.ts';

export type Compression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export const CODEC_ID: Record<Compression, number> = { uncompressed: 0, snappy: 1, gzip: 2, zstd: 6 };

/**
 * zstd pages up to this size are stored, not compressed: a zstd frame holding one raw block
 * (RFC 8878: 3.1.1.2), as libzstd itself writes data it cannot shrink. Each zstdCompressSync
 * call builds a compression context and a stream (about 30 µs of CPU, whatever the size), and
 * the small data files of a table partitioned into many partitions are mostly small pages
 * (bench/writer.bench.ts's events, 145 rows per file: 4.5 pages of up to 128 B, which zstd
 * makes larger, and 4 of 129-512 B, which it shrinks by a quarter on average, 205 → 154 B).
 * Storing those saves ~8 calls a file for ~500 B (4.5 %) more; larger pages shrink by half or
 * more and are compressed. Still codec ZSTD, so every reader (and maintenance's stitch, which
 * needs one codec per column) takes them as any other zstd page.
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

export function compressor(c: Compression, zstdLevel: number): (b: Uint8Array) => Uint8Array {
  switch (c) {
    case 'uncompressed':
      return (b) => b;
    case 'gzip':
      return (b) => zlib.gzipSync(b);
    case 'snappy':
      return snappyCompress;
    case 'zstd': {
      const opts = { params: { [zlib.constants.ZSTD_c_compressionLevel]: zstdLevel } };
      return (b) => (b.length <= ZSTD_STORED_MAX_BYTES ? zstdStoredFrame(b) : zlib.zstdCompressSync(b, opts));
    }
  }
}
