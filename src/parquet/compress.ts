// Page compression codecs (Parquet CompressionCodec ids).

import zlib from 'node:zlib';
import { snappyCompress } from './snappy.ts';

export type Compression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export const CODEC_ID: Record<Compression, number> = { uncompressed: 0, snappy: 1, gzip: 2, zstd: 6 };

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
      return (b) => zlib.zstdCompressSync(b, opts);
    }
  }
}
