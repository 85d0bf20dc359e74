// RecordBatchBuilder.appendJson (plain JSON text straight into the columns) gives exactly the
// batch that decodePlainJson then append gives: random records over the column types JSON can
// fill (nested structs, lists, lists of structs, maps, nulls, decimals, timestamps, uuids, dates),
// with awkward text (escapes, non-ASCII, white space, exponents, -0, long integers) and records
// that must be refused or left to the object path (wrong kinds, unknown and duplicate keys,
// missing required fields, bad UTF-8, not JSON). A record appendJson declines is run through
// decode-then-append, as the worker does, and must then fail or land exactly as it would have
// without appendJson. A record appendJson takes is one a schema inferrer seeded with the table's
// schema takes without growing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { appendFrame } from '../../src/batch/append-frame.ts';
import { decodePlainJson, plainJsonFrame } from '../../src/decode/record-decoder.ts';
import { assignFreshIds } from '../../src/iceberg/schema.ts';
import type { FieldSpec, TypeSpec } from '../../src/iceberg/schema.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { withKafkaMetadataColumns } from '../../src/schema/kafka-metadata.ts';
import { JsonSchemaInferrer } from '../../src/schema/infer-json.ts';
import { utf8Valid } from '../../src/batch/json-append.ts';
import { isUtf8 } from 'node:buffer';
import { rng } from '../helpers/rng.ts';

const f = (name: string, type: TypeSpec, required = false): FieldSpec => ({ name, type, required });
const list = (element: TypeSpec, required = false): TypeSpec => ({ type: 'list', element, 'element-required': required });
const struct = (...fields: FieldSpec[]): TypeSpec => ({ type: 'struct', fields });

const SPEC: FieldSpec[] = [
  f('id', 'long', true),
  f('name', 'string'),
  f('n', 'int'),
  f('amount', 'double'),
  f('ratio', 'float'),
  f('ok', 'boolean'),
  f('ts', 'timestamptz'),
  f('tl', 'timestamp'),
  f('day', 'date'),
  f('at', 'time'),
  f('dec', 'decimal(9, 2)'),
  f('big', 'decimal(24, 4)'),
  f('u', 'uuid'),
  f('tags', list('string')),
  f('nums', list('long', true)),
  f('addr', struct(f('city', 'string'), f('zip', 'int', true), f('geo', struct(f('lat', 'double'), f('lon', 'double'))))),
  f('items', list(struct(f('sku', 'string', true), f('qty', 'long'), f('price', 'decimal(18, 4)'), f('flags', list('boolean'))))),
  f('attrs', { type: 'map', key: 'string', value: 'string', 'value-required': false }),
  f('blob', 'binary'),
  f('we"ird\\name', 'string'), // a name JSON writes escaped
  f('ünï', 'int'),
];
const TABLE: Schema = assignFreshIds(SPEC).schema;
const META = ['_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp', '_kafka_key', '_kafka_headers'];
const TABLE_META: Schema = withKafkaMetadataColumns(TABLE, { key: 'binary', headers: true });

const STRINGS = ['', 'a', 'plain text', 'quote " inside', 'back\\slash', 'tab\there', 'é', 'naïve café', '日本語', '🙂 emoji', '\u0001', '\ud800', 'line\nbreak', '/slash'];

