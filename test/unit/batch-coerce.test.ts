import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { ValueError } from '../../src/batch/errors.ts';
import type { LeafColumn } from '../../src/batch/column-batch.ts';
import type { LeafBuilder } from '../../src/batch/leaf-builder.ts';
import { valueWriter } from '../../src/batch/coerce.ts';
import type { IcebergType, Schema } from '../../src/iceberg/types.ts';

function schemaOf(type: IcebergType, required = false): Schema {
  return { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'v', required, type }] };
}

/** Append each value as {v: value}; return the finished leaf column. */
function build(type: IcebergType, values: unknown[], required = false): LeafColumn {
  const b = new RecordBatchBuilder(schemaOf(type, required), 'shop.orders');
  for (const v of values) b.append({ v });
  return b.finish().columns[0];
}

function rejects(type: IcebergType, value: unknown, message: string | RegExp, required = false): void {
  const b = new RecordBatchBuilder(schemaOf(type, required), 'shop.orders');
  assert.throws(
    () => b.append({ v: value }),
    (e: unknown) => {
      assert.ok(e instanceof ValueError, `expected ValueError, got ${String(e)}`);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
  assert.equal(b.rowCount, 0);
}

const i64 = (c: LeafColumn) => Array.from(c.values as BigInt64Array);
const i32 = (c: LeafColumn) => Array.from(c.values as Int32Array);

test('boolean', () => {
  const c = build('boolean', [true, false, null]);
  assert.deepEqual(Array.from(c.values as Uint8Array), [1, 0]);
  assert.deepEqual(Array.from(c.def!), [1, 1, 0]);
  rejects('boolean', 1, 'table shop.orders, column "v": expected boolean, got number 1');
  rejects('boolean', 'true', 'table shop.orders, column "v": expected boolean, got string "true"');
});

test('int: integer numbers in int32 range', () => {
  assert.deepEqual(i32(build('int', [0, -2147483648, 2147483647])), [0, -2147483648, 2147483647]);
  rejects('int', 2147483648, 'table shop.orders, column "v": expected int, got number 2147483648 (out of int32 range)');
  rejects('int', 1.5, /got number 1.5 \(not an integer\)/);
  rejects('int', 1n, /expected int, got bigint 1n/);
  rejects('int', '1', /expected int, got string "1"/);
});

test('long: bigint or safe integer', () => {
  assert.deepEqual(i64(build('long', [1, -1, 2 ** 53 - 1, -(2n ** 63n), 2n ** 63n - 1n, -4294967296, 4294967297])), [1n, -1n, 2n ** 53n - 1n, -(2n ** 63n), 2n ** 63n - 1n, -4294967296n, 4294967297n]);
  rejects('long', 2 ** 53, /not a safe integer; pass a bigint/);
  rejects('long', 2n ** 63n, /out of int64 range/);
  rejects('long', 0.5, /not an integer/);
});

test('float and double keep NaN and infinities', () => {
  const f = build('float', [1.5, NaN, -Infinity, 0.1]);
  const fv = Array.from(f.values as Float32Array);
  assert.equal(fv[0], 1.5);
  assert.ok(Number.isNaN(fv[1]));
  assert.equal(fv[2], -Infinity);
  assert.equal(fv[3], Math.fround(0.1));
  const d = build('double', [Math.PI, Infinity]);
  assert.deepEqual(Array.from(d.values as Float64Array), [Math.PI, Infinity]);
  rejects('double', '1.0', /expected double, got string "1.0"/);
});

test('float and double take a bigint (an integer literal beyond 2^53 from the JSON parser) only when they hold it exactly', () => {
  const d = build('double', [2n ** 60n, -(2n ** 70n), 12345678901234567168n, 1.5]);
  assert.deepEqual(Array.from(d.values as Float64Array), [2 ** 60, -(2 ** 70), 12345678901234567168, 1.5]);
  const f = build('float', [2n ** 70n]);
  assert.deepEqual(Array.from(f.values as Float32Array), [2 ** 70]);
  for (const [type, v] of [
    ['double', 12345678901234567890n],
    ['double', -(2n ** 60n) - 1n],
    ['double', 2n ** 63n - 1n],
    ['float', 2n ** 70n + 1n],
    ['float', 2n ** 53n - 1n],
  ] as const) {
    assert.throws(() => build(type, [v]), new RegExp(`cannot be held exactly by a ${type} column`), `${type} ${v}`);
  }
  // the partition writer (coerce.ts directly) applies the same rule
  const leaf = { pushDouble: (x: number) => pushed.push(x) } as unknown as LeafBuilder;
  const pushed: number[] = [];
  assert.equal(valueWriter('double')(leaf, 9007199254740992n), undefined);
  assert.match(valueWriter('double')(leaf, 9007199254740993n) ?? '', /cannot be held exactly/);
  assert.deepEqual(pushed, [9007199254740992]);
  // a long column keeps big integers exact
  assert.deepEqual(i64(build('long', [9007199254740993n])), [9007199254740993n]);
});

test('decimal: strings, numbers, bigint unscaled; no rounding', () => {
  assert.deepEqual(i64(build('decimal(10, 2)', ['-12.30', '5', 14.2, 1420n, '0.5', '.25', '+1.00', '7.500'])), [-1230n, 500n, 1420n, 1420n, 50n, 25n, 100n, 750n]);
  assert.deepEqual(i32(build('decimal(9,2)', ['9999999.99', -0.01])), [999999999, -1]);
  rejects('decimal(10, 2)', 'abc', 'table shop.orders, column "v": expected decimal(10, 2), got string "abc" (not a decimal number)');
  rejects('decimal(10, 2)', '1.234', /\(more than 2 fraction digits\)/);
  rejects('decimal(10, 2)', 0.1 + 0.2, /more than 2 fraction digits/);
  rejects('decimal(10, 2)', '123456789.00', /\(more than 10 digits\)/);
  rejects('decimal(10, 2)', 10n ** 10n, /more than 10 digits/);
  rejects('decimal(10, 2)', '1e3', /not a decimal number/);
  rejects('decimal(10, 2)', NaN, /not finite/);
  // wide decimals are two's-complement big-endian in 16 bytes
  const w = build('decimal(38, 0)', ['-1', '1']);
  assert.equal(Buffer.from(w.values as Uint8Array).toString('hex'), 'ff'.repeat(16) + '00'.repeat(15) + '01');
});

test('date: string, Date, days', () => {
  assert.deepEqual(i32(build('date', ['1970-01-01', '2024-02-29', '1969-12-31', new Date('2024-03-01T23:59:59Z'), 19000])), [0, 19782, -1, 19783, 19000]);
  rejects('date', '2023-02-29', /no such date/);
  rejects('date', '2024-1-1', /not a YYYY-MM-DD date/);
  rejects('date', 1.5, /not an int32 day number/);
  rejects('date', new Date(NaN), /got Date Invalid Date \(invalid Date\)/);
});

test('time: string or micros', () => {
  assert.deepEqual(i64(build('time', ['00:00:00', '12:34:56.789', '23:59:59.999999', 5n, 7])), [0n, 45296789000n, 86399999999n, 5n, 7n]);
  rejects('time', '24:00:00', /no such time/);
  rejects('time', '12:00:00.0000001', /finer than microseconds/);
  rejects('time', 86400000000, /outside/);
  rejects('time', -1n, /outside/);
});

test('timestamp (no zone): string without offset, Date, micros', () => {
  assert.deepEqual(i64(build('timestamp', ['2024-01-01T00:00:00', '2024-01-01 00:00:00.5', '1969-12-31T23:59:59.999999', new Date(1000), 12n, 34])), [
    1704067200000000n,
    1704067200500000n,
    -1n,
    1000000n,
    12n,
    34n,
  ]);
  rejects('timestamp', '2024-01-01T00:00:00Z', /timestamp without zone takes no offset/);
  rejects('timestamp', '2024-01-01', /not a YYYY-MM-DDTHH:MM:SS/);
});

test('timestamptz: RFC 3339 with offset, Date, micros', () => {
  assert.deepEqual(i64(build('timestamptz', ['2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00Z', '2023-12-31T19:00:00.000001-05:00', new Date('2024-01-01T00:00:00.123Z')])), [
    1704067200000000n,
    1704067200000000n,
    1704067200000001n,
    1704067200123000n,
  ]);
  rejects('timestamptz', '2024-01-01T00:00:00', 'table shop.orders, column "v": expected timestamptz, got string "2024-01-01T00:00:00" (timestamptz needs an offset (Z or ±HH:MM))');
  rejects('timestamptz', '2024-01-01T00:00:00.0000001Z', /finer than microseconds/);
  rejects('timestamptz', '2024-13-01T00:00:00Z', /no such date or time/);
});

test('timestamp_ns: nanoseconds', () => {
  assert.deepEqual(i64(build('timestamptz_ns', ['1970-01-01T00:00:00.000000001Z', new Date(1), 5n])), [1n, 1000000n, 5n]);
});

test('string: UTF-8, with a dictionary while small', () => {
  const c = build('string', ['a', 'héllo', 'a', '🌍']);
  assert.equal(c.dict!.size, 3);
  assert.deepEqual(Array.from(c.dict!.indices), [0, 1, 0, 2]);
  assert.equal(Buffer.from(c.dict!.data).toString(), 'ahéllo🌍');
  rejects('string', 5, /expected string, got number 5/);
  rejects('string', { a: 1 }, /got object \{"a":1\}/);
});

test('uuid: canonical string (either case) or 16 bytes', () => {
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
  const c = build('uuid', ['F79C3E09-677C-4BBD-A479-3F349CB785E7', bytes]);
  assert.equal(Buffer.from(c.values as Uint8Array).toString('hex'), 'f79c3e09677c4bbda4793f349cb785e7' + Buffer.from(bytes).toString('hex'));
  rejects('uuid', 'f79c3e09677c4bbda4793f349cb785e7', /not a canonical UUID/);
  rejects('uuid', 'g79c3e09-677c-4bbd-a479-3f349cb785e7', /not a canonical UUID/);
  rejects('uuid', new Uint8Array(15), /15 bytes instead of 16/);
});

test('fixed and binary', () => {
  const f = build('fixed[3]', [Uint8Array.of(1, 2, 3), Buffer.from([4, 5, 6])]);
  assert.deepEqual(Array.from(f.values as Uint8Array), [1, 2, 3, 4, 5, 6]);
  rejects('fixed[3]', Uint8Array.of(1, 2), /expected fixed\[3\], got Uint8Array \(2 bytes\) \(2 bytes instead of 3\)/);
  const b = build('binary', [Uint8Array.of(), Buffer.from('xy')]);
  assert.deepEqual(Array.from(b.offsets!), [0, 0, 2]);
  rejects('binary', 'xy', /expected binary, got string "xy"/);
});

test('required values must be present; optional missing/undefined/null are null', () => {
  rejects('long', undefined, 'table shop.orders, column "v": expected long, got undefined (required)', true);
  rejects('long', null, /got null \(required\)/, true);
  const b = new RecordBatchBuilder(schemaOf('long'), 't');
  b.append({});
  b.append({ v: undefined });
  b.append({ v: null });
  const c = b.finish().columns[0];
  assert.deepEqual(Array.from(c.def!), [0, 0, 0]);
  assert.equal(c.valueCount, 0);
});

test('long previews are clipped', () => {
  rejects('int', 'x'.repeat(100), /got string "x{39}…$/);
});
