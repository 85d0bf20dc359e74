// RecordBatchBuilder.appendAvro (Avro bytes straight into the columns) gives exactly the batch
// that decode-then-append gives: random records over every Avro type the Avro → Iceberg mapping
// takes (nested records, arrays, maps, nulls, decimals, timestamps, uuids), some of them values
// that must be rejected. A record appendAvro declines is run through decode-then-append, as the
// worker does, and must then fail or land exactly as it would have without appendAvro.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { compileAvroDecoder } from '../../src/decode/avro-decoder.ts';
import { parseAvroSchema } from '../../src/decode/avro-schema.ts';
import type { AvroType } from '../../src/decode/avro-schema.ts';
import { icebergSchemaFromAvro } from '../../src/schema/from-avro.ts';
import { withKafkaMetadataColumns } from '../../src/schema/kafka-metadata.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { rng } from '../helpers/rng.ts';

// ---- a seeded random source and a small Avro binary encoder (values in wire form) ----

class Out {
  bytes: number[] = [];
  long(v: bigint): void {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (z >= 0x80n) {
      this.bytes.push(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    this.bytes.push(Number(z));
  }
  raw(b: Uint8Array | number[]): void {
    for (const x of b) this.bytes.push(x);
  }
  lenBytes(b: Uint8Array | number[]): void {
    this.long(BigInt(b.length));
    this.raw(b);
  }
}

const enc = new TextEncoder();

/** Big-endian two's complement of `v` in `n` bytes. */
function twos(v: bigint, n: number): number[] {
  let x = BigInt.asUintN(n * 8, v);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Writes a random value of `t`; `odd` is the chance of an awkward or invalid value. */
function writeRandom(t: AvroType, o: Out, r: () => number, odd: number, depth = 0): void {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  switch (t.kind) {
    case 'null':
      return;
    case 'boolean':
      o.raw([r() < 0.5 ? 1 : 0]);
      return;
    case 'int': {
      if (t.logical === 'time-millis') {
        o.long(BigInt(r() < odd ? pick([-1, 86400000, 2 ** 30]) : Math.floor(r() * 86400000)));
        return;
      }
      o.long(BigInt(r() < odd ? pick([-(2 ** 31), 2 ** 31 - 1, 0, -1]) : Math.floor((r() - 0.5) * 2e6)));
      return;
    }
    case 'long': {
      let v: bigint;
      if (t.logical === 'time-micros') v = r() < odd ? pick([-1n, 86400000000n, 2n ** 60n]) : BigInt(Math.floor(r() * 86400000000));
      else if (r() < odd) v = pick([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n, -(2n ** 53n) - 1n, 2n ** 60n, 0n]);
      else v = BigInt(Math.floor((r() - 0.5) * 2 * 1.7e15));
      o.long(v);
      return;
    }
    case 'float': {
      const f = new Float32Array([r() < odd ? pick([NaN, Infinity, -0]) : (r() - 0.5) * 1e6]);
      o.raw(new Uint8Array(f.buffer));
      return;
    }
    case 'double': {
      const f = new Float64Array([r() < odd ? pick([NaN, -Infinity, -0]) : (r() - 0.5) * 1e9]);
      o.raw(new Uint8Array(f.buffer));
      return;
    }
    case 'string': {
      if (t.logical === 'uuid') {
        const hex = Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
        let s = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        if (r() < odd) s = pick([s.toUpperCase(), s.slice(1), s.replace('-', 'x'), `${s.slice(0, 35)}g`]);
        o.lenBytes(enc.encode(s));
        return;
      }
      if (r() < odd) {
        o.lenBytes(pick([[0xff, 0x41], [0xc3], [0xe2, 0x82, 0xac, 0x7a], []]));
        return;
      }
      // few distinct values (dictionary hits), some long (compared natively), pairs that differ
      // only where the dictionary lookup's hash does not look (same slot), some non-ASCII
      const s = pick([
        '',
        'a',
        'DE',
        'FR',
        'café',
        'naïve-value',
        'x'.repeat(40),
        'y'.repeat(60),
        `${'y'.repeat(10)}Y${'y'.repeat(49)}`,
        'q'.repeat(20),
        `${'q'.repeat(5)}Q${'q'.repeat(14)}`,
        `${'z'.repeat(55)}ü`,
        'https://example.com/p/1',
        'https://example.com/p/2',
        `id-${Math.floor(r() * 50)}`,
      ]);
      o.lenBytes(enc.encode(s));
      return;
    }
    case 'bytes':
      if (t.decimal) {
        const big = r() < odd; // past the precision: the column rejects it
        const digits = big ? t.decimal.precision + 1 : Math.max(1, Math.floor(r() * t.decimal.precision));
        let v = 0n;
        for (let i = 0; i < digits; i++) v = v * 10n + BigInt(i === 0 ? 1 + Math.floor(r() * 9) : Math.floor(r() * 10));
        if (r() < 0.5) v = -v;
        const n = Math.max(1, Math.ceil((v.toString(2).length + 2) / 8));
        o.lenBytes(twos(v, n));
        return;
      }
      o.lenBytes(Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 256)));
      return;
    case 'fixed':
      if (t.decimal) {
        const digits = r() < odd ? t.decimal.precision + 1 : Math.floor(r() * t.decimal.precision);
        let v = 0n;
        for (let i = 0; i < digits; i++) v = v * 10n + BigInt(Math.floor(r() * 10));
        if (r() < 0.5) v = -v;
        o.raw(twos(v, t.size));
        return;
      }
      o.raw(Array.from({ length: t.size }, () => Math.floor(r() * 256)));
      return;
    case 'enum':
      o.long(BigInt(r() < odd / 4 ? t.symbols.length : Math.floor(r() * t.symbols.length)));
      return;
    case 'array':
    case 'map': {
      const n = depth > 2 ? 0 : Math.floor(r() * 4);
      if (n > 0) {
        if (r() < 0.3) {
          // a negative count with a (here unchecked) byte size
          o.long(BigInt(-n));
          o.long(0n);
        } else o.long(BigInt(n));
        const keys = ['k1', 'k2', 'ключ', 'k4'];
        for (let i = 0; i < n; i++) {
          if (t.kind === 'map') o.lenBytes(enc.encode(r() < odd ? keys[0] : keys[i]));
          writeRandom(t.kind === 'array' ? t.items : t.values, o, r, odd, depth + 1);
        }
      }
      o.long(0n);
      return;
    }
    case 'record':
      for (const f of t.fields) writeRandom(f.type, o, r, odd, depth + 1);
      return;
    case 'union': {
      const nullAt = t.branches.findIndex((b) => b.kind === 'null');
      const i = nullAt >= 0 && r() < 0.25 ? nullAt : Math.floor(r() * t.branches.length);
      o.long(BigInt(r() < odd / 8 ? t.branches.length : i));
      writeRandom(t.branches[Math.min(i, t.branches.length - 1)], o, r, odd, depth + 1);
      return;
    }
  }
}

// ---- schemas ----

const opt = (type: unknown): unknown[] => ['null', type];
const WRITER = {
  type: 'record',
  name: 'W',
  fields: [
    { name: 'b', type: 'boolean' },
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'by', type: 'bytes' },
    { name: 's', type: 'string' },
    { name: 'os', type: opt('string') },
    { name: 'rs', type: ['string', 'null'] },
    { name: 'fx', type: { type: 'fixed', name: 'F3', size: 3 } },
    { name: 'date', type: { type: 'int', logicalType: 'date' } },
    { name: 'tm', type: { type: 'int', logicalType: 'time-millis' } },
    { name: 'tu', type: { type: 'long', logicalType: 'time-micros' } },
    { name: 'tsm', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'tsu', type: opt({ type: 'long', logicalType: 'timestamp-micros' }) },
    { name: 'ltm', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
    { name: 'ltu', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    { name: 'dec9', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'dec18', type: opt({ type: 'bytes', logicalType: 'decimal', precision: 18, scale: 4 }) },
    { name: 'dec30', type: { type: 'bytes', logicalType: 'decimal', precision: 30, scale: 3 } },
    { name: 'decfx', type: { type: 'fixed', name: 'DF', size: 6, logicalType: 'decimal', precision: 12, scale: 0 } },
    { name: 'us', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'ufx', type: opt({ type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' }) },
    { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'BB', 'CCC'] } },
    { name: 'single', type: ['int'] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'otags', type: opt({ type: 'array', items: opt('long') }) },
    { name: 'm', type: { type: 'map', values: 'string' } },
    { name: 'mm', type: { type: 'map', values: opt({ type: 'array', items: { type: 'map', values: 'int' } }) } },
    {
      name: 'nested',
      type: opt({
        type: 'record',
        name: 'N',
        fields: [
          { name: 'x', type: 'int' },
          { name: 'name', type: opt('string') },
          {
            name: 'items',
            type: {
              type: 'array',
              items: {
                type: 'record',
                name: 'It',
                fields: [
                  { name: 'k', type: 'string' },
                  { name: 'v', type: opt('double') },
                ],
              },
            },
          },
          { name: 'when', type: opt({ type: 'long', logicalType: 'timestamp-micros' }) },
        ],
      }),
    },
  ],
};

const META = ['_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp', '_kafka_key', '_kafka_headers'];

function frames(writer: AvroType, n: number, seed: number, odd: number): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const o = new Out();
    writeRandom(writer, o, r, odd);
    if (r() < odd / 8) o.raw([1]); // a trailing byte
    let b = Uint8Array.from(o.bytes);
    if (r() < odd / 8) b = b.subarray(0, Math.floor(b.length * r())); // truncated
    const framed = new Uint8Array(b.length + 3);
    framed.set(b, 3); // the value at an offset, as after a wire-format header
    return framed;
  });
}

