// fetched-records.ts: record batches made by @platformatic/kafka's encoder (createRecordsBatch),
// read by floe and, as the oracle, by the library's own reader (readRecordsBatches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressionsAlgorithmsByBitmask, createRecordsBatch, readRecordsBatches, Reader } from '@platformatic/kafka';
import { convertBatches, readRecordBatches, type Decompress } from '../../src/kafka/fetched-records.ts';
import { tpFromKey, tpKey } from '../../src/kafka/types.ts';
import { rng } from '../helpers/rng.ts';

const dec = new TextDecoder();

const decompress: Decompress = (codec, data) => (compressionsAlgorithmsByBitmask as Record<number, { decompressSync(d: Buffer): Buffer }>)[codec]!.decompressSync(data);

interface Msg {
  key?: Buffer | null;
  value?: Buffer | null;
  timestamp: bigint;
  headers?: Map<Buffer, Buffer | null>;
}

type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** One v2 record batch as the library writes it, with its base offset and, optionally, attributes and producer id set. */
function batchBytes(firstOffset: bigint, msgs: Msg[], o: { compression?: Codec; attributes?: number; producerId?: bigint } = {}): Buffer {
  const w = createRecordsBatch(msgs as never, { compression: o.compression ?? 'none', producerId: o.producerId } as never);
  const b = Buffer.from(w.dynamicBuffer.buffer);
  b.writeBigInt64BE(firstOffset, 0);
  if (o.attributes !== undefined) b.writeInt16BE(b.readInt16BE(21) | o.attributes, 21);
  return b;
}

function simple(firstOffset: bigint, n: number, o: { prefix?: string; attributes?: number; producerId?: bigint; timestamp?: number } = {}): Buffer {
  const msgs = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`${o.prefix ?? 'v'}${firstOffset + BigInt(i)}`),
    timestamp: BigInt((o.timestamp ?? 1000) + i * 10),
  }));
  return batchBytes(firstOffset, msgs, o);
}

/** A control batch: one marker record, key = version int16 0, type int16 (0 abort, 1 commit). */
function marker(offset: bigint, producerId: bigint, commit: boolean): Buffer {
  return batchBytes(offset, [{ key: Buffer.from([0, 0, 0, commit ? 1 : 0]), value: Buffer.alloc(6), timestamp: 5000n }], { attributes: 0x10 | 0x20, producerId });
}

const read = (...bs: Buffer[]) => readRecordBatches(Buffer.concat(bs), decompress);

/** The bytes in pieces as a socket hands them over: sizes up to `max`, some empty. */
function inPieces(b: Buffer, r: () => number, max: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length;) {
    const n = Math.min(b.length - at, Math.floor(r() * max));
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return out;
}
const values = (r: { records: { value: Uint8Array | null }[] }) => r.records.map((x) => dec.decode(x.value!));

test('random records of every codec read as the library reads them: offsets, timestamps, keys, values, headers', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = rng(seed);
    const codec = (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)[seed % 5]!;
    const parts: Buffer[] = [];
    let offset = BigInt(Math.floor(r() * 1e12));
    const start = offset;
    for (let b = 0; b < 1 + Math.floor(r() * 4); b++) {
      const n = 1 + Math.floor(r() * 200);
      const t0 = 1_700_000_000_000 + Math.floor(r() * 1e9);
      const msgs: Msg[] = Array.from({ length: n }, () => {
        const bytes = (max: number) => Buffer.from(Array.from({ length: Math.floor(r() * max) }, () => Math.floor(r() * 256)));
        const headers = new Map<Buffer, Buffer | null>();
        for (let h = Math.floor(r() * 3); h > 0; h--) headers.set(Buffer.from(`h${h}\u00e9`), r() < 0.2 ? null : bytes(20));
        return {
          key: r() < 0.3 ? null : bytes(40),
          // tombstones, empty values, and values longer than one varint byte of length
          value: r() < 0.1 ? null : bytes(r() < 0.5 ? 3 : 3000),
          // timestamps out of order: negative deltas
          timestamp: BigInt(t0 + Math.floor((r() - 0.3) * 100_000)),
          headers,
        };
      });
      parts.push(batchBytes(offset, msgs, { compression: codec }));
      offset += BigInt(n);
    }
    const bytes = Buffer.concat(parts);
    const fetchOffset = start + BigInt(Math.floor(r() * 5));
    // one buffer, or pieces from a few bytes (headers, lengths and fields straddling two) to a few KiB
    const given = seed % 3 === 0 ? bytes : inPieces(bytes, r, [8, 100, 5000][seed % 3]!);
    const got = convertBatches('t', 7, fetchOffset, readRecordBatches(given, decompress), null);
    const want: unknown[] = [];
    for (const b of readRecordsBatches(Reader.from(bytes))) {
      for (const x of b.records) {
        const o = b.firstOffset + BigInt(x.offsetDelta);
        if (o < fetchOffset) continue;
        want.push([
          o,
          Number(b.firstTimestamp + x.timestampDelta),
          x.key?.length ? [...x.key] : x.key ? [] : null,
          x.value ? [...x.value] : null,
          x.headers.map(([k, v]) => [dec.decode(k), v ? [...v] : null]),
        ]);
      }
    }
    const have = got.records.map((x) => [x.offset, x.timestamp, x.key ? [...x.key] : null, x.value ? [...x.value] : null, x.headers.map(([k, v]) => [k, v ? [...v] : null])]);
    assert.equal(have.length, want.length, `seed ${seed} (${codec})`);
    assert.deepEqual(have, want, `seed ${seed} (${codec}, ${Buffer.isBuffer(given) ? 'one buffer' : `${given.length} pieces`})`);
    assert.equal(got.nextOffset, offset);
    assert.ok(got.records.every((x) => x.topic === 't' && x.partition === 7));
  }
});

