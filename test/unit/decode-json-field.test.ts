// A top-level field read from plain JSON's bytes (src/decode/json-field.ts) is the value
// decodePlainJson gives for that key, or NOT_READ; for a text the parser refuses it is always
// NOT_READ. Random texts (valid and broken) and hand-made edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOT_READ, scanJsonField } from '../../src/decode/json-field.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { plainJsonFrame } from '../../src/decode/record-decoder.ts';
import { LazyFrame } from '../../src/decode/record-frame.ts';
import { createRouter } from '../../src/route/router.ts';
import { rng } from '../helpers/rng.ts';

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
const key = (s: string) => enc.encode(s);

/** What the object path reads: the key's value, or a parse error. */
function parsed(text: Uint8Array, name: string): { value: unknown } | { error: true } {
  try {
    return { value: decodePlainJson(text)[name] };
  } catch {
    return { error: true };
  }
}

function check(text: string | Uint8Array, name: string): unknown {
  const b = typeof text === 'string' ? bytes(text) : text;
  const got = scanJsonField(b, 0, key(name));
  const want = parsed(b, name);
  if (got === NOT_READ) return got;
  assert.ok(!('error' in want), `the scan answered ${String(got)} for a text the parser refuses: ${new TextDecoder().decode(b)}`);
  assert.deepEqual(got, (want as { value: unknown }).value, new TextDecoder().decode(b));
  return got;
}

test('plain texts: the scan answers and agrees with the parser', () => {
  assert.equal(check('{"tenant":"t07","a":1}', 'tenant'), 't07');
  assert.equal(check(' {\n\t"a" : [1, {"tenant": "inner"}, "x\\"y"], "tenant" : "top" } \r\n', 'tenant'), 'top');
  assert.equal(check('{"tenant": 42}', 'tenant'), 42);
  assert.equal(check('{"tenant": -7}', 'tenant'), -7);
  assert.equal(check('{"tenant": true}', 'tenant'), true);
  assert.equal(check('{"tenant": null}', 'tenant'), null);
  assert.equal(check('{"a": 1}', 'tenant'), undefined, 'absent');
  assert.equal(check('{}', 'tenant'), undefined);
  assert.equal(check('{"tenant": "日本"}', 'tenant'), '日本');
  assert.equal(check('{"tenant": "a", "tenant": "b"}', 'tenant'), 'b', 'the last of a repeated key, as JSON.parse');
  assert.equal(check('{"ténant": "x", "tenant": "y"}', 'ténant'), 'x');
  assert.equal(check('{"a": {"b": [[], {}, [{"c": null}]]}, "tenant": "z", "n": -0.5}', 'tenant'), 'z');
});

test('what the scan leaves to the parser: escapes in keys or the value, exponents, long or fractional routed numbers, containers', () => {
  for (const t of [
    '{"ten\\u0061nt": "x"}', // an escaped key could spell the field
    '{"tenant": "a\\"b"}',
    '{"tenant": 1e2}',
    '{"x": 1e400, "tenant": "a"}', // decodeJson refuses 1e400
    '{"tenant": 12345678901234567890}', // a bigint
    '{"tenant": 1.5}',
    '{"tenant": -0}',
    '{"tenant": {"a": 1}}',
    '{"tenant": [1]}',
    '[1, 2]',
    '"tenant"',
    '\ufeff{"tenant": "a"}',
  ]) {
    assert.equal(scanJsonField(bytes(t), 0, key('tenant')), NOT_READ, t);
  }
});

test('broken texts are never answered', () => {
  for (const t of [
    '{"tenant": "a"',
    '{"tenant": "a",}',
    '{"tenant": "a"} x',
    '{"tenant": "a"}}',
    '{"tenant" "a"}',
    '{"tenant": "a" "b": 1}',
    '{tenant: "a"}',
    "{'tenant': 'a'}",
    '{"tenant": "a", "x": [1,]}',
    '{"tenant": "a", "x": [1 2]}',
    '{"tenant": "a", "x": {"y"}}',
    '{"tenant": "a", "x": 01}',
    '{"tenant": "a", "x": 1.}',
    '{"tenant": "a", "x": .5}',
    '{"tenant": "a", "x": +1}',
    '{"tenant": "a", "x": tru}',
    '{"tenant": "a", "x": nul}',
    '{"tenant": "a", "x": "\\x"}',
    '{"tenant": "a", "x": "\\u12"}',
    '{"tenant": "a", "x": "tab\there"}',
    '{"tenant": "a", "x": NaN}',
    '',
    '   ',
  ]) {
    assert.equal(scanJsonField(bytes(t), 0, key('tenant')), NOT_READ, t);
    assert.ok('error' in parsed(bytes(t), 'tenant'), `the parser refuses ${t} too`);
  }
  // invalid UTF-8 inside a string
  const b = bytes('{"tenant": "a", "x": "??"}');
  b[b.length - 4] = 0xc3;
  b[b.length - 3] = 0x28;
  assert.equal(scanJsonField(b, 0, key('tenant')), NOT_READ);
});