function metaValues(i: number): unknown[] {
  return ['topic', i % 3, BigInt(i), 1_700_000_000_000_000 + i, i % 2 ? null : Uint8Array.of(i & 255), new Map([['h', Uint8Array.of(1)]])];
}

/** What decode-then-append does with the record: undefined when it lands, else the error message. */
function objectPath(builder: RecordBatchBuilder, decode: (b: Uint8Array, o: number) => unknown, bytes: Uint8Array, extras: unknown[] | undefined): string | undefined {
  let value: Record<string, unknown>;
  try {
    value = decode(bytes, 3) as Record<string, unknown>;
    builder.append(value, extras);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  return undefined;
}

interface Run {
  direct: number;
  declined: number;
  failed: string[];
}

/** The same frames through both builders; asserts equal outcomes per record and equal batches at the end. */
function compare(writerJson: unknown, table: Schema, opts: { extras: boolean; n: number; seed: number; odd: number }): Run {
  const writer = parseAvroSchema(writerJson);
  const decode = compileAvroDecoder(writer);
  const extraColumns = opts.extras ? META : [];
  const a = new RecordBatchBuilder(table, 't', { extraColumns });
  const b = new RecordBatchBuilder(table, 't', { extraColumns });
  const run: Run = { direct: 0, declined: 0, failed: [] };
  const fs = frames(writer, opts.n, opts.seed, opts.odd);
  fs.forEach((bytes, i) => {
    const extras = opts.extras ? metaValues(i) : undefined;
    const want = objectPath(a, decode, bytes, extras);
    if (b.appendAvro(writer, bytes, 3, extras)) {
      run.direct++;
      assert.equal(want, undefined, `record ${i}: appendAvro took a record decode-then-append rejects`);
    } else {
      run.declined++;
      assert.equal(objectPath(b, decode, bytes, extras), want, `record ${i}`);
      if (want !== undefined) run.failed.push(want);
    }
    assert.equal(b.rowCount, a.rowCount);
    if (i % 97 === 96) assert.deepEqual(b.finish(), a.finish(), `batch ending at record ${i}`);
  });
  assert.deepEqual(b.finish(), a.finish());
  return run;
}

test('appendAvro: every mapped Avro type, random records, equals decode-then-append (no metadata columns)', () => {
  const table = icebergSchemaFromAvro(parseAvroSchema(WRITER));
  const run = compare(WRITER, table, { extras: false, n: 1500, seed: 1, odd: 0 });
  assert.equal(run.declined, 0, 'valid records all take the direct path');
  assert.equal(run.direct, 1500);
});

test('appendAvro: with metadata extra columns and awkward values; declined records fail with the same reasons', () => {
  const table = withKafkaMetadataColumns(icebergSchemaFromAvro(parseAvroSchema(WRITER)), { key: 'binary', headers: true });
  const run = compare(WRITER, table, { extras: true, n: 3000, seed: 2, odd: 0.04 });
  assert.ok(run.direct > 1000, `direct ${run.direct}`);
  assert.ok(run.declined > 50, `declined ${run.declined}`);
  const reasons = run.failed.join('\n');
  assert.match(reasons, /ValueError: table t, column "dec9": expected decimal\(9, 2\).*more than 9 digits/);
  assert.match(reasons, /DecodeError: .*not a UUID/);
  assert.match(reasons, /column "tu"/); // time-micros out of a day
  assert.match(reasons, /DecodeError: .*truncated|ends before/);
});

test('appendAvro: a table that differs from the writer (dropped, added, required and promoted columns)', () => {
  const base = icebergSchemaFromAvro(parseAvroSchema(WRITER));
  // the table lacks some writer fields (read and dropped) and has columns the writer lacks
  const fields = base.fields.filter((f) => !['l', 'tags', 'mm', 'us'].includes(f.name));
  const id = Math.max(...base.fields.map((f) => f.id)) + 100;
  const table: Schema = {
    ...base,
    fields: [
      ...fields,
      { id, name: 'added', type: 'string', required: false },
      { id: id + 1, name: 'added_list', type: { type: 'list', 'element-id': id + 2, element: 'int', 'element-required': true }, required: false },
    ],
  };
  const run = compare(WRITER, table, { extras: false, n: 800, seed: 3, odd: 0.02 });
  assert.ok(run.direct > 400, `direct ${run.direct}`);

  // a required column the writer lacks: every record fails "required", by either path
  const req: Schema = { ...base, fields: [...base.fields, { id, name: 'must', type: 'int', required: true }] };
  const r2 = compare(WRITER, req, { extras: false, n: 300, seed: 4, odd: 0 }); // past the give-up after 256 declines in a row
  assert.equal(r2.direct, 0);
  assert.match(r2.failed[0], /column "must": expected int, got undefined \(required\)/);

  // an optional writer field into a required column: nulls are rejected, values land
  const os = base.fields.find((f) => f.name === 'os')!;
  const strict: Schema = { ...base, fields: base.fields.map((f) => (f === os ? { ...f, required: true } : f)) };
  const r3 = compare(WRITER, strict, { extras: false, n: 300, seed: 5, odd: 0 });
  assert.ok(r3.direct > 100 && r3.failed.length > 20, `${r3.direct} direct, ${r3.failed.length} failed`);
  assert.match(r3.failed[0], /column "os": expected string, got null \(required\)/);

  // a promoted column type (int → long): the whole writer schema takes decode-then-append
  const promoted: Schema = { ...base, fields: base.fields.map((f) => (f.name === 'i' ? { ...f, type: 'long' } : f)) };
  const r4 = compare(WRITER, promoted, { extras: false, n: 50, seed: 6, odd: 0 });
  assert.equal(r4.direct, 0);
  assert.equal(r4.failed.length, 0);
});

test('appendAvro: complex unions and non-record values are left to decode-then-append', () => {
  const withUnion = {
    type: 'record',
    name: 'U',
    fields: [
      { name: 'a', type: 'int' },
      { name: 'u', type: ['null', 'int', 'string'] },
    ],
  };
  const r1 = compare(withUnion, icebergSchemaFromAvro(parseAvroSchema(withUnion)), { extras: false, n: 100, seed: 7, odd: 0 });
  assert.equal(r1.direct, 0);
  assert.equal(r1.failed.length, 0);
});

test('appendAvro: string columns past the dictionary limits (plain bytes) and duplicate map keys', () => {
  const w = {
    type: 'record',
    name: 'S',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'm', type: { type: 'map', values: 'long' } },
    ],
  };
  const writer = parseAvroSchema(w);
  const table = icebergSchemaFromAvro(writer);
  const decode = compileAvroDecoder(writer);
  const a = new RecordBatchBuilder(table, 't');
  const b = new RecordBatchBuilder(table, 't');
  const frame = (id: string, keys: string[]): Uint8Array => {
    const o = new Out();
    o.lenBytes(enc.encode(id));
    if (keys.length) o.long(BigInt(keys.length));
    keys.forEach((k, i) => (o.lenBytes(enc.encode(k)), o.long(BigInt(i))));
    o.long(0n);
    return Uint8Array.from(o.bytes);
  };
  let declined = 0;
  let dups = 0;
  let invalid = 0;
  for (let i = 0; i < 12000; i++) {
    // distinct ids: the dictionary is dropped after its probe; some non-ASCII, some invalid UTF-8
    const id = i % 7 === 0 ? `idé-${i}` : `id-${i}`;
    const keys = i % 50 === 0 ? ['k', 'k'] : i % 51 === 0 ? ['é', Buffer.from([0xc3]).toString('latin1')] : ['k', `k${i % 3}`];
    let bytes = frame(id, keys);
    if (i % 50 === 0) dups++;
    if (i % 1001 === 1) {
      // an invalid UTF-8 id (no map entries), or an invalid UTF-8 map key: refused by both paths
      bytes = i % 2 === 0 ? Uint8Array.of(4, 0xff, 0xfe, 0) : Uint8Array.of(2, 0x41, 2, 2, 0xc3, 0x28, 0);
      invalid++;
      assert.equal(objectPath(a, decode, Uint8Array.from([0, 0, 0, ...bytes]), undefined), 'DecodeError: invalid-payload: an Avro string is not valid UTF-8');
      assert.equal(b.appendAvro(writer, bytes, 0), false, 'declined: the object path names the problem');
      continue;
    }
    assert.equal(objectPath(a, decode, Uint8Array.from([0, 0, 0, ...bytes]), undefined), undefined);
    if (!b.appendAvro(writer, bytes, 0)) {
      declined++;
      b.append(decode(bytes, 0) as Record<string, unknown>);
    }
  }
  assert.ok(invalid >= 10);
  assert.equal(declined, dups, 'records with a duplicate map key are declined');
  const x = b.finish();
  assert.deepEqual(x, a.finish());
  assert.equal(x.columns[0].dict, null, 'the id column fell back to plain bytes');
  assert.ok(x.columns[1].dict !== null, 'map keys stay dictionary-encoded');
});
