// Our partition transforms against PyIceberg's own (pyiceberg.transforms), value by value:
// a few hundred generated values per source type, negatives and pre-1970 instants, 64-bit
// extremes, unicode strings with astral code points. Needs FLOE_TEST_PYTHON: a Python with
// pyiceberg==0.12.* (the test stack's venv). The Python side is test/helpers/pyiceberg_transforms.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { humanString, transformFn, uuidToString } from '../../src/iceberg/transforms.ts';
import type { IcebergType } from '../../src/iceberg/types.ts';
import { rng } from '../helpers/rng.ts';

const HELPER = fileURLToPath(new URL('../helpers/pyiceberg_transforms.py', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Deterministic value generation

const rand = rng(20240102);
const randInt = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const randInt32 = (): number => (rand() * 4294967296) | 0;
const randBigBetween = (lo: bigint, hi: bigint): bigint => {
  const span = hi - lo + 1n;
  let r = 0n;
  for (let i = 0; i < 5; i++) r = (r << 32n) | BigInt((rand() * 4294967296) >>> 0);
  return lo + (r % span);
};
const randBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => randInt(0, 255));

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const MICROS_PER_DAY = 86_400_000_000n;
// Python's datetime covers years 1..9999.
const MIN_DAY = -719162; // 0001-01-01
const MAX_DAY = 2932896; // 9999-12-31
const MIN_MICROS = BigInt(MIN_DAY) * MICROS_PER_DAY;
const MAX_MICROS = BigInt(MAX_DAY + 1) * MICROS_PER_DAY - 1n;

function ints(): number[] {
  const out = [0, 1, -1, 9, -9, 10, -10, 11, -11, 34, -34, 999, -1000, INT_MAX, INT_MAX - 1, INT_MIN + 1000, -65536];
  for (let i = 0; i < 250; i++) out.push(randInt32());
  for (let i = 0; i < 100; i++) out.push(randInt(-2000, 2000));
  return out;
}

function longs(): bigint[] {
  const out = [0n, 1n, -1n, 34n, -34n, -10n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, LONG_MAX, LONG_MIN + 1000n, LONG_MAX - 7n];
  for (let i = 0; i < 250; i++) out.push(randBigBetween(LONG_MIN + 1000n, LONG_MAX - 1000n));
  for (let i = 0; i < 100; i++) out.push(BigInt(randInt(-100000, 100000)));
  return out;
}

function dates(): number[] {
  const out = [0, -1, 1, -365, -366, -719162, 2932896, 17486, -25567 /* 1900-01-01 */, 11016 /* 2000-02-29 */, -1, 59, 60];
  for (let i = 0; i < 300; i++) out.push(randInt(MIN_DAY, MAX_DAY));
  for (let i = 0; i < 100; i++) out.push(randInt(-800, 800));
  return out;
}

function times(): bigint[] {
  const out = [0n, 1n, MICROS_PER_DAY - 1n, 81_068_000_000n, 81_068_500_000n];
  for (let i = 0; i < 200; i++) out.push(randBigBetween(0n, MICROS_PER_DAY - 1n));
  return out;
}

function timestamps(): bigint[] {
  const out = [
    0n,
    1n,
    -1n,
    -1_000_000n,
    -MICROS_PER_DAY,
    -MICROS_PER_DAY - 1n,
    -MICROS_PER_DAY + 1n,
    1_510_871_468_000_000n,
    1_510_871_468_000_001n,
    // exactly .999999 past a boundary before 1970 (where Iceberg Java's convertMicros is off by one)
    -86_399_000_001n,
    -3_599_000_001n,
    MIN_MICROS,
    MAX_MICROS,
  ];
  for (let i = 0; i < 300; i++) out.push(randBigBetween(MIN_MICROS, MAX_MICROS));
  for (let i = 0; i < 100; i++) out.push(randBigBetween(-5n * MICROS_PER_DAY, 5n * MICROS_PER_DAY));
  // whole hours and days, and one micro either side, around the epoch and in 1900
  for (const base of [0n, -2_208_988_800_000_000n]) {
    for (let k = -3n; k <= 3n; k++) for (const d of [-1n, 0n, 1n]) out.push(base + k * 3_600_000_000n + d, base + k * MICROS_PER_DAY + d);
  }
  return out;
}

function timestampsNs(): bigint[] {
  // nanos: the long range is 1677-09-21 .. 2262-04-11
  const lo = LONG_MIN + 10n ** 12n;
  const hi = LONG_MAX - 10n ** 12n;
  const out = [0n, 1n, -1n, -999n, -1000n, -1001n, 1_510_871_468_000_001_001n, -86_400_000_000_000n, -86_400_000_000_001n];
  for (let i = 0; i < 300; i++) out.push(randBigBetween(lo, hi));
  return out;
}

const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyz0123456789 _-/',
  'äöüßéèêçñÅØ',
  '中文字符日本語한국어',
  '😀🎉🚀𝄞𠜎👍🏽',
  'e\u0301a\u0308', // combining marks
  'ЖжЯяΩωאב',
];
function strings(): string[] {
  const out = ['', 'iceberg', '34', 'a', '😀', '😀😀😀', 'ab😀cd', 'x'.repeat(100), 'a b/c?d=e&f'];
  for (let i = 0; i < 300; i++) {
    const len = randInt(0, 24);
    let s = '';
    const alphabet = [...(ALPHABETS[randInt(0, ALPHABETS.length - 1)] + (rand() < 0.5 ? ALPHABETS[randInt(0, ALPHABETS.length - 1)] : ''))];
    for (let j = 0; j < len; j++) s += alphabet[randInt(0, alphabet.length - 1)];
    out.push(s);
  }
  return out;
}

