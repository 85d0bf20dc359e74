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
import { compressor, ZSTD_STORED_MAX_BYTES, zstdStoredFrame } from '../../src/parquet/compress.ts';
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
