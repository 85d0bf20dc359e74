// Page compression codecs (Parquet CompressionCodec ids).

import zlib from 'node:zlib';
import { snappyCompress } from './snappy.ts';

export type Compression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export const CODEC_ID: Record<Compression, number> = { uncompressed: 0, snappy: 1, gzip: 2, zstd: 6 };

/**
 * zstd pages up to this size are stored, not compressed: a zstd frame holding one raw block
 * (RFC 8878: 3.1.1.2), as libzstd itself writes data it cannot shrink. Each zstdCompressSync
 * call builds a compression context and a stream (about 30 µs of CPU, whatever the size), and a
 * data file of a few dozen rows has some fifteen such pages of up to 128 bytes, which zstd
 * leaves as large as they were (measured on bench/writer.bench.ts's events, 43 rows per file:
 * 15 of its 25 pages, 4% larger raw than compressed). Still codec ZSTD, so every reader (and
 * maintenance's stitch, which needs one codec per column) takes them as any other zstd page.
 */
export const ZSTD_STORED_MAX_BYTES = 128;

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * One zstd frame holding `b` as a raw block: magic, a single-segment frame header with the
 * content size (1 byte below 256), the block header (last block, type raw, size), the bytes.
 * No checksum (as zstdCompressSync writes by default). For b.length < 256.
 */
export function zstdStoredFrame(b: Uint8Array): Uint8Array {
  const n = b.length;
  if (n >= 256) throw new RangeError(`zstdStoredFrame: ${n} bytes (at most 255)`);
  const out = new Uint8Array(n + 9);
  out.set(ZSTD_MAGIC, 0);
  out[4] = 0x20; // Single_Segment_flag, Frame_Content_Size on 1 byte, no checksum, no dictionary
  out[5] = n;
  const block = (n << 3) | 1; // Last_Block, Block_Type 0 (raw), Block_Size
  out[6] = block & 0xff;
  out[7] = (block >>> 8) & 0xff;
  out[8] = (block >>> 16) & 0xff;
  out.set(b, 9);
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
