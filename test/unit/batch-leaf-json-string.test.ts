// LeafBuilder.pushJsonString stores what pushString(JSON.parse(the string's text)) stores, or
// nothing and -1 (the caller then reads the text as JSON.parse does): random JSON string texts
// (escapes, surrogate pairs, lone surrogates, non-ASCII, invalid UTF-8, control characters,
// unterminated text, empty strings, values sharing long prefixes, long values) at random places
// in random buffers, on a dictionary column and on one that gives its dictionary up (too many
// distinct values, or too many bytes), with rollbacks and batches finished in between. Each
// batch must equal the one pushString alone builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { LeafBuilder } from '../../src/batch/leaf-builder.ts';
import { rng } from '../helpers/rng.ts';

const leaf = (): LeafBuilder => new LeafBuilder({ fieldId: 1, columnPath: 's', parquetPath: ['s'], type: 'string', kind: 'bytes', width: 0, maxDef: 0, maxRep: 0, dictionary: true });

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const enc = new TextEncoder();

const VALUES = [
  '',
  'a',
  'DE',
  'PAGE_VIEW',
  'https://shop.example.com/',
  'https://shop.example.com/products',
  'https://shop.example.com/products/42',
  'https://shop.example.com/cart',
  'spring-1',
  'spring-2',
  'São Paulo',
  '日本語',
  '🙂 emoji', // a surrogate pair
  '\ud800', // a lone surrogate: stored as U+FFFD's bytes, but not the string U+FFFD
  '\ufffd',
  'x\udc00y',
  'quote " inside',
  'back\\slash',
  'tab\there',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'z'.repeat(300),
  `${'z'.repeat(299)}y`,
];

/** A string value: mostly from VALUES, sometimes a fresh one (`fresh`: how often). */
function value(r: () => number, fresh: number, long: boolean): string {
  if (r() < fresh) return `${long ? 'v'.repeat(2000) : ''}${Math.floor(r() * 1e9).toString(36)}${pick(r, ['', 'é', '🙂'])}`;
  return pick(r, VALUES);
}

/** The JSON text of a string token: as JSON.stringify writes it, some letters as \u escapes, or broken (a raw control character, bad UTF-8, no closing quote). */
function token(r: () => number, s: string): Uint8Array {
  const x = r();
  if (x < 0.1) return enc.encode(JSON.stringify(s).replace(/[a-z]/g, (c) => (r() < 0.3 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)));
  if (x < 0.13) return enc.encode(`${JSON.stringify(s).slice(0, -1)}\u0001"`); // a raw control character
  if (x < 0.16) {
    const t = enc.encode(JSON.stringify(s));
    const bad = pick(r, [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]]);
    const at = 1 + Math.floor(r() * (t.length - 1));
    return Uint8Array.from([...t.subarray(0, at), ...bad, ...t.subarray(at)]);
  }
  if (x < 0.18) return enc.encode(JSON.stringify(s).slice(0, -1)); // unterminated: the buffer ends there (run())
  return enc.encode(JSON.stringify(s));
}

/** What JSON.parse makes of the token, or undefined when it is not one valid string. */
function parsed(t: Uint8Array): string | undefined {
  if (!isUtf8(t)) return undefined;
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(t));
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function run(seed: number, n: number, fresh: number, long: boolean): void {
  const r = rng(seed);
  const want = leaf();
  const got = leaf();
  let taken = 0;
  for (let i = 0; i < n; i++) {
    const t = token(r, value(r, fresh, long));
    const tails = ['', ',"next":1}', '"]', ' }', '"'];
    const head = ' '.repeat(Math.floor(r() * 5));
    const terminated = t.length > 1 && t[t.length - 1] === 0x22 && t[t.length - 2] !== 0x5c;
    const tail = enc.encode(terminated ? pick(r, tails) : '');
    const buf = Uint8Array.from([...enc.encode(head), ...t, ...tail]);
    const s = parsed(t);
    const text = new TextDecoder().decode(t);
    if (r() < 0.05) {
      // a record appended, then rolled back
      want.mark();
      got.mark();
      if (s !== undefined) want.pushString(s);
      if (got.pushJsonString(buf, head.length + 1) < 0 && s !== undefined) got.pushString(s);
      want.rollback();
      got.rollback();
      continue;
    }
    want.mark();
    got.mark();
    if (s !== undefined) want.pushString(s);
    const q = got.pushJsonString(buf, head.length + 1);
    if (q >= 0) {
      taken++;
      assert.notEqual(s, undefined, `took a token JSON.parse refuses: ${text}`);
      assert.equal(q, head.length + t.length - 1, `the closing quote of ${text}`);
    } else if (s !== undefined) got.pushString(s);
    assert.equal(got.valueCount, want.valueCount, text);
    if (r() < 0.002) assert.deepEqual(got.finish(), want.finish(), `batch ending at ${i}`);
  }
  assert.deepEqual(got.finish(), want.finish());
  assert.ok(taken > n / 3, `taken ${taken} of ${n}`);
}

test('pushJsonString: repeated values, escapes, surrogates, invalid UTF-8, unterminated texts: as pushString(JSON.parse(text))', () => {
  for (let seed = 1; seed <= 10; seed++) run(seed, 3000, 0.02, false);
});

test('pushJsonString: a column that gives its dictionary up (many distinct values; many bytes) stores as pushString', () => {
  run(20, 12000, 0.9, false);
  run(21, 3000, 0.5, true); // ~1.5k values of 2 kB: past the dictionary's 1 MiB
});

test('pushJsonString and pushUtf8: U+FFFD bytes are not the lone surrogate entry that holds the same bytes (a dictionary of the next batch too)', () => {
  const bytes = enc.encode('"\ufffd"');
  for (const viaJson of [true, false]) {
    const l = leaf();
    const push = (): void => {
      if (viaJson) assert.equal(l.pushJsonString(bytes, 1), bytes.length - 1);
      else l.pushUtf8(bytes, 1, bytes.length - 2);
    };
    push();
    push();
    l.finish();
    l.pushString('\ud800'); // entry 0 of the new batch: U+FFFD's bytes
    push();
    const c = l.finish();
    assert.equal(c.dict!.size, 2, viaJson ? 'pushJsonString' : 'pushUtf8');
    assert.deepEqual([...c.dict!.indices], [0, 1]);
  }
});

test('pushJsonString: a guess left from the last batch, now an entry holding a quote, is not taken', () => {
  const l = leaf();
  // the first entry keys guesses 2 bytes in (here `","x`); the second read is remembered there
  assert.equal(l.pushJsonString(enc.encode('"ab","x"'), 1), 3);
  assert.equal(l.pushJsonString(enc.encode('"ab","x"'), 1), 3);
  l.finish();
  l.pushString('a"'); // entry 0 of the new batch, where the guess points
  const text = enc.encode('"a"","x"'); // the string "a", then text that repeats the entry's bytes
  assert.equal(l.pushJsonString(text, 1), 2);
  const d = l.finish().dict!;
  assert.equal(d.size, 2);
  assert.deepEqual([...d.indices], [0, 1]);
  assert.equal(new TextDecoder().decode(d.data.subarray(d.offsets[1], d.offsets[2])), 'a');
});