/** JSON text of a string: escaped as JSON.stringify does, or with some characters as \u escapes. */
function str(r: () => number, s: string): string {
  const j = JSON.stringify(s);
  if (r() < 0.2) return j.replace(/[a-z]/g, (c) => (r() < 0.3 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c));
  return j;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** Per primitive type: values it takes, values it refuses (or that are left to the object path). */
const PRIMITIVES: Record<string, [string[], string[]]> = {
  long: [
    ['0', '-7', '9007199254740991', '1.0', '3e2', '-0'],
    ['9007199254740993', '1.5', '"1"', '12345678901234567890'],
  ],
  int: [
    ['0', '-2147483648', '2147483647'],
    ['2147483648', '1.5', 'true'],
  ],
  double: [
    ['0.30000000000000004', '1e5', '-0', '1.0', '5', '1.7976931348623157e308', '5e-324', '123456789012345678', '2.5E-3'],
    ['"1.5"', '1e400', '1e-400', '12345678901234567890123'],
  ],
  float: [
    ['0.5', '-0', '3', '1e-3'],
    ['"x"', '1e400'],
  ],
  boolean: [
    ['true', 'false'],
    ['1', '"true"'],
  ],
  string: [[], ['1', 'true', '[]', '{}']],
  timestamptz: [
    ['"2026-01-01T00:00:00Z"', '"2026-06-30T12:34:56.789+02:00"', '1767225600000000'],
    ['"2026-06-30T12:34:56.7891234Z"', '"2026-01-01T00:00:00"', '1.5'],
  ],
  timestamp: [['"2026-01-01T00:00:00"', '"2026-06-30 12:34:56.789"', '1767225600000000'], ['"2026-01-01T00:00:00Z"']],
  date: [
    ['"2026-02-28"', '"2024-02-29"', '20000'],
    ['"2026-02-29"', '"26-1-1"', '1.5'],
  ],
  time: [
    ['"12:34:56"', '"23:59:59.999999"', '3600000000'],
    ['"24:00:00"', '-1'],
  ],
  decimal: [
    ['"12.34"', '12.5', '-0.01', '0', '"99999999.9"', '1e3'],
    ['"1.234"', '"99999999999999999999999.9999"', '1e30', 'true'],
  ],
  uuid: [
    ['"0f8fad5b-d9cb-469f-a165-70867728950e"', '"0F8FAD5B-D9CB-469F-A165-70867728950E"'],
    ['"not-a-uuid"', '12'],
  ],
  binary: [[], ['"AAEC"']],
};

/**
 * Key order of generated objects: 'shuffled' (any order), or 'ordered': the table's order (the
 * order the compiled reader tries first) with, at probability `odd`, one pair swapped.
 */
let keyOrder: 'shuffled' | 'ordered' = 'shuffled';

/** A JSON value text for a column of type t; with probability `odd` something awkward or wrong. */
function gen(r: () => number, t: TypeSpec | Schema, odd: number, depth = 0): string {
  if (r() < odd) {
    return pick(r, [
      '"x"',
      '12',
      '-0',
      '1.5',
      'true',
      '[]',
      '{}',
      'null',
      '1e400',
      '1e-400',
      '12345678901234567890',
      '9007199254740993',
      '9007199254740991',
      '1E2',
      '0.1e1',
      '"2026-13-01"',
      '01',
      '[1,]',
      '{"a":1}',
      'nul',
      '"\\x"',
      '"unterminated',
      '2.5e-3',
      '-',
      '"12.345"',
    ]);
  }
  if (typeof t === 'string') {
    const [good, bad] = PRIMITIVES[t.replace(/\(.*/, '')] ?? PRIMITIVES[t];
    if (t === 'string') return str(r, pick(r, STRINGS));
    if (t === 'int') return String(Math.floor((r() - 0.5) * 4e6));
    if (t === 'long' && r() < 0.5) return String(Math.floor((r() - 0.5) * 2e12));
    if ((t === 'double' || t === 'float') && r() < 0.5) return String((r() - 0.5) * 1000);
    return r() < odd ? pick(r, bad) : pick(r, good);
  }
  if (t.type === 'list') {
    const n = depth > 3 ? 0 : Math.floor(r() * 4);
    const els = Array.from({ length: n }, () => ((!t['element-required'] || r() < odd) && r() < 0.1 ? 'null' : gen(r, t.element, odd, depth + 1)));
    return `[${els.join(r() < 0.3 ? ' , ' : ',')}]`;
  }
  if (t.type === 'map') {
    if (r() < 0.5) return '{}';
    const key = (i: number): string => (r() < odd ? pick(r, ['"1"', '"k0"', '"__proto__"', '"0"']) : str(r, `k${i}${pick(r, STRINGS)}`));
    return `{${Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => `${key(i)}:${r() < 0.1 ? 'null' : gen(r, t.value, odd, depth + 1)}`).join(',')}}`;
  }
  const parts: string[] = [];
  for (const fl of t.fields) {
    if (META.includes(fl.name)) continue;
    if (fl.type === 'binary' && r() >= odd) continue; // JSON has no bytes: left out but for odd records
    const optional = !fl.required || r() < odd;
    if (optional && r() < 0.15) continue; // missing
    const v = optional && r() < 0.1 ? 'null' : gen(r, fl.type, odd, depth + 1);
    parts.push(`${r() < 0.05 ? str(r, fl.name) : JSON.stringify(fl.name)}${r() < 0.2 ? ' : ' : ':'}${v}`);
  }
  if (r() < odd) parts.push(`"unknown":${gen(r, 'string', 0)}`);
  if (r() < odd && parts.length > 0) parts.push(pick(r, parts)); // a key twice
  if (r() < odd && depth === 0) parts.push(`${JSON.stringify(pick(r, META))}:"x"`);
  if (keyOrder === 'shuffled') {
    for (let i = parts.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
  } else if (r() < odd && parts.length > 1) {
    const i = Math.floor(r() * (parts.length - 1));
    [parts[i], parts[i + 1]] = [parts[i + 1], parts[i]];
  }
  return `{${parts.join(r() < 0.2 ? ',\n ' : ',')}}`;
}

const enc = new TextEncoder();

/** One record's bytes: mostly a generated object, sometimes text that is not one. */
function record(r: () => number, table: Schema, odd: number): Uint8Array {
  let text = gen(r, table, odd);
  if (r() < odd) text = pick(r, [`${text} x`, `[${text}]`, '"just a string"', '42', 'null', `${text.slice(0, -1)}`, `\ufeff${text}`, `  ${text}\n`]);
  const bytes = enc.encode(text);
  if (r() < odd / 2) {
    // bytes that are not UTF-8 after a quote: mostly inside a string (a key or a value)
    const quotes = bytes.reduce<number[]>((at, x, i) => (x === 0x22 ? [...at, i] : at), []);
    if (quotes.length > 0) {
      const at = Math.min(bytes.length, pick(r, quotes) + 1 + (r() < 0.5 ? 0 : 1));
      const bad = pick(r, [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]]);
      const out = new Uint8Array(bytes.length + bad.length);
      out.set(bytes.subarray(0, at));
      out.set(bad, at);
      out.set(bytes.subarray(at), at + bad.length);
      return out;
    }
  }
  if (r() < odd / 2 && bytes.length > 2) {
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes);
    out[bytes.length - 1] = 0xff; // not UTF-8
    out[bytes.length] = 0x7d;
    return out;
  }
  return bytes;
}

function metaValues(i: number): unknown[] {
  return ['events', i % 3, BigInt(i), 1767225600000000 + i, i % 4 === 0 ? null : enc.encode(`k${i}`), new Map(i % 2 ? [['h', enc.encode('v')]] : [])];
}

function objectPath(b: RecordBatchBuilder, bytes: Uint8Array, extras: unknown[] | undefined, vet?: (v: Record<string, unknown>) => Error | undefined): string | undefined {
  try {
    const value = decodePlainJson(bytes);
    const refused = vet?.(value);
    if (refused) throw refused;
    b.append(value, extras);
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

/** The same texts through both builders; equal outcomes per record, equal batches. */
function compare(table: Schema, opts: { extras: boolean; n: number; seed: number; odd: number }): Run {
  const r = rng(opts.seed);
  const extraColumns = opts.extras ? META : [];
  const a = new RecordBatchBuilder(table, 't', { extraColumns });
  const b = new RecordBatchBuilder(table, 't', { extraColumns });
  const run: Run = { direct: 0, declined: 0, failed: [] };
  for (let i = 0; i < opts.n; i++) {
    const bytes = record(r, table, opts.odd);
    const extras = opts.extras ? metaValues(i) : undefined;
    const want = objectPath(a, bytes, extras);
    if (b.appendJson(bytes, 0, extras)) {
      run.direct++;
      assert.equal(want, undefined, `record ${i}: appendJson took a record decode-then-append rejects: ${new TextDecoder().decode(bytes)}`);
      // and a schema inferrer seeded with the table takes it without growing
      const inf = new JsonSchemaInferrer(table, { reserved: new Set(extraColumns) });
      assert.equal(inf.add(decodePlainJson(bytes)), undefined, `record ${i}: the inferrer refuses a record appendJson took`);
      assert.equal(inf.changes, 0, `record ${i}: the inferrer grows on a record appendJson took: ${new TextDecoder().decode(bytes)}`);
    } else {
      run.declined++;
      assert.equal(objectPath(b, bytes, extras), want, `record ${i}: ${new TextDecoder().decode(bytes)}`);
      if (want !== undefined) run.failed.push(want);
    }
    assert.equal(b.rowCount, a.rowCount);
    if (i % 97 === 96) assert.deepEqual(b.finish(), a.finish(), `batch ending at record ${i}`);
  }
  assert.deepEqual(b.finish(), a.finish());
  return run;
}

test('appendJson: random records without awkward values go straight in, equal to decode-then-append', () => {
  const run = compare(TABLE, { extras: false, n: 2000, seed: 1, odd: 0 });
  assert.ok(run.direct > 1500, `direct ${run.direct}`); // the rest: a required id left out
});

test('appendJson: awkward and wrong records, with metadata extra columns; declined records fail with the same reasons', () => {
  const run = compare(TABLE_META, { extras: true, n: 6000, seed: 2, odd: 0.05 });
  assert.ok(run.direct > 500, `direct ${run.direct}`);
  assert.ok(run.declined > 500, `declined ${run.declined}`);
  const reasons = run.failed.join('\n');
  assert.match(reasons, /DecodeError: invalid-payload: not JSON/);
  assert.match(reasons, /not valid UTF-8/);
  assert.match(reasons, /ValueError: table t, column "id": expected long, got null \(required\)|column "id"/);
});

test('appendJson: many seeds, no metadata columns, some odd values', () => {
  for (let seed = 10; seed < 40; seed++) compare(TABLE, { extras: false, n: 300, seed, odd: 0.03 });
});

test('appendJson: keys in the table order (the in-order reader), with swapped, missing, repeated, unknown and escaped keys', () => {
  keyOrder = 'ordered';
  try {
    const clean = compare(TABLE, { extras: false, n: 1500, seed: 41, odd: 0 });
    assert.ok(clean.direct > 1000, `direct ${clean.direct}`);
    const odd = compare(TABLE_META, { extras: true, n: 4000, seed: 42, odd: 0.04 });
    assert.ok(odd.declined > 300, `declined ${odd.declined}`);
    for (let seed = 43; seed < 63; seed++) compare(TABLE, { extras: false, n: 300, seed, odd: 0.03 });
  } finally {
    keyOrder = 'shuffled';
  }
});

test('appendJson: keys out of order, repeated after the in-order run, or only partly like a field name', () => {
  const table = assignFreshIds([f('a', 'long'), f('ab', 'string'), f('s', struct(f('x', 'int'), f('y', 'int', true))), f('z', 'boolean')]).schema;
  const texts = [
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":true}',
    '{"ab":"x","a":1,"s":{"y":2,"x":1},"z":true}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":true,"a":2}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":true,"z":false}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2,"x":3},"z":true}',
    '{"a":1,"ab":"x","s":{"y":2,"y":3},"z":true}',
    '{"a":1,"abc":"x"}',
    '{"a":1,"a":"x"}',
    '{"ab":"x","ab":"y"}',
    '{"a":1,"s":{"x":1}}',
    '{"a":1,"s":{"y":1}}',
    '{"s":{"y":1},"a":1}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":true,"q":1}',
    '{"\u0061":1,"a\u0062":"x"}',
    '{"a" : 1 , "ab" : "x" , "s" : { "x" : 1 , "y" : 2 } , "z" : true }',
    '{"a":1,"ab":"x","s":{},"z":true}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":true',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":true}}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":tru}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":nul}',
    '{"a":1,"ab":"x","s":{"x":1,"y":2},"z":null,}',
    '{}',
    '{"a":-0,"ab":"","s":null}',
  ];
  const a = new RecordBatchBuilder(table, 't');
  const b = new RecordBatchBuilder(table, 't');
  const took: boolean[] = [];
  for (const text of texts) {
    const bytes = enc.encode(text);
    const want = objectPath(a, bytes, undefined);
    const direct = b.appendJson(bytes, 0);
    took.push(direct);
    if (direct) assert.equal(want, undefined, text);
    else assert.equal(objectPath(b, bytes, undefined), want, text);
  }
  assert.deepEqual(b.finish(), a.finish());
  // taken: in order, out of order, an optional x missing, escaped keys, spaced, {} and nulls
  assert.deepEqual(
    took.map((t, i) => (t ? i : -1)).filter((i) => i >= 0),
    [0, 1, 10, 11, 13, 14, 21, 22],
  );
});

test('appendJson: timestamps read from their bytes as the timestamp writer reads the string', () => {
  const table = assignFreshIds([f('tz', 'timestamptz'), f('t', 'timestamp'), f('tzn', 'timestamptz_ns'), f('tn', 'timestamp_ns')]).schema;
  const r = rng(11);
  const a = new RecordBatchBuilder(table, 't');
  const b = new RecordBatchBuilder(table, 't');
  const dd = (lo: number, hi: number): string => String(lo + Math.floor(r() * (hi - lo + 1))).padStart(2, '0');
  let direct = 0;
  for (let i = 0; i < 20000; i++) {
    const year = pick(r, ['1970', '2026', '2024', '1900', '2000', '0001', '9999', '1600', '0000', '275760', '20x6']);
    const date = `${year}-${dd(r() < 0.95 ? 1 : 0, r() < 0.95 ? 12 : 13)}-${dd(r() < 0.95 ? 1 : 0, r() < 0.9 ? 28 : 32)}`;
    const time = `${dd(0, r() < 0.95 ? 23 : 24)}:${dd(0, r() < 0.95 ? 59 : 60)}:${dd(0, r() < 0.95 ? 59 : 60)}`;
    const digits = pick(r, [0, 0, 1, 3, 6, 7, 9, 10]);
    const frac = digits === 0 ? pick(r, ['', '', '.']) : `.${Array.from({ length: digits }, () => (r() < 0.3 ? '0' : String(Math.floor(r() * 10)))).join('')}`;
    const zone = pick(r, ['', 'Z', 'z', '+02:00', '-05:30', '+23:59', '+24:00', '+0200', '-00:00', 'Z ', '+02:60']);
    const sep = pick(r, ['T', 'T', 't', ' ', '_']);
    const s = `${date}${sep}${time}${frac}${zone}`;
    const texts = r() < 0.05 ? JSON.stringify(s).replace('T', '\u0054') : JSON.stringify(s);
    const text = `{${pick(r, ['"tz"', '"t"', '"tzn"', '"tn"'])}:${texts}}`;
    const bytes = enc.encode(text);
    const want = objectPath(a, bytes, undefined);
    if (b.appendJson(bytes, 0)) {
      direct++;
      assert.equal(want, undefined, text);
    } else assert.equal(objectPath(b, bytes, undefined), want, text);
  }
  assert.deepEqual(b.finish(), a.finish());
  assert.ok(direct > 1500, `direct ${direct}`);
});

test('utf8Valid agrees with isUtf8 on random byte runs', () => {
  const r = rng(5);
  const pieces = [
    [0x41],
    [0x7f],
    [0x80],
    [0xbf],
    [0xc0, 0x80],
    [0xc1, 0xbf],
    [0xc2, 0x80],
    [0xdf, 0xbf],
    [0xe0, 0x9f, 0x80],
    [0xe0, 0xa0, 0x80],
    [0xed, 0x9f, 0xbf],
    [0xed, 0xa0, 0x80],
    [0xef, 0xbf, 0xbf],
    [0xf0, 0x8f, 0x80, 0x80],
    [0xf0, 0x90, 0x80, 0x80],
    [0xf4, 0x8f, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80, 0x80, 0x80],
    [0xff],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0x99],
  ];
  for (let i = 0; i < 50000; i++) {
    const bytes: number[] = [];
    const k = 1 + Math.floor(r() * 5);
    for (let j = 0; j < k; j++) bytes.push(...(r() < 0.2 ? [Math.floor(r() * 256)] : pick(r, pieces)));
    const u = Uint8Array.from([0x22, ...bytes, 0x22]);
    assert.equal(utf8Valid(u, 1, u.length - 1), isUtf8(u.subarray(1, u.length - 1)), bytes.join(','));
  }
});

test('appendJson: exact texts', () => {
  const b = new RecordBatchBuilder(TABLE, 't');
  const ok = (text: string) => b.appendJson(enc.encode(text), 0);
  assert.equal(ok('{"id":1}'), true);
  assert.equal(ok(' \n{ "id" : 2 , "name" : "x\\"y" , "tags" : [ "a" , null ] }\t'), true);
  assert.equal(ok('{"id":1,"id":2}'), false, 'a key twice: JSON.parse keeps the last');
  assert.equal(ok('{"id":1,"other":2}'), false, 'a key the table lacks');
  assert.equal(ok('{"id":9007199254740993}'), false, 'a bigint there');
  assert.equal(ok('{"id":1,"attrs":{"a":"b","c":null}}'), true);
  assert.equal(ok('{"id":1,"attrs":{"b":"x","1":"y"}}'), false, 'an integer-like key comes first in an object');
  assert.equal(ok('{"id":1,"attrs":{"a":"x","a":"y"}}'), false, 'a map key twice');
  assert.equal(ok('{"id":1,"attrs":null}'), true);
  assert.equal(ok('{"name":"x"}'), false, 'a required column missing');
  assert.equal(ok('{"id":1}{}'), false);
  assert.equal(ok('[{"id":1}]'), false);
  assert.equal(b.rowCount, 4);
});

test('appendFrame: a plain JSON frame goes straight in where the batch can, and as an object where it cannot', () => {
  const a = new RecordBatchBuilder(TABLE_META, 't', { extraColumns: META });
  const b = new RecordBatchBuilder(TABLE_META, 't', { extraColumns: META });
  const vet = (v: Record<string, unknown>): Error | undefined => (Object.hasOwn(v, '_kafka_topic') ? new Error('reserved') : undefined);
  const texts = ['{"id":1,"name":"a"}', '{"id":2,"_kafka_topic":"x"}', '{"id":3,"other":1}', '{"id":"x"}', 'nope'];
  texts.forEach((t, i) => {
    const extras = metaValues(i);
    const bytes = enc.encode(t);
    const want = objectPath(a, bytes, extras, vet);
    let got: string | undefined;
    try {
      appendFrame(b, plainJsonFrame(bytes), extras, vet);
    } catch (e) {
      got = `${(e as Error).name}: ${(e as Error).message}`;
    }
    assert.equal(got, want, t);
  });
  assert.deepEqual(b.finish(), a.finish());
});

test('appendJson: decimal numbers read as JSON.parse reads them (random digits, fractions, exponents, signs)', () => {
  const table = assignFreshIds([f('d', 'double'), f('n', 'long')]).schema;
  const r = rng(7);
  const a = new RecordBatchBuilder(table, 't');
  const b = new RecordBatchBuilder(table, 't');
  for (let i = 0; i < 20000; i++) {
    const digits = (k: number): string => Array.from({ length: k }, () => Math.floor(r() * 10)).join('');
    const int = r() < 0.3 ? '0' : String(1 + Math.floor(r() * 9)) + digits(Math.floor(r() * 12));
    const frac = r() < 0.8 ? `.${digits(1 + Math.floor(r() * 18))}` : '';
    const exp = r() < 0.15 ? `e${r() < 0.5 ? '-' : '+'}${Math.floor(r() * 30)}` : '';
    const text = `{"d":${r() < 0.3 ? '-' : ''}${int}${frac}${exp}}`;
    const bytes = enc.encode(text);
    const want = objectPath(a, bytes, undefined);
    if (!b.appendJson(bytes, 0)) assert.equal(objectPath(b, bytes, undefined), want, text);
    else assert.equal(want, undefined, text);
  }
  assert.deepEqual(b.finish(), a.finish());
});

test('appendJson: a struct 32 levels deep (the nesting limit) and a table 300 columns wide compile and append as decode-then-append does', () => {
  // the generated reader once inlined each level's code into its parent's, twice: 32 levels ran
  // out of memory while compiling (test/kafka/bad-input.test.ts's first record)
  const nested = (levels: number, leaf: string): string => '{"n":'.repeat(levels) + leaf + '}'.repeat(levels);
  const wide = `{${Array.from({ length: 300 }, (_, i) => `"c${i}": ${i % 3 === 0 ? `"v${i}"` : i}`).join(', ')}}`;
  for (const text of [`{"id": 1, "deep": ${nested(32, '7')}}`, wide]) {
    const bytes = new TextEncoder().encode(text);
    const inferrer = new JsonSchemaInferrer();
    assert.equal(inferrer.add(decodePlainJson(bytes)), undefined);
    const schema = inferrer.schema();
    const direct = new RecordBatchBuilder(schema, 't');
    const objects = new RecordBatchBuilder(schema, 't');
    for (let i = 0; i < 3; i++) {
      assert.equal(direct.appendJson(bytes, 0), true, 'taken from its text');
      objects.append(decodePlainJson(bytes));
    }
    assert.deepEqual(direct.finish(), objects.finish());
  }
});
