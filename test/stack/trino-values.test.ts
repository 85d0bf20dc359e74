// trino-values.ts (no server): Trino's JSON values in readers.ts's canonical forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTrinoValue, parseDataLossless, pythonFloatRepr, type TypeSignature } from '../helpers/trino-values.ts';

test("pythonFloatRepr prints what Python's repr() prints", () => {
  // left: the double, right: Python 3's repr of it
  const cases: [number, string][] = [
    [0.1, '0.1'],
    [1e16, '1e+16'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [123, '123.0'],
    [100, '100.0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-1e-300, '-1e-300'],
    [1234567890123456.8, '1234567890123456.8'],
    [12345678901234568, '1.2345678901234568e+16'],
    [0.30000000000000004, '0.30000000000000004'],
    [-2.5e-7, '-2.5e-07'],
    [-0, '-0.0'],
    [NaN, 'nan'],
    [-Infinity, '-inf'],
  ];
  assert.deepEqual(
    cases.map(([x]) => pythonFloatRepr(x)),
    cases.map(([, s]) => s),
  );
});

test('parseDataLossless keeps number text and key order', () => {
  const v = parseDataLossless('{"data": [[9223372036854775807, -1.5E3, "x\\"y", null, true, {"2": 1, "1": [], "": {}}]]}') as Map<string, unknown>;
  assert.deepEqual(v.get('data'), [
    [
      '9223372036854775807',
      '-1.5E3',
      'x"y',
      null,
      true,
      new Map<string, unknown>([
        ['2', '1'],
        ['1', []],
        ['', new Map()],
      ]),
    ],
  ]);
  assert.throws(() => parseDataLossless('[1,]'), /bad JSON/);
  assert.throws(() => parseDataLossless('[1] x'), /bad JSON/);
});

const sig = (rawType: string, ...args: TypeSignature[]): TypeSignature => ({ rawType, arguments: args.map((value) => ({ kind: 'TYPE', value })) });

test('canonicalTrinoValue follows the column type', () => {
  assert.equal(canonicalTrinoValue(sig('real'), '0.1'), '0.10000000149011612', 'real: the float32 widened');
  assert.equal(canonicalTrinoValue(sig('double'), 'Infinity'), 'inf');
  assert.equal(canonicalTrinoValue(sig('bigint'), '-9223372036854775808'), '-9223372036854775808');
  assert.equal(canonicalTrinoValue(sig('varbinary'), 'AP8='), '00ff');
  assert.equal(canonicalTrinoValue(sig('timestamp'), '0001-01-01 00:00:00.000001'), '0001-01-01T00:00:00.000001');
  assert.equal(canonicalTrinoValue(sig('timestamp with time zone'), '1969-12-31 23:59:59.999999 UTC'), '1969-12-31T23:59:59.999999+00:00');
  assert.throws(() => canonicalTrinoValue(sig('timestamp with time zone'), '2024-01-01 00:00:00.000000 Europe/Paris'), /not in UTC/);
  const map = sig('map', sig('varchar'), sig('double'));
  assert.deepEqual(
    canonicalTrinoValue(
      map,
      new Map([
        ['b', '1'],
        ['a', 'NaN'],
      ]),
    ),
    [
      ['b', '1.0'],
      ['a', 'nan'],
    ],
  );
  const row: TypeSignature = {
    rawType: 'row',
    arguments: [
      { kind: 'NAMED_TYPE', value: { fieldName: { name: 'x' }, typeSignature: sig('double') } },
      { kind: 'NAMED_TYPE', value: { fieldName: { name: 'tags' }, typeSignature: sig('array', sig('varchar')) } },
    ],
  };
  assert.deepEqual(canonicalTrinoValue(sig('array', row), [['-0.0', ['a', null]], null]), [{ x: '-0.0', tags: ['a', null] }, null]);
  assert.equal(canonicalTrinoValue(sig('boolean'), false), 'false');
  assert.equal(canonicalTrinoValue(sig('uuid'), null), null);
});
