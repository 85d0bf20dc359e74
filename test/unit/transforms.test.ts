import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur3Bytes, murmur3Double, murmur3Int, murmur3Long } from '../../src/iceberg/murmur3.ts';
import {
  applyTransform,
  bigDecimalToString,
  bucketHash,
  canTransform,
  civilFromDays,
  daysFromCivil,
  humanString,
  javaFloatingToString,
  javaUrlEncode,
  minimalBigEndianBytes,
  parseTransform,
  partitionPath,
  transformFn,
  transformResultType,
  transformToString,
  truncateString,
} from '../../src/iceberg/transforms.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { PartitionSpec } from '../../src/iceberg/table-metadata.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const micros = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const days = (iso: string): number => Date.parse(iso + 'T00:00:00Z') / 86_400_000;

// Appendix B of the Iceberg table spec: 32-bit hash test values.
test('murmur3 gives the spec Appendix B values', () => {
  assert.equal(murmur3Int(34), 2017239379);
  assert.equal(murmur3Long(34n), 2017239379);
  assert.equal(murmur3Long(34), 2017239379);
  assert.equal(murmur3Bytes(utf8('iceberg')), 1210000089);
  assert.equal(murmur3Bytes(new Uint8Array([0, 1, 2, 3])), -188683207);
  assert.equal(murmur3Int(1), 1392991556); // boolean true as hashInt(1)
  assert.equal(murmur3Double(1.0), -142385009);
  assert.equal(murmur3Double(0.0), 1669671676);
  assert.equal(murmur3Double(-0.0), 1669671676);
  assert.equal(murmur3Double(Math.fround(1.0)), -142385009);
});

test('murmur3 over bytes handles every tail length and offsets', () => {
  const all = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  const seen = new Set<number>();
  for (let n = 0; n <= 16; n++) seen.add(murmur3Bytes(all, 0, n));
  assert.equal(seen.size, 17, 'each length hashes differently');
  // Hashing a window equals hashing a copy of it.
  for (let off = 0; off < 8; off++) {
    for (let n = 0; n < 13; n++) assert.equal(murmur3Bytes(all, off, n), murmur3Bytes(all.slice(off, off + n)));
  }
  // A long hashes as its 8 little-endian bytes.
  const dv = new DataView(new ArrayBuffer(8));
  for (const v of [0n, 1n, -1n, 34n, -34n, 2n ** 40n + 7n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)]) {
    dv.setBigInt64(0, v, true);
    assert.equal(murmur3Long(v), murmur3Bytes(new Uint8Array(dv.buffer)), `long ${v}`);
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(murmur3Long(Number(v)), murmur3Long(v));
  }
  assert.equal(murmur3Double(NaN), murmur3Long(0x7ff8000000000000n));
});

test('bucket hashes per source type match Appendix B', () => {
  assert.equal(bucketHash('int', 34), 2017239379);
  assert.equal(bucketHash('long', 34n), 2017239379);
  assert.equal(bucketHash('decimal(4, 2)', 1420n), -500754589); // 14.20
  assert.equal(bucketHash('date', days('2017-11-16')), -653330422);
  assert.equal(bucketHash('time', (22n * 3600n + 31n * 60n + 8n) * 1_000_000n), -662762989);
  assert.equal(bucketHash('timestamp', micros('2017-11-16T22:31:08Z')), -2047944441);
  assert.equal(bucketHash('timestamp', micros('2017-11-16T22:31:08Z') + 1n), -1207196810);
  assert.equal(bucketHash('timestamptz', micros('2017-11-16T14:31:08-08:00')), -2047944441);
  assert.equal(bucketHash('timestamptz', micros('2017-11-16T14:31:08-08:00') + 1n), -1207196810);
  assert.equal(bucketHash('timestamp_ns', micros('2017-11-16T22:31:08Z') * 1000n), -2047944441);
  assert.equal(bucketHash('timestamp_ns', micros('2017-11-16T22:31:08Z') * 1000n + 1001n), -1207196810);
  assert.equal(bucketHash('timestamptz_ns', micros('2017-11-16T14:31:08-08:00') * 1000n + 1001n), -1207196810);
  assert.equal(bucketHash('string', 'iceberg'), 1210000089);
  assert.equal(bucketHash('string', '34'), -427558391); // spec: "34" and 34 differ
  assert.equal(bucketHash('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'), 1488055340);
  assert.equal(bucketHash('uuid', 'F79C3E09-677C-4BBD-A479-3F349CB785E7'), 1488055340);
  const uuidBytes = new Uint8Array([0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd, 0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7]);
  assert.equal(bucketHash('uuid', uuidBytes), 1488055340);
  assert.equal(bucketHash('fixed[4]', new Uint8Array([0, 1, 2, 3])), -188683207);
  assert.equal(bucketHash('binary', new Uint8Array([0, 1, 2, 3])), -188683207);
});