function uuids(): string[] {
  const out = ['f79c3e09-677c-4bbd-a479-3f349cb785e7', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
  for (let i = 0; i < 200; i++) out.push(uuidToString(randBytes(16)));
  return out;
}

function binaries(): Uint8Array[] {
  const out: Uint8Array[] = [new Uint8Array([0, 1, 2, 3]), new Uint8Array(0), new Uint8Array([0xff])];
  for (let i = 0; i < 200; i++) out.push(randBytes(randInt(0, 24)));
  return out;
}

function decimals(precision: number): bigint[] {
  const max = 10n ** BigInt(precision) - 1n;
  const out = [0n, 1n, -1n, 1420n, -1420n, 1065n, -1065n, 50n, -50n, max, -max, 127n, 128n, -128n, -129n];
  for (let i = 0; i < 250; i++) out.push(randBigBetween(-max, max));
  for (let i = 0; i < 100; i++) out.push(BigInt(randInt(-100000, 100000)));
  return out;
}

function doubles(): number[] {
  const out = [0, -0, 1, -1, 0.1, 1e10, -1.5e-10, 123456.789, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity];
  for (let i = 0; i < 100; i++) out.push((rand() - 0.5) * 10 ** randInt(-20, 20));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cases

interface Case {
  type: IcebergType & string;
  transform: string;
  values: unknown[];
  human: boolean;
}

const TEMPORAL = ['year', 'month', 'day'];
const cases: Case[] = [];
const add = (type: Case['type'], values: unknown[], transforms: string[], human: (t: string) => boolean = () => true): void => {
  for (const transform of transforms) {
    let vs = values;
    const width = /^truncate\[(\d+)\]$/.exec(transform);
    if (width && (type === 'int' || type === 'long')) {
      // Java truncates in 32/64-bit arithmetic and wraps below MIN + W; PyIceberg's integers do
      // not wrap. The unit tests pin the Java behaviour; here only values that cannot wrap.
      const floor = type === 'int' ? BigInt(INT_MIN) : LONG_MIN;
      vs = values.filter((v) => BigInt(v as number | bigint) >= floor + BigInt(width[1]));
    }
    cases.push({ type, transform, values: vs, human: human(transform) });
  }
};
const noIdentityHuman = (t: string): boolean => t !== 'identity';

add('int', ints(), ['identity', 'bucket[1]', 'bucket[16]', 'bucket[1000]', 'bucket[2147483647]', 'truncate[1]', 'truncate[10]', 'truncate[7]', 'truncate[1000]', 'void']);
add('long', longs(), ['identity', 'bucket[16]', 'bucket[77]', 'truncate[10]', 'truncate[3]', 'truncate[1000000]', 'void']);
add('date', dates(), ['identity', 'bucket[16]', ...TEMPORAL, 'void']);
add('time', times(), ['identity', 'bucket[16]'], noIdentityHuman);
for (const t of ['timestamp', 'timestamptz'] as const) add(t, timestamps(), ['identity', 'bucket[16]', 'bucket[128]', ...TEMPORAL, 'hour'], noIdentityHuman);
for (const t of ['timestamp_ns', 'timestamptz_ns'] as const) add(t, timestampsNs(), ['identity', 'bucket[16]', ...TEMPORAL, 'hour'], noIdentityHuman);
add('string', strings(), ['identity', 'bucket[16]', 'bucket[1024]', 'truncate[1]', 'truncate[3]', 'truncate[10]', 'void']);
add('uuid', uuids(), ['identity', 'bucket[16]', 'bucket[3]']);
add('binary', binaries(), ['identity', 'bucket[16]', 'truncate[3]', 'truncate[1]']);
add(
  'fixed[8]',
  Array.from({ length: 150 }, () => randBytes(8)),
  ['identity', 'bucket[16]'],
);
add('decimal(9, 2)', decimals(9), ['identity', 'bucket[16]', 'truncate[50]', 'truncate[3]', 'truncate[1]']);
add('decimal(38, 10)', decimals(38), ['identity', 'bucket[16]', 'truncate[50]', 'truncate[1000]']);
add('double', doubles(), ['identity', 'void'], () => false);
add('float', doubles().map(Math.fround), ['identity'], () => false);
add('boolean', [true, false], ['identity', 'void']);

for (const c of cases) c.values = [...c.values, null];

// ---------------------------------------------------------------------------------------------
// Encoding to and from the helper

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function encodeInput(v: unknown): unknown {
  if (v === null) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'number' && !Number.isInteger(v)) return String(v); // NaN, ±Infinity, fractions
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return v;
}

type Tagged = null | { int: string } | { float: string } | { bool: boolean } | { str: string } | { hex: string } | { dec: string } | { uuid: string };

/** Our result in the helper's tagged form, so the two compare as plain JSON. */
function tag(type: IcebergType & string, transform: string, v: unknown): Tagged {
  if (v === null) return null;
  if (typeof v === 'boolean') return { bool: v };
  if (typeof v === 'number' && (type === 'float' || type === 'double')) return { float: Object.is(v, -0) ? '-0.0' : String(v) };
  if (typeof v === 'number' || typeof v === 'bigint') return type.startsWith('decimal') && !transform.startsWith('bucket') ? { dec: v.toString() } : { int: v.toString() };
  if (typeof v === 'string') return type === 'uuid' ? { uuid: v } : { str: v };
  if (v instanceof Uint8Array) return { hex: hex(v) };
  throw new Error(`cannot tag ${String(v)}`);
}

function sameTagged(ours: Tagged, theirs: Tagged): boolean {
  if (ours && theirs && 'float' in ours && 'float' in theirs) {
    const py = (s: string): number => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s));
    return Object.is(Number(ours.float), py(theirs.float));
  }
  return JSON.stringify(ours) === JSON.stringify(theirs);
}

