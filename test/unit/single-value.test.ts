import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  toSingleValue,
  fromSingleValue,
  bigIntToMinimalBytes,
  bigIntFromBytes,
  parseDecimalString,
  formatDecimal,
  truncateStringLower,
  truncateStringUpper,
  truncateUtf8Upper,
  truncateBinaryUpper,
  truncateBinaryLower,
} from '../../src/iceberg/single-value.ts';
import type { IcebergType } from '../../src/iceberg/types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('known byte vectors from the spec', () => {
  assert.equal(hex(toSingleValue('long', 1n)), '0100000000000000');
  assert.equal(hex(toSingleValue('long', 1)), '0100000000000000');
  assert.equal(hex(toSingleValue('int', 1)), '01000000');
  assert.equal(hex(toSingleValue('int', -2)), 'feffffff');
  assert.equal(hex(toSingleValue('date', 19000)), Buffer.from([0x38, 0x4a, 0, 0]).toString('hex'));
  assert.equal(hex(toSingleValue('decimal(10, 2)', '14.20')), '058c');
  assert.equal(hex(toSingleValue('decimal(10,2)', 1420n)), '058c');
  assert.equal(hex(toSingleValue('decimal(10, 2)', '-0.01')), 'ff');
  assert.equal(hex(toSingleValue('decimal(10, 2)', '1.28')), '0080');
  assert.equal(hex(toSingleValue('decimal(10, 2)', '0')), '00');
  assert.equal(hex(toSingleValue('boolean', true)), '01');
  assert.equal(hex(toSingleValue('boolean', false)), '00');
  assert.equal(hex(toSingleValue('float', 1)), '0000803f');
  assert.equal(hex(toSingleValue('double', 1)), '000000000000f03f');
  assert.equal(hex(toSingleValue('string', 'iceberg')), Buffer.from('iceberg').toString('hex'));
  assert.equal(hex(toSingleValue('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7')), 'f79c3e09677c4bbda4793f349cb785e7');
  assert.equal(hex(toSingleValue('timestamptz', -1n)), 'ffffffffffffffff');
  assert.equal(hex(toSingleValue('fixed[3]', Uint8Array.of(1, 2, 3))), '010203');
});

test('round trips for every primitive', () => {
  const cases: [IcebergType, unknown][] = [
    ['boolean', true],
    ['int', -2147483648],
    ['int', 2147483647],
    ['long', -(2n ** 63n)],
    ['long', 2n ** 63n - 1n],
    ['date', -719162],
    ['time', 86399999999n],
    ['timestamp', 1700000000000000n],
    ['timestamptz', -5n],
    ['timestamp_ns', 1700000000000000123n],
    ['float', 1.5],
    ['float', -Infinity],
    ['double', Math.PI],
    ['double', -0],
    ['string', 'héllo 🌍'],
    ['string', ''],
    ['uuid', '00000000-0000-0000-0000-0000000000ff'],
    ['fixed[4]', Uint8Array.of(0, 255, 1, 2)],
    ['binary', Uint8Array.of()],
    ['decimal(38, 0)', 10n ** 38n - 1n],
    ['decimal(38, 10)', -(10n ** 38n - 1n)],
    ['decimal(9, 2)', 1420n],
  ];
  for (const [t, v] of cases) {
    const back = fromSingleValue(t, toSingleValue(t, v));
    assert.deepEqual(back, v, `${t} ${String(v)}`);
  }
  assert.ok(Number.isNaN(fromSingleValue('double', toSingleValue('double', NaN)) as number));
});

test("minimal two's complement", () => {
  const cases: [bigint, string][] = [
    [0n, '00'],
    [1n, '01'],
    [127n, '7f'],
    [128n, '0080'],
    [-128n, '80'],
    [-129n, 'ff7f'],
    [255n, '00ff'],
    [256n, '0100'],
    [-256n, 'ff00'],
    [32767n, '7fff'],
    [32768n, '008000'],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(bigIntToMinimalBytes(v)), h, String(v));
    assert.equal(bigIntFromBytes(Buffer.from(h, 'hex')), v);
  }
});

test('decimal strings: exact or rejected', () => {
  assert.equal(parseDecimalString('-12.30', 2), -1230n);
  assert.equal(parseDecimalString('5', 2), 500n);
  assert.equal(parseDecimalString('.5', 2), 50n);
  assert.equal(parseDecimalString('1.500', 2), 150n);
  assert.throws(() => parseDecimalString('1.234', 2), /more than 2 fraction digits/);
  assert.throws(() => parseDecimalString('abc', 2), /not a decimal/);
  assert.throws(() => parseDecimalString('1e3', 2), /not a decimal/);
  assert.equal(formatDecimal(1420n, 2), '14.20');
  assert.equal(formatDecimal(-5n, 3), '-0.005');
  assert.equal(formatDecimal(7n, 0), '7');
});

test('wrong shapes are rejected', () => {
  assert.throws(() => toSingleValue('int', 2 ** 31), /int32/);
  assert.throws(() => toSingleValue('long', 1.5), /bigint or safe integer/);
  assert.throws(() => toSingleValue('uuid', 'nope'), /not a UUID/);
  assert.throws(() => toSingleValue({ type: 'list', 'element-id': 1, element: 'int', 'element-required': true }, []), /primitive/);
  assert.throws(() => fromSingleValue('long', new Uint8Array(4)), /8 bytes/);
});

test('string truncation: lower is a prefix, upper increments the last code point', () => {
  assert.equal(truncateStringLower('abcdef', 3), 'abc');
  assert.equal(truncateStringUpper('abcdef', 3), 'abd');
  assert.equal(truncateStringUpper('abc', 3), 'abc');
  // a code point outside the BMP counts as one
  assert.equal(truncateStringLower('a🌍bc', 2), 'a🌍');
  assert.equal(truncateStringUpper('a🌍bc', 2), 'a🌎');
  // the highest code point cannot be incremented: the previous one is
  assert.equal(truncateStringUpper('a\u{10FFFF}bc', 2), 'b');
  assert.equal(truncateStringUpper('\u{10FFFF}\u{10FFFF}x', 2), undefined);
  // incrementing into the surrogate range skips it
  assert.equal(truncateStringUpper('a\uD7FFz', 2), 'a\uE000');
  const s = 'x'.repeat(20);
  assert.equal(Buffer.from(truncateUtf8Upper(Buffer.from(s), 16)!).toString(), 'x'.repeat(15) + 'y');
});

test('binary truncation', () => {
  assert.deepEqual(truncateBinaryLower(Uint8Array.of(1, 2, 3), 2), Uint8Array.of(1, 2));
  assert.deepEqual(truncateBinaryUpper(Uint8Array.of(1, 2, 3), 2), Uint8Array.of(1, 3));
  assert.deepEqual(truncateBinaryUpper(Uint8Array.of(1, 255, 3), 2), Uint8Array.of(2));
  assert.equal(truncateBinaryUpper(Uint8Array.of(255, 255, 3), 2), undefined);
  assert.deepEqual(truncateBinaryUpper(Uint8Array.of(1, 2), 2), Uint8Array.of(1, 2));
});