test('bucket[N] is (hash & MAX_INT) % N, and int/long/number/bigint agree', () => {
  const hash = -653330422; // date 2017-11-16
  for (const n of [1, 2, 16, 100, 1000, 2147483647]) {
    assert.equal(applyTransform(`bucket[${n}]`, 'date', days('2017-11-16')), (hash & 0x7fffffff) % n);
  }
  const b16int = transformFn('bucket[16]', 'int');
  const b16long = transformFn('bucket[16]', 'long');
  let state = 12345;
  for (let i = 0; i < 500; i++) {
    state = (Math.imul(state, 1103515245) + 12345) | 0;
    const v = state;
    const r = b16int(v) as number;
    assert.ok(r >= 0 && r < 16);
    assert.equal(b16long(BigInt(v)), r);
    assert.equal(b16long(v), r);
  }
  assert.equal(applyTransform('bucket[16]', 'int', null), null);
  assert.equal(applyTransform('bucket[16]', 'string', undefined), null);
});

test("decimal hashing uses the minimal two's-complement big-endian bytes", () => {
  const cases: [bigint, number[]][] = [
    [0n, [0]],
    [1n, [1]],
    [127n, [0x7f]],
    [128n, [0, 0x80]],
    [255n, [0, 0xff]],
    [256n, [1, 0]],
    [-1n, [0xff]],
    [-128n, [0x80]],
    [-129n, [0xff, 0x7f]],
    [-256n, [0xff, 0]],
    [1420n, [0x05, 0x8c]],
    [2n ** 63n, [0, 0x80, 0, 0, 0, 0, 0, 0, 0]],
    [-(2n ** 63n), [0x80, 0, 0, 0, 0, 0, 0, 0]],
  ];
  for (const [v, bytes] of cases) assert.deepEqual([...minimalBigEndianBytes(v)], bytes, `${v}`);
  // Scale is not part of the hash: 14.20 and 1.420 hash the same.
  assert.equal(bucketHash('decimal(9,3)', 1420n), bucketHash('decimal(4,2)', 1420n));
});

test('string hashing: UTF-8 of code points; an unpaired surrogate hashes as "?" (Java getBytes)', () => {
  assert.equal(bucketHash('string', 'ü😀'), murmur3Bytes(utf8('ü😀')));
  assert.equal(bucketHash('string', 'a\uD800b'), murmur3Bytes(utf8('a?b')));
  assert.equal(bucketHash('string', '\uDC00'), murmur3Bytes(utf8('?')));
  const long = 'x'.repeat(5000) + 'é';
  assert.equal(bucketHash('string', long), murmur3Bytes(utf8(long)));
  // Random strings over all UTF-8 lengths, unpaired surrogates included, against
  // "replace unpaired surrogates by '?', encode, hash the bytes".
  const javaBytes = (x: string): Uint8Array => utf8(x.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '?'));
  let st = 1;
  const r = (): number => {
    st = (Math.imul(st, 1103515245) + 12345) >>> 0;
    return st / 2 ** 32;
  };
  for (let i = 0; i < 3000; i++) {
    let x = '';
    for (let j = Math.floor(r() * 20); j > 0; j--) {
      const k = r();
      x +=
        k < 0.4
          ? String.fromCharCode(32 + Math.floor(r() * 95))
          : k < 0.6
            ? String.fromCharCode(0x80 + Math.floor(r() * 0x780))
            : k < 0.75
              ? String.fromCharCode(0x800 + Math.floor(r() * 0xf7ff))
              : k < 0.95
                ? String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff))
                : String.fromCharCode(0xd800 + Math.floor(r() * 0x800));
    }
    assert.equal(bucketHash('string', x), murmur3Bytes(javaBytes(x)), JSON.stringify(x));
  }
});

