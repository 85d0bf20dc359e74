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

test('a write through the kept context that fails or does not end its frame gives the page through zstdCompressSync, and a new context after', () => {
  const opts = { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } };
  const pages = zstdPagesOf(3);
  const inner = pages as unknown as { handle: { writeSync(...args: unknown[]): void } };
  const page = letters(3000, 9);
  // a write that throws
  inner.handle = {
    writeSync() {
      throw new Error('broken handle');
    },
  };
  assert.deepEqual(Buffer.from(pages.compress(page)), zlib.zstdCompressSync(page, opts));
  assert.equal(pages.reused, true);
  assert.deepEqual(Buffer.from(pages.compress(page)), zlib.zstdCompressSync(page, opts), 'the new context writes whole frames');
  // a write that reports input left (its frame not ended), on the stream's own handle
  const inner2 = pages as unknown as { stream: { _handle: unknown }; handle: { writeSync(...args: unknown[]): void }; state: Uint32Array };
  const real = inner2.handle;
  let calls = 0;
  const leaving = {
    writeSync(...args: unknown[]) {
      calls++;
      real.writeSync(...args);
      inner2.state[1] = 1;
    },
  };
  inner2.handle = leaving;
  inner2.stream._handle = leaving;
  assert.deepEqual(Buffer.from(pages.compress(page)), zlib.zstdCompressSync(page, opts));
  assert.equal(calls, 1);
  assert.notEqual(inner2.handle, leaving, 'a new context');
  assert.deepEqual(Buffer.from(pages.compress(letters(2000, 3))), zlib.zstdCompressSync(letters(2000, 3), opts));
  // a handle that is no longer the stream's (an error inside zstd destroys the stream and closes it)
  const live = inner2.handle;
  let staleCalls = 0;
  const stale = {
    writeSync(...args: unknown[]) {
      staleCalls++;
      live.writeSync(...args); // writes the whole frame: only the handle's identity tells
    },
  };
  inner2.handle = stale;
  assert.deepEqual(Buffer.from(pages.compress(page)), zlib.zstdCompressSync(page, opts));
  assert.equal(staleCalls, 1);
  assert.notEqual(inner2.handle, stale, 'a new context');
  assert.equal(pages.reused, true);
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
