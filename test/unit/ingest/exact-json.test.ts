import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonText } from '../../../src/decode/json-decoder.ts';
import { parseJsonExact } from '../../../src/ingest/exact-json.ts';

/** What a parser gives for a text: its value, or its error's class and message. */
function outcome(parse: (t: string) => unknown, text: string): { value?: unknown; error?: string } {
  try {
    return { value: parse(text) };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

function same(text: string): void {
  assert.deepStrictEqual(outcome(parseJsonExact, text), outcome(parseJsonText, text), text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

// numbers the reviver changes or refuses, numbers that look risky to a text scan but are not, and plain ones
const NUMBERS = [
  '0',
  '-0',
  '0.0',
  '0e5',
  '0.000e-400',
  '1',
  '-1',
  '42',
  '3.25',
  '-17.5',
  '9007199254740991',
  '-9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '12345678901234567890',
  '1234567890123456.5',
  '12345678901234567.5',
  '0.30000000000000004',
  '1e20',
  '1E+21',
  '1e308',
  '1e309',
  '-1e400',
  '1e-300',
  '1e-324',
  '1e-400',
  '-2.5e-999',
  '4.9e-324',
  '2e-324',
  `0.${'0'.repeat(330)}1`,
  `0.${'0'.repeat(230)}1e-99`,
  `${'9'.repeat(320)}.5`,
  `${'1'.repeat(310)}`,
  '1.5e-007',
  '123e-0045',
];
const STRINGS = ['"3e854"', '"a1234567890123456789"', '"e-400"', '"2026-12-02T10:00:00Z"', '""', '"x\\"y"', '"0"', `"${'7'.repeat(250)}"`];

function generator(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function randomJson(r: () => number, depth: number): string {
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const k = r();
  if (depth > 3 || k < 0.45) return k < 0.25 ? pick(NUMBERS) : k < 0.38 ? pick(STRINGS) : pick(['true', 'false', 'null']);
  const n = Math.floor(r() * 5);
  const ws = () => pick(['', ' ', '\n', ' \t']);
  if (k < 0.7) return `[${Array.from({ length: n }, () => ws() + randomJson(r, depth + 1)).join(',')}]`;
  return `{${Array.from({ length: n }, (_, i) => `${ws()}"k${i}"${ws()}:${ws()}${randomJson(r, depth + 1)}`).join(',')}}`;
}

test('gives what parseJsonText gives: each tricky number alone, in an object, in an array, next to a zero', () => {
  for (const n of NUMBERS) {
    same(n);
    same(` ${n} `);
    same(`{"a": ${n}}`);
    same(`[1, {"a": [${n}]}]`);
    same(`{"z": 0, "a": ${n}}`);
    same(`[${n}, 0]`);
    same(`{"s": "3e854", "a": ${n}}`);
  }
});

test('gives what parseJsonText gives on random JSON texts (values, bigints, -0, and errors alike)', () => {
  const r = generator(12345);
  const started = Date.now();
  for (let i = 0; i < 20_000 && Date.now() - started < 20_000; i++) {
    same(randomJson(r, 0));
  }
});

test('texts that are not JSON fail with parseJsonText error', () => {
  for (const t of ['', '{', '[1,]', '{"a":1}x', 'nul', '{"a": 01}', '[1e400', '"\\x"']) same(t);
});

test('a value nested far deeper than the call stack is looked at without recursion', () => {
  const depth = 100_000;
  const text = `${'['.repeat(depth)}1e400${']'.repeat(depth)}`;
  same(text);
  const ok = `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
  let v = parseJsonExact(ok) as { a: unknown };
  for (let i = 1; i < depth; i++) v = v.a as { a: unknown };
  assert.equal(v.a, 0);
});