test('truncate: spec examples and negatives', () => {
  assert.equal(applyTransform('truncate[10]', 'int', 1), 0);
  assert.equal(applyTransform('truncate[10]', 'int', -1), -10);
  assert.equal(applyTransform('truncate[10]', 'int', 10), 10);
  assert.equal(applyTransform('truncate[10]', 'int', -10), -10);
  assert.equal(applyTransform('truncate[10]', 'int', -11), -20);
  assert.equal(applyTransform('truncate[10]', 'long', 1n), 0n);
  assert.equal(applyTransform('truncate[10]', 'long', -1n), -10n);
  assert.equal(applyTransform('truncate[10]', 'long', -1), -10n, 'a number for long gives a bigint');
  assert.equal(applyTransform('truncate[7]', 'long', 9007199254740993n), 9007199254740993n - (9007199254740993n % 7n));
  // Java's int arithmetic wraps: MIN_VALUE - 2 overflows to MAX_VALUE - 1.
  assert.equal(applyTransform('truncate[10]', 'int', -2147483648), 2147483646);
  assert.equal(applyTransform('truncate[10]', 'long', -(2n ** 63n)), 2n ** 63n - 2n);
  // decimal W=50, scale 2: 10.65 → 10.50; negatives go down
  assert.equal(applyTransform('truncate[50]', 'decimal(9,2)', 1065n), 1050n);
  assert.equal(applyTransform('truncate[50]', 'decimal(9,2)', -1065n), -1100n);
  assert.equal(applyTransform('truncate[3]', 'string', 'iceberg'), 'ice');
  assert.equal(applyTransform('truncate[10]', 'string', 'iceberg'), 'iceberg');
  assert.deepEqual(applyTransform('truncate[3]', 'binary', new Uint8Array([1, 2, 3, 4, 5])), new Uint8Array([1, 2, 3]));
  assert.deepEqual(applyTransform('truncate[9]', 'binary', new Uint8Array([1, 2])), new Uint8Array([1, 2]));
});

test('truncate of strings counts code points, not UTF-16 units', () => {
  assert.equal(truncateString('😀😀😀', 2), '😀😀');
  assert.equal(truncateString('a😀b', 2), 'a😀');
  assert.equal(truncateString('äöü', 2), 'äö');
  assert.equal(truncateString('😀', 1), '😀');
  assert.equal(truncateString('\uD800x', 1), '\uD800', 'an unpaired surrogate is one code point');
  // Cross-check against the iterator's notion of code points.
  const s = 'ab😀c€d𝄞e';
  for (let w = 1; w <= 10; w++) assert.equal(applyTransform(`truncate[${w}]`, 'string', s), [...s].slice(0, w).join(''));
});

