import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonSchemaInferrer, isRfc3339DateTime } from '../../../src/schema/infer-json.ts';
import { SchemaFit, isTimestamptzText } from '../../../src/ingest/schema-fit.ts';
import { schemaFromJson } from '../../../src/iceberg/schema.ts';

function generator(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const TIMES = [
  '2026-12-02T10:00:00Z',
  '2026-12-02T10:00:00.123Z',
  '2026-12-02t10:00:00z',
  '2026-12-02 10:00:00+02:00',
  '2026-12-02T10:00:00.123456789-11:30',
  '2026-12-02T10:00:00.1234567890Z',
  '2026-12-02T10:00:00.Z',
  '2026-02-31T10:00:00Z',
  '2026-13-02T10:00:00Z',
  '2026-00-02T10:00:00Z',
  '2026-12-32T10:00:00Z',
  '2026-12-02T24:00:00Z',
  '2026-12-02T23:60:00Z',
  '2026-12-02T23:59:60Z',
  '2026-12-02T23:59:61Z',
  '2026-12-02T10:00:00+24:00',
  '2026-12-02T10:00:00+23:60',
  '2026-12-02T10:00:00+0200',
  '2026-12-02T10:00:00',
  '2026-12-02X10:00:00Z',
  '+2026-12-02T10:00:00Z',
  '2026-12-02T10:00:00Z ',
  '2026-1202T10:00:00ZZZ',
  '٢٠٢٦-12-02T10:00:00Z',
  'not a time',
];

/** A string like a timestamp with one character changed, dropped or added. */
function mutated(r: () => number): string {
  const s = TIMES[Math.floor(r() * TIMES.length)];
  const i = Math.floor(r() * (s.length + 1));
  const c = '0123456789-:.TZz+ tx'[Math.floor(r() * 20)];
  const k = r();
  return k < 0.2 ? s : k < 0.6 ? s.slice(0, i) + c + s.slice(i + 1) : k < 0.8 ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i);
}

test('isTimestamptzText is isRfc3339DateTime: listed and randomly changed texts', () => {
  for (const s of TIMES) assert.equal(isTimestamptzText(s), isRfc3339DateTime(s), s);
  const r = generator(7);
  for (let i = 0; i < 100_000; i++) {
    const s = mutated(r);
    assert.equal(isTimestamptzText(s), isRfc3339DateTime(s), s);
  }
});

const VALUES: unknown[] = [null, true, false, 0, 1, -7, 2.5, 1e300, 12345678901234567890n, 'text', '', ...TIMES, { a: 1 }, [1, 2], [], {}];

test('a row that fits changes nothing in the inferrer; rows that do not are left to it (random rows)', () => {
  const r = generator(99);
  const keys = ['a', 'b', 'c', 'ts', 'n', '__proto__'];
  let fitted = 0;
  for (let round = 0; round < 40; round++) {
    // a table's own (fixed) columns in half the rounds, types inferred from scratch in the others
    const base =
      round % 2 === 0
        ? undefined
        : schemaFromJson({
            type: 'struct',
            'schema-id': 0,
            fields: [
              { id: 1, name: 'a', type: 'long', required: false },
              { id: 2, name: 'b', type: 'double', required: false },
              { id: 3, name: 'ts', type: 'timestamptz', required: false },
              { id: 4, name: 'n', type: 'int', required: false },
            ],
          });
    const inf = new JsonSchemaInferrer(base);
    for (let i = 0; i < 2_000; i++) {
      const row: Record<string, unknown> = {};
      const n = Math.floor(r() * 4);
      for (let k = 0; k < n; k++)
        Object.defineProperty(row, keys[Math.floor(r() * keys.length)], { value: VALUES[Math.floor(r() * VALUES.length)], enumerable: true, configurable: true, writable: true });
      const fit = new SchemaFit(inf.schema());
      const before = inf.changes;
      const schemaBefore = JSON.stringify(inf.schema());
      if (fit.fits(row)) {
        fitted++;
        assert.equal(
          inf.add(row),
          undefined,
          JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
        );
        assert.equal(inf.changes, before);
        assert.equal(JSON.stringify(inf.schema()), schemaBefore);
      } else {
        inf.add(row);
      }
    }
  }
  assert.ok(fitted > 10_000, `only ${fitted} rows fitted: the test does not test much`);
});