function display(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v instanceof Uint8Array) return `0x${hex(v)}`;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------

test('partition transforms give the same values as PyIceberg', () => {
  const python = process.env.FLOE_TEST_PYTHON;
  assert.ok(python, 'FLOE_TEST_PYTHON is not set: point it at a Python with pyiceberg==0.12.* installed (scripts/stack/setup.sh creates one)');
  const request = JSON.stringify({ cases: cases.map((c) => ({ transform: c.transform, type: c.type, values: c.values.map(encodeInput) })) });
  let stdout: string;
  try {
    stdout = execFileSync(python, [HELPER], { input: request, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`PyIceberg helper failed (${python} ${HELPER}): ${err.stderr || err.message}`, { cause: e });
  }
  const { results, human } = JSON.parse(stdout) as { results: Tagged[][]; human: string[][] };
  assert.equal(results.length, cases.length);

  const mismatches: string[] = [];
  let compared = 0;
  let humanCompared = 0;
  cases.forEach((c, i) => {
    const fn = transformFn(c.transform, c.type);
    c.values.forEach((input, j) => {
      const ours = fn(input);
      const theirs = results[i][j];
      compared++;
      if (!sameTagged(tag(c.type, c.transform, ours), theirs)) {
        mismatches.push(`${c.transform}(${c.type}) of ${display(input)}: ours ${display(ours)}, PyIceberg ${JSON.stringify(theirs)}`);
        return;
      }
      if (c.human) {
        humanCompared++;
        const h = humanString(c.transform, c.type, ours);
        if (h !== human[i][j]) mismatches.push(`human string of ${c.transform}(${c.type}) of ${display(input)}: ours ${JSON.stringify(h)}, PyIceberg ${JSON.stringify(human[i][j])}`);
      }
    });
  });
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${compared} values differ from PyIceberg:\n${mismatches.slice(0, 25).join('\n')}`);
  assert.ok(compared > 15000, `compared ${compared} values`);
  assert.ok(humanCompared > 8000, `compared ${humanCompared} human strings`);
});