test('temporal transforms on known dates, including pre-1970', () => {
  const ts = micros('2017-12-01T10:12:55.038Z') + 194n;
  assert.equal(applyTransform('year', 'timestamp', ts), 47);
  assert.equal(applyTransform('month', 'timestamp', ts), 47 * 12 + 11);
  assert.equal(applyTransform('day', 'timestamp', ts), days('2017-12-01'));
  assert.equal(applyTransform('hour', 'timestamp', ts), days('2017-12-01') * 24 + 10);
  assert.equal(applyTransform('day', 'date', days('2017-12-01')), days('2017-12-01'));
  assert.equal(applyTransform('year', 'date', days('2017-12-01')), 47);
  assert.equal(applyTransform('month', 'date', days('2017-12-01')), 575);

  // One microsecond before the epoch is in year, month, day and hour -1.
  for (const t of ['year', 'month', 'day', 'hour']) {
    assert.equal(applyTransform(t, 'timestamptz', -1n), -1, t);
    assert.equal(applyTransform(t, 'timestamp_ns', -1n), -1, `${t} ns`);
  }
  assert.equal(applyTransform('year', 'date', -1), -1);
  assert.equal(applyTransform('month', 'date', -1), -1);
  assert.equal(applyTransform('year', 'date', days('1969-01-01')), -1);
  assert.equal(applyTransform('year', 'date', days('1968-12-31')), -2);
  assert.equal(applyTransform('month', 'date', days('1969-12-01')), -1);
  assert.equal(applyTransform('month', 'date', days('1969-11-30')), -2);
  assert.equal(applyTransform('day', 'timestamp', micros('1969-12-30T10:12:55Z')), -2);
  assert.equal(applyTransform('hour', 'timestamp', micros('1969-12-30T10:12:55Z')), -38);
  // Floor, also where Iceberg Java's convertMicros gives one less (see transforms.ts).
  assert.equal(applyTransform('day', 'timestamp', micros('1969-12-31T00:00:00Z') + 999_999n), -1);
  assert.equal(applyTransform('hour', 'timestamp', micros('1969-12-31T23:00:00Z') + 999_999n), -1);
  // Exactly on a boundary
  assert.equal(applyTransform('day', 'timestamp', micros('1969-12-31T00:00:00Z')), -1);
  assert.equal(applyTransform('day', 'timestamp', micros('1969-12-31T00:00:00Z') - 1n), -2);
  // Beyond the safe-integer range of numbers (nanos in 2300)
  const ns = micros('2300-06-15T12:00:00Z') * 1000n + 123n;
  assert.ok(ns > BigInt(Number.MAX_SAFE_INTEGER));
  assert.equal(applyTransform('day', 'timestamp_ns', ns), days('2300-06-15'));
  assert.equal(applyTransform('hour', 'timestamptz_ns', ns), days('2300-06-15') * 24 + 12);
  assert.equal(applyTransform('month', 'timestamp_ns', ns), (2300 - 1970) * 12 + 5);
  const mirrored = new Date(Number(-ns / 1_000_000n) - 1);
  assert.equal(applyTransform('year', 'timestamp_ns', -ns), mirrored.getUTCFullYear() - 1970);
  assert.equal(applyTransform('day', 'timestamp_ns', -ns), -days('2300-06-15') - 1);
});

test('temporal transforms agree with JavaScript Date for random instants in ±3000 years', () => {
  let state = 987654321;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const range = 3000 * 365.25 * 86_400_000;
  const fns = {
    year: transformFn('year', 'timestamp'),
    month: transformFn('month', 'timestamp'),
    day: transformFn('day', 'timestamp'),
    hour: transformFn('hour', 'timestamp'),
    dyear: transformFn('year', 'date'),
    dmonth: transformFn('month', 'date'),
  };
  for (let i = 0; i < 2000; i++) {
    const ms = Math.floor((rand() * 2 - 1) * range);
    const us = BigInt(ms) * 1000n + BigInt(Math.floor(rand() * 1000));
    const d = new Date(ms);
    const year = d.getUTCFullYear() - 1970;
    const month = year * 12 + d.getUTCMonth();
    const day = Math.floor(ms / 86_400_000);
    assert.equal(fns.year(us), year, `year of ${d.toISOString()}`);
    assert.equal(fns.month(us), month, `month of ${d.toISOString()}`);
    assert.equal(fns.day(us), day, `day of ${d.toISOString()}`);
    assert.equal(fns.hour(us), Math.floor(ms / 3_600_000), `hour of ${d.toISOString()}`);
    assert.equal(fns.dyear(day), year);
    assert.equal(fns.dmonth(day), month);
    const c = civilFromDays(day);
    assert.deepEqual([c.year, c.month, c.day], [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]);
    assert.equal(daysFromCivil(c.year, c.month, c.day), day);
  }
});