/** A random JSON value as text, sometimes with white space, escapes and nesting. */
function randomValue(r: () => number, depth: number): string {
  const pick = r();
  const sp = () => [' ', '', '\n', '\t', '  ', '\r\n'][Math.floor(r() * 6)];
  if (depth < 3 && pick < 0.15) {
    const n = Math.floor(r() * 4);
    return `[${sp()}${Array.from({ length: n }, () => randomValue(r, depth + 1)).join(`${sp()},${sp()}`)}${sp()}]`;
  }
  if (depth < 3 && pick < 0.3) return randomObject(r, depth + 1);
  if (pick < 0.55) return JSON.stringify(['t01', 'a"b', 'é', '\\', 'x\ny', '', '😀', 'tenant'][Math.floor(r() * 8)]);
  if (pick < 0.75) return String([0, -1, 42, 1.5, -0.25, 123456789012345, 1e21, 2 ** 53 + 2][Math.floor(r() * 8)]);
  if (pick < 0.8) return ['1e5', '2E-3', '-0', '12345678901234567890'][Math.floor(r() * 4)];
  return ['true', 'false', 'null'][Math.floor(r() * 3)];
}

function randomObject(r: () => number, depth: number): string {
  const n = Math.floor(r() * 5);
  const keys = ['tenant', 'a', 'b', 'ten\\u0061nt', 'x y', 'tenant2', 'é'];
  const members = Array.from(
    { length: n },
    () => `${JSON.stringify(keys[Math.floor(r() * keys.length)]).replace('\\\\u0061', '\\u0061')}${[':', ' : ', ':\n'][Math.floor(r() * 3)]}${randomValue(r, depth)}`,
  );
  return `{${members.join([',', ', ', ',\n'][Math.floor(r() * 3)])}}`;
}

/** A text with one random change: a byte dropped, doubled or replaced by a JSON delimiter. */
function broken(r: () => number, t: string): string {
  const i = Math.floor(r() * t.length);
  const kind = r();
  if (kind < 0.33) return t.slice(0, i) + t.slice(i + 1);
  if (kind < 0.66) return t.slice(0, i) + t[i] + t.slice(i);
  return t.slice(0, i) + '{}[],:"\\ x01'[Math.floor(r() * 12)] + t.slice(i + 1);
}

test('random texts, valid and broken: every answer is the parser’s value, and most valid texts are answered', () => {
  const r = rng(20261207);
  let answered = 0;
  let valid = 0;
  for (let i = 0; i < 20_000; i++) {
    let t = randomObject(r, 0);
    if (r() < 0.2) t = `${[' ', '\n', ''][Math.floor(r() * 3)]}${t}${[' ', '\r\n', ''][Math.floor(r() * 3)]}`;
    if (r() < 0.4) t = broken(r, t);
    const b = bytes(t);
    const ok = !('error' in parsed(b, 'tenant'));
    if (ok) valid++;
    if (check(b, 'tenant') !== NOT_READ) answered++;
  }
  assert.ok(valid > 5_000, `${valid} valid texts`);
  assert.ok(answered > valid / 4, `${answered} of ${valid} valid texts answered`);
});

test('routing by a top-level field reads plain JSON without decoding it, and the batch can still take its bytes', () => {
  const router = createRouter('db.t_{value}', { by: 'field', field: 'tenant', tables: {} } as never);
  const frame = plainJsonFrame(bytes('{"tenant": "acme", "n": 1}'));
  assert.equal(router.tableForFrame('topic', frame), 'db.t_acme');
  assert.ok(frame instanceof LazyFrame);
  assert.deepEqual(frame.direct, { format: 'json', offset: 0 }, 'the direct way stays');
  // a text the scan leaves to the parser routes the same, and the direct way stays too
  const escaped = plainJsonFrame(bytes('{"ten\\u0061nt": "acme"}'));
  assert.equal(router.tableForFrame('topic', escaped), 'db.t_acme');
  assert.notEqual(escaped.direct, undefined);
  // reading `value` hands the object out: from then on the record is the object
  void escaped.value;
  assert.equal(escaped.direct, undefined);
  // the same errors as the object path
  assert.throws(() => router.tableForFrame('topic', plainJsonFrame(bytes('{"n": 1}'))), /routing field "tenant" is missing or null/);
  assert.throws(() => router.tableForFrame('topic', plainJsonFrame(bytes('{"tenant": [1]}'))), /must be a string or number, got a list/);
  assert.throws(() => router.tableForFrame('topic', plainJsonFrame(bytes('{"tenant": '))), /not JSON/);
});
