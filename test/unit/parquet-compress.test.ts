// Small zstd pages are stored as a raw block (compress.ts): the frame must be what libzstd
// writes for bytes it cannot shrink, and read back by libzstd and by an independent reader
// (arrow-rs through parquet-wasm) inside a whole file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { encodeParquet } from '../../src/parquet/encode.ts';
import { compressor, ZSTD_STORED_MAX_BYTES, zstdPagesOf, zstdStoredFrame } from '../../src/parquet/compress.ts';
import type { Schema } from '../../src/iceberg/types.ts';

test('a stored zstd frame is byte for byte what libzstd writes for incompressible bytes, and reads back', () => {
  const level = { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } };
  for (let n = 0; n <= 1100; n++) {
    const b = new Uint8Array(randomBytes(n));
    const frame = zstdStoredFrame(b);
    assert.deepEqual(Buffer.from(frame), zlib.zstdCompressSync(b, level), `${n} bytes`);
    assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(frame)), b, `${n} bytes back`);
  }
  for (const n of [4096, 65_791]) {
    const b = new Uint8Array(randomBytes(n));
    assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(zstdStoredFrame(b))), b, `${n} bytes back`);
  }
  assert.throws(() => zstdStoredFrame(new Uint8Array(65_792)), RangeError);
});

test('the zstd compressor stores pages up to ZSTD_STORED_MAX_BYTES and compresses larger ones', () => {
  const compress = compressor('zstd', 3);
  const small = new Uint8Array(ZSTD_STORED_MAX_BYTES).fill(7);
  assert.equal(compress(small).length, small.length + 8 + (small.length < 256 ? 1 : 2));
  assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(compress(small))), small);
  const large = new Uint8Array(ZSTD_STORED_MAX_BYTES + 1).fill(7);
  assert.ok(compress(large).length < 40);
  assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(compress(large))), large);
});

/** n bytes of a few letters, as a page of repeated values compresses (seeded). */
function letters(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    b[i] = 97 + ((x >> 16) % (1 + (seed % 23)));
  }
  return b;
}

test('zstd pages through the kept context are byte for byte the frames zstdCompressSync writes, page after page', () => {
  for (const level of [3, 1, 9]) {
    const pages = zstdPagesOf(level);
    // this Node's ZstdCompress has the handle it drives: else pages fall back to zstdCompressSync and this test says so
    assert.equal(pages.reused, true, 'the zstd context is reused');
    const opts = { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } };
    const sizes = [0, 1, 129, 300, 513, 600, 2000, 8000, 65_536, 65_537, 200_000, 1_100_000, 700, 5];
    for (let k = 0; k < sizes.length; k++) {
      for (const b of [letters(sizes[k], k + 1), new Uint8Array(randomBytes(sizes[k]))]) {
        const frame = pages.compress(b);
        assert.deepEqual(Buffer.from(frame), zlib.zstdCompressSync(b, opts), `level ${level}, ${b.length} bytes`);
        // each frame alone (no history from the pages before it)
        assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(frame)), b, `level ${level}, ${b.length} bytes back`);
      }
    }
  }
  // a frame handed out is the caller's: the next page does not write over it
  const pages = zstdPagesOf(3);
  const a = pages.compress(letters(4000, 5));
  const copy = new Uint8Array(a);
  pages.compress(letters(4000, 6));
  assert.deepEqual(a, copy);
});

test('a file of small and large zstd pages reads back with arrow-rs', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'i', required: true, type: 'int' },
      { id: 2, name: 's', required: false, type: 'string' },
    ],
  };
  for (const rows of [0, 1, 3, 40, 1000]) {
    const b = new RecordBatchBuilder(schema, 't');
    const records = Array.from({ length: rows }, (_, k) => ({ i: k * 3, s: k % 5 === 0 ? null : `value-${k % 7}` }));
    for (const r of records) b.append(r);
    const { bytes } = encodeParquet(schema, b.finish(), { compression: 'zstd' });
    const t = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
    assert.equal(t.numRows, rows);
    assert.deepEqual(
      t.toArray().map((r) => ({ i: r.i, s: r.s })),
      records,
    );
  }
});