test('identity normalizes values and keeps null', () => {
  assert.equal(applyTransform('identity', 'long', 5), 5n);
  assert.equal(applyTransform('identity', 'long', 5n), 5n);
  assert.equal(applyTransform('identity', 'int', 5), 5);
  assert.equal(applyTransform('identity', 'uuid', 'F79C3E09-677C-4BBD-A479-3F349CB785E7'), 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  assert.equal(applyTransform('identity', 'string', 'x'), 'x');
  assert.equal(applyTransform('identity', 'boolean', false), false);
  assert.equal(applyTransform('identity', 'double', 1.5), 1.5);
  assert.equal(applyTransform('identity', 'string', null), null);
  assert.equal(applyTransform('void', 'string', 'x'), null);
  assert.equal(applyTransform('void', 'long', 1n), null);
});

test('wrong value representations are TypeErrors that say what was expected', () => {
  assert.throws(() => applyTransform('bucket[4]', 'int', 1.5), /bucket of int: expected a 32-bit integer number, got number 1.5/);
  assert.throws(() => applyTransform('bucket[4]', 'int', 2 ** 31), TypeError);
  assert.throws(() => applyTransform('day', 'timestamp', '2024-01-01'), /expected a bigint/);
  assert.throws(() => applyTransform('bucket[4]', 'uuid', 'not-a-uuid'), /UUID/);
  assert.throws(() => applyTransform('bucket[4]', 'binary', 'abc'), /Uint8Array/);
});

test('parseTransform, transformToString, canTransform and result types', () => {
  assert.deepEqual(parseTransform('bucket[16]'), { kind: 'bucket', numBuckets: 16 });
  assert.deepEqual(parseTransform('truncate[4]'), { kind: 'truncate', width: 4 });
  assert.deepEqual(parseTransform('Day'), { kind: 'day' });
  for (const s of ['identity', 'bucket[16]', 'truncate[4]', 'year', 'month', 'day', 'hour', 'void']) {
    assert.equal(transformToString(parseTransform(s)), s);
  }
  assert.throws(() => parseTransform('days'), /unknown partition transform "days"/);
  assert.throws(() => parseTransform('bucket'), /unknown partition transform/);
  assert.throws(() => parseTransform('bucket[0]'), /between 1 and 2147483647/);
  assert.throws(() => parseTransform('truncate[99999999999]'), /between 1 and/);
  assert.throws(() => parseTransform('zorder'), /unknown/);

  assert.equal(transformResultType('bucket[8]', 'string'), 'int');
  assert.equal(transformResultType('year', 'timestamptz'), 'int');
  assert.equal(transformResultType('month', 'date'), 'int');
  assert.equal(transformResultType('hour', 'timestamp_ns'), 'int');
  assert.equal(transformResultType('day', 'timestamp'), 'date');
  assert.equal(transformResultType('day', 'date'), 'date');
  assert.equal(transformResultType('truncate[3]', 'decimal(9, 2)'), 'decimal(9, 2)');
  assert.equal(transformResultType('identity', 'uuid'), 'uuid');
  assert.equal(transformResultType('void', 'string'), 'string');

  assert.equal(canTransform('hour', 'date'), false);
  assert.equal(canTransform('bucket[2]', 'float'), false);
  assert.equal(canTransform('bucket[2]', 'boolean'), false);
  assert.equal(canTransform('truncate[2]', 'fixed[4]'), false);
  assert.equal(canTransform('truncate[2]', 'uuid'), false);
  assert.equal(canTransform('identity', { type: 'list', 'element-id': 2, element: 'int', 'element-required': true }), false);
  assert.equal(canTransform('void', { type: 'list', 'element-id': 2, element: 'int', 'element-required': true }), true);
  assert.throws(() => transformResultType('day', 'string'), /transform day cannot be applied to type string/);
  assert.throws(() => transformFn('bucket[4]', 'double'), /bucket\[4\] cannot be applied to type double/);
});

test('human strings as Iceberg Java renders them', () => {
  // Values from Iceberg Java's own transform tests.
  assert.equal(humanString('identity', 'timestamptz', micros('2017-12-01T10:12:55.038-08:00') + 194n), '2017-12-01T18:12:55.038194+00:00');
  assert.equal(humanString('identity', 'timestamp', micros('2017-12-01T10:12:55.038Z') + 194n), '2017-12-01T10:12:55.038194');
  assert.equal(humanString('identity', 'binary', new Uint8Array([1, 2, 3])), 'AQID');
  assert.equal(humanString('identity', 'fixed[3]', new Uint8Array([1, 2, 3])), 'AQID');
  assert.equal(humanString('identity', 'long', -1234567890000n), '-1234567890000');
  assert.equal(humanString('identity', 'long', null), 'null');
  assert.equal(humanString('identity', 'date', days('2017-12-01')), '2017-12-01');
  const ts = applyTransform.bind(null);
  for (const [iso, y, m, d, h] of [
    ['2017-12-01T10:12:55.038Z', '2017', '2017-12', '2017-12-01', '2017-12-01-10'],
    ['1969-12-30T10:12:55.038Z', '1969', '1969-12', '1969-12-30', '1969-12-30-10'],
  ] as const) {
    const v = micros(iso) + 194n;
    assert.equal(humanString('year', 'timestamp', ts('year', 'timestamp', v)), y);
    assert.equal(humanString('month', 'timestamp', ts('month', 'timestamp', v)), m);
    assert.equal(humanString('day', 'timestamp', ts('day', 'timestamp', v)), d);
    assert.equal(humanString('hour', 'timestamp', ts('hour', 'timestamp', v)), h);
  }
  for (const [iso, y, m] of [
    ['1970-01-01', '1970', '1970-01'],
    ['1969-01-01', '1969', '1969-01'],
    ['1969-12-31', '1969', '1969-12'],
  ] as const) {
    assert.equal(humanString('year', 'date', ts('year', 'date', days(iso))), y);
    assert.equal(humanString('month', 'date', ts('month', 'date', days(iso))), m);
    assert.equal(humanString('day', 'date', ts('day', 'date', days(iso))), iso);
  }
  assert.equal(humanString('day', 'timestamp', null), 'null');
  assert.equal(humanString('bucket[4]', 'string', 3), '3');
  // java.time.LocalTime.toString for time values
  const t = (h: number, m: number, s: number, us: number): bigint => BigInt(((h * 60 + m) * 60 + s) * 1e6 + us);
  assert.equal(humanString('identity', 'time', t(22, 31, 8, 0)), '22:31:08');
  assert.equal(humanString('identity', 'time', t(22, 31, 0, 0)), '22:31');
  assert.equal(humanString('identity', 'time', t(22, 31, 8, 500_000)), '22:31:08.500');
  assert.equal(humanString('identity', 'time', t(22, 31, 8, 1)), '22:31:08.000001');
  // ISO_LOCAL_DATE_TIME keeps :00 seconds and trims fraction zeros
  assert.equal(humanString('identity', 'timestamp', micros('2024-01-02T03:04:00Z')), '2024-01-02T03:04:00');
  assert.equal(humanString('identity', 'timestamp', micros('2024-01-02T03:04:05.5Z')), '2024-01-02T03:04:05.5');
  assert.equal(humanString('identity', 'timestamp', micros('1969-12-31T23:59:59.999Z') + 999n), '1969-12-31T23:59:59.999999');
  assert.equal(humanString('identity', 'timestamptz_ns', micros('2024-01-02T03:04:05Z') * 1000n + 1n), '2024-01-02T03:04:05.000000001+00:00');
  // Years outside 0..9999 (java.time and %04d conventions)
  assert.equal(humanString('identity', 'timestamp', micros('+012345-01-01T00:00:00Z')), '+12345-01-01T00:00:00');
  assert.equal(humanString('year', 'date', -1971), '-001');
  assert.equal(humanString('identity', 'decimal(9,2)', -1420n), '-14.20');
  assert.equal(humanString('identity', 'uuid', 'F79C3E09-677C-4BBD-A479-3F349CB785E7'), 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  assert.equal(humanString('identity', 'boolean', true), 'true');
  assert.equal(humanString('truncate[3]', 'string', 'a/b'), 'a/b');
  assert.equal(humanString('void', 'string', null), 'null');
});

test('BigDecimal.toString and Double/Float.toString formats', () => {
  assert.equal(bigDecimalToString(1420n, 2), '14.20');
  assert.equal(bigDecimalToString(5n, 3), '0.005');
  assert.equal(bigDecimalToString(-5n, 3), '-0.005');
  assert.equal(bigDecimalToString(1n, 7), '1E-7');
  assert.equal(bigDecimalToString(12n, 9), '1.2E-8');
  assert.equal(bigDecimalToString(123n, 0), '123');
  assert.equal(bigDecimalToString(0n, 2), '0.00');
  assert.equal(javaFloatingToString(1, false), '1.0');
  assert.equal(javaFloatingToString(123456, false), '123456.0');
  assert.equal(javaFloatingToString(1e7, false), '1.0E7');
  assert.equal(javaFloatingToString(0.001, false), '0.001');
  assert.equal(javaFloatingToString(0.0001, false), '1.0E-4');
  assert.equal(javaFloatingToString(-1.5e-10, false), '-1.5E-10');
  assert.equal(javaFloatingToString(5e-324, false), '4.9E-324');
  assert.equal(javaFloatingToString(0.1, true), '0.1');
  assert.equal(javaFloatingToString(1e10, true), '1.0E10');
  assert.equal(javaFloatingToString(3.4028234663852886e38, true), '3.4028235E38');
  assert.equal(javaFloatingToString(-0, false), '-0.0');
  // Float.toString on JDK 25 (JDK 17's older algorithm prints more digits for some of these)
  assert.equal(javaFloatingToString(438939.625, true), '438939.62', 'a tie between two shortest forms goes to the even digit');
  assert.equal(javaFloatingToString(249942256, true), '2.4994226E8');
  assert.equal(javaFloatingToString(-4768238080, true), '-4.768238E9');
  assert.equal(javaFloatingToString(1.17549435e-38, true), '1.1754944E-38');
  assert.equal(javaFloatingToString(1.4e-45, true), '1.4E-45');
  assert.equal(javaFloatingToString(NaN, true), 'NaN');
});

test('java URL encoding', () => {
  assert.equal(javaUrlEncode('abc-XYZ_0.9*'), 'abc-XYZ_0.9*');
  assert.equal(javaUrlEncode('a b'), 'a+b');
  assert.equal(javaUrlEncode('a/b?c=d&e%'), 'a%2Fb%3Fc%3Dd%26e%25');
  assert.equal(javaUrlEncode('ü€😀'), '%C3%BC%E2%82%AC%F0%9F%98%80');
  assert.equal(javaUrlEncode('2017-12-01T18:12:55+00:00'), '2017-12-01T18%3A12%3A55%2B00%3A00');
  assert.equal(javaUrlEncode("~!'()"), '%7E%21%27%28%29');
});

test('partitionPath renders a tuple like PartitionSpec.partitionToPath', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'ts', required: true, type: 'timestamptz' },
      { id: 2, name: 'id', required: true, type: 'long' },
      { id: 3, name: 'name', required: false, type: 'string' },
      { id: 4, name: 'd', required: false, type: 'date' },
    ],
  };
  const spec: PartitionSpec = {
    'spec-id': 0,
    fields: [
      { 'source-id': 1, 'field-id': 1000, name: 'ts_day', transform: 'day' },
      { 'source-id': 2, 'field-id': 1001, name: 'id_bucket', transform: 'bucket[16]' },
      { 'source-id': 3, 'field-id': 1002, name: 'name_trunc', transform: 'truncate[4]' },
      { 'source-id': 1, 'field-id': 1003, name: 'ts', transform: 'identity' },
      { 'source-id': 4, 'field-id': 1004, name: 'd_month', transform: 'month' },
      { 'source-id': 1, 'field-id': 1005, name: 'ts hour', transform: 'hour' },
      { 'source-id': 3, 'field-id': 1006, name: 'name_null', transform: 'void' },
    ],
  };
  const ts = micros('2024-01-02T03:04:05Z');
  const values = spec.fields.map((f) => {
    const src = schema.fields.find((c) => c.id === f['source-id'])!;
    const input = { 1: ts, 2: 34n, 3: 'a b/c', 4: days('2023-07-09') }[src.id];
    return applyTransform(f.transform, src.type, input);
  });
  assert.equal(
    partitionPath(spec, schema, values),
    `ts_day=2024-01-02/id_bucket=${(2017239379 & 0x7fffffff) % 16}/name_trunc=a+b%2F/ts=2024-01-02T03%3A04%3A05%2B00%3A00/d_month=2023-07/ts+hour=2024-01-02-03/name_null=null`,
  );
  assert.equal(partitionPath({ 'spec-id': 1, fields: spec.fields.slice(0, 2) }, schema, [null, null]), 'ts_day=null/id_bucket=null');
  assert.equal(partitionPath({ 'spec-id': 0, fields: [] }, schema, []), '');
  assert.throws(() => partitionPath(spec, schema, [1]), /1 values, spec 0 has 7 fields/);
});