test('records before the fetch offset are dropped; a batch wholly before it is skipped and does not move nextOffset back', () => {
  const r = convertBatches('t', 3, 12n, read(simple(10n, 5)), null);
  assert.deepEqual(values(r), ['v12', 'v13', 'v14']);
  assert.deepEqual(
    r.records.map((x) => [x.offset, x.timestamp]),
    [
      [12n, 1020],
      [13n, 1030],
      [14n, 1040],
    ],
  );
  assert.equal(r.nextOffset, 15n);
  const two = convertBatches('t', 0, 20n, read(simple(10n, 5), simple(20n, 2)), null);
  assert.deepEqual(values(two), ['v20', 'v21']);
  assert.equal(two.nextOffset, 22n);
  const empty = convertBatches('t', 0, 20n, [], null);
  assert.equal(empty.nextOffset, 20n);
  assert.equal(empty.records.length, 0);
});

test('log-append-time batches stamp every record with the batch max timestamp', () => {
  const r = convertBatches('t', 0, 0n, read(simple(0n, 3, { attributes: 0x08 })), null);
  assert.deepEqual(
    r.records.map((x) => x.timestamp),
    [1020, 1020, 1020],
  );
});

test('a last batch cut off by the fetch size is left out, to be fetched again', () => {
  const whole = Buffer.concat([simple(0n, 3), simple(3n, 4)]);
  for (const cut of [whole.length - 1, whole.length - 30, simple(0n, 3).length + 5]) {
    const batches = readRecordBatches(inPieces(whole.subarray(0, cut), rng(cut), 40), decompress);
    assert.equal(batches.length, 1, `cut at ${cut}`);
    const r = convertBatches('t', 0, 0n, batches, null);
    assert.deepEqual(values(r), ['v0', 'v1', 'v2']);
    assert.equal(r.nextOffset, 3n);
  }
});

test('control batches are skipped but advance nextOffset; committed transactions are kept', () => {
  const r = convertBatches('t', 0, 0n, read(simple(0n, 2, { attributes: 0x10, producerId: 7n }), marker(2n, 7n, true), simple(3n, 1)), []);
  assert.deepEqual(values(r), ['v0', 'v1', 'v3']);
  assert.equal(r.nextOffset, 4n);
  const onlyMarker = convertBatches('t', 0, 2n, read(marker(2n, 7n, true)), []);
  assert.equal(onlyMarker.records.length, 0);
  assert.equal(onlyMarker.nextOffset, 3n);
  // the marker's key is kept where the library's read_committed filter reads it, in pieces too
  assert.deepEqual([...read(marker(2n, 7n, false))[0]!.records[0]!.key!], [0, 0, 0, 0]);
  assert.deepEqual([...readRecordBatches(inPieces(marker(2n, 7n, true), rng(3), 3), decompress)[0]!.records[0]!.key!], [0, 0, 0, 1]);
});

test('read_committed: records of aborted transactions are dropped, other producers kept', () => {
  const batches = read(
    simple(0n, 2, { attributes: 0x10, producerId: 7n, prefix: 'aborted' }),
    simple(2n, 2, { attributes: 0x10, producerId: 8n, prefix: 'kept' }),
    marker(4n, 7n, false),
    marker(5n, 8n, true),
    // producer 7 again after its abort marker: a new transaction, not aborted
    simple(6n, 1, { attributes: 0x10, producerId: 7n, prefix: 'later' }),
    marker(7n, 7n, true),
  );
  const r = convertBatches('t', 0, 0n, batches, [{ producerId: 7n, firstOffset: 0n }]);
  assert.deepEqual(values(r), ['kept2', 'kept3', 'later6']);
  assert.equal(r.nextOffset, 8n);
  // read_uncommitted (no aborted list): everything but the markers
  const all = convertBatches('t', 0, 0n, batches, null);
  assert.equal(all.records.length, 5);
});

test('corrupt batches fail with a clear error, not wrong records', () => {
  const old = simple(0n, 2);
  old[16] = 1; // magic byte: the pre-0.11 message format
  assert.throws(() => read(old), /record batch format 1 is not supported/);
  const short = simple(0n, 2);
  short.writeInt32BE(20, 8); // a batch length shorter than a batch header
  assert.throws(() => readRecordBatches(short, decompress), /shorter than its header/);
  // a record whose length runs past its batch
  const long = simple(0n, 1);
  long[61] = 0x7e; // the first record's length (zigzag 63) where it held the real one
  assert.throws(() => convertBatches('t', 0, 0n, read(long), null), /runs past its batch|does not end where its length says/);
  // more records announced than the batch holds
  const more = simple(0n, 2);
  more.writeInt32BE(3, 57);
  assert.throws(() => convertBatches('t', 0, 0n, read(more), null), /ends inside a number|runs past/);
});

test('tpKey round-trips topic names with dots, dashes and digits', () => {
  for (const [t, p] of [
    ['orders', 0],
    ['a.b-c_1', 11],
    ['x\u00e9', 2],
  ] as const) {
    assert.deepEqual(tpFromKey(tpKey(t, p)), { topic: t, partition: p });
  }
  assert.notEqual(tpKey('a1', 1), tpKey('a', 11));
});
