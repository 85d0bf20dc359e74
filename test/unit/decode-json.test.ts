import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonSchemaDecoder, decodeJson, parseJsonText } from '../../src/decode/json-decoder.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';
import { EVENTS_JSON_SCHEMA, eventToJson, sampleEvent } from '../../schemas/events-sample.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
    return e.reason;
  }
  assert.fail('expected a DecodeError');
}

test('plain JSON: integers beyond 2^53 keep every digit (bigint), the rest is JSON.parse', () => {
  const v = decodeJson(enc('{"id": 9223372036854775807, "neg": -9007199254740993, "safe": 9007199254740991, "f": 1.5, "s": "12345678901234567890", "n": [1, 18446744073709551616]}'));
  assert.deepEqual(v, { id: 9223372036854775807n, neg: -9007199254740993n, safe: 9007199254740991, f: 1.5, s: '12345678901234567890', n: [1, 18446744073709551616n] });
  // big non-integers stay numbers
  // eslint-disable-next-line no-loss-of-precision -- the same rounding JSON.parse does
  assert.deepEqual(parseJsonText('{"x": 12345678901234567890.5, "e": 1e300}'), { x: 12345678901234567890.5, e: 1e300 });
  assert.deepEqual(decodeJson(enc('{"ü": "日本"}')), { ü: '日本' });
});

test('plain JSON: malformed text is an invalid payload', () => {
  assert.equal(
    reasonOf(() => decodeJson(enc('{"a": '))),
    'invalid-payload',
  );
  assert.equal(
    reasonOf(() => decodeJson(Uint8Array.of(0, 0, 0, 0, 1, 0x7b))),
    'invalid-payload',
  );
});

test('JSON Schema: events validate and come back as parsed', () => {
  const decode = compileJsonSchemaDecoder(JSON.parse(EVENTS_JSON_SCHEMA));
  for (let i = 0; i < 50; i++) {
    const text = eventToJson(sampleEvent(i));
    assert.deepEqual(decode(enc(text)), JSON.parse(text));
  }
});

test('JSON Schema: a record that fails validation is schema-validation, with the reason', () => {
  const decode = compileJsonSchemaDecoder(JSON.parse(EVENTS_JSON_SCHEMA));
  const good = JSON.parse(eventToJson(sampleEvent(1)));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, user_id: 'x' }, /user_id.*integer/],
    [{ ...good, ts: 'yesterday' }, /ts.*date-time/],
    [{ ...good, id: 'not-a-uuid' }, /id.*uuid/],
    [{ ...good, event_type: 'NOPE' }, /event_type.*allowed values/],
    [{ ...good, extra: 1 }, /additional properties/],
    [
      (() => {
        const { country: _c, ...rest } = good;
        return rest;
      })(),
      /country/,
    ],
  ];
  for (const [value, re] of cases) {
    try {
      decode(enc(JSON.stringify(value)));
      assert.fail('should not validate');
    } catch (e) {
      assert.ok(e instanceof DecodeError);
      assert.equal(e.reason, 'schema-validation');
      assert.match(e.message, re);
    }
  }
});

test('JSON Schema: a 64-bit integer validates and keeps its digits', () => {
  const decode = compileJsonSchemaDecoder({ type: 'object', properties: { id: { type: 'integer' }, s: { type: 'string' } }, required: ['id'] });
  assert.deepEqual(decode(enc('{"id": 9223372036854775807, "s": "x"}')), { id: 9223372036854775807n, s: 'x' });
  assert.equal(
    reasonOf(() => decode(enc('{"id": 1.5}'))),
    'schema-validation',
  );
});

test('JSON Schema: references by name, draft 2020-12, and schemas that do not compile', () => {
  const address = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const decode = compileJsonSchemaDecoder({ type: 'object', properties: { home: { $ref: 'address.json' } } }, [{ name: 'address.json', schema: address }]);
  assert.deepEqual(decode(enc('{"home": {"city": "Oslo"}}')), { home: { city: 'Oslo' } });
  assert.equal(
    reasonOf(() => decode(enc('{"home": {}}'))),
    'schema-validation',
  );
  const d2020 = compileJsonSchemaDecoder({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'integer' }] });
  assert.deepEqual(d2020(enc('[1, "x"]')), [1, 'x']);
  assert.equal(
    reasonOf(() => d2020(enc('["x"]'))),
    'schema-validation',
  );
  assert.equal(
    reasonOf(() => compileJsonSchemaDecoder({ type: 'object', properties: { a: { $ref: 'missing.json' } } })),
    'unsupported-schema',
  );
});

test('JSON Schema: an integer literal beyond 2^53 in a "number" is a double at any depth; in an "integer" it keeps its digits', async () => {
  const { jsonSchemaToIceberg } = await import('../../src/schema/from-json-schema.ts');
  const schema = {
    type: 'object',
    properties: {
      n: { type: 'number' },
      id: { type: 'integer' },
      list: { type: 'array', items: { type: 'number' } },
      inner: { type: 'object', properties: { x: { type: ['number', 'null'] } } },
      byKey: { type: 'object', additionalProperties: { type: 'number' } },
    },
  };
  const decode = compileJsonSchemaDecoder(schema, [], jsonSchemaToIceberg(schema).schema);
  const big = String(2n ** 60n); // a double holds it exactly
  const v = decode(enc(`{"n": ${big}, "id": ${big}, "list": [1.5, ${big}], "inner": {"x": ${big}}, "byKey": {"a": ${big}}}`)) as Record<string, unknown>;
  const d = Number(big);
  assert.deepEqual(v, { n: d, id: BigInt(big), list: [1.5, d], inner: { x: d }, byKey: { a: d } });
  // one a double cannot hold exactly is refused, wherever it is; in an "integer" it keeps its digits
  const odd = '123456789012345678';
  for (const text of [`{"n": ${odd}}`, `{"list": [${odd}]}`, `{"inner": {"x": ${odd}}}`, `{"byKey": {"a": ${odd}}}`]) {
    assert.throws(
      () => decode(enc(text)),
      (e: unknown) => e instanceof DecodeError && e.reason === 'invalid-payload' && /cannot be held exactly by a double column/.test(e.message),
      text,
    );
  }
  assert.deepEqual(decode(enc(`{"id": ${odd}}`)), { id: BigInt(odd) });
});

test("plain JSON: numbers beyond double's range and invalid UTF-8 are refused, not changed", () => {
  for (const text of ['{"a": 1e400}', '{"a": -1.5E+308000}', '{"a": [1, 2e309]}', '{"a": 1e-400}', '{"a": 0.1e-999}', '{"a": -2e-324}']) {
    assert.throws(
      () => decodeJson(enc(text)),
      (e: unknown) => e instanceof DecodeError && e.reason === 'invalid-payload' && /out of a double's range|too small for a double/.test(e.message),
      text,
    );
  }
  // what stays: zeros written with big exponents, subnormals, large finite numbers
  assert.deepEqual(decodeJson(enc('{"a": 0e-500, "b": 0.0E+400, "c": 5e-324, "d": 1.7e308, "e": -0.0e-999}')), { a: 0, b: 0, c: 5e-324, d: 1.7e308, e: -0 });
  const bad = Buffer.concat([Buffer.from('{"s": "a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  assert.throws(
    () => decodeJson(bad),
    (e: unknown) => e instanceof DecodeError && e.reason === 'invalid-payload' && /not valid UTF-8/.test(e.message),
  );
  assert.deepEqual(decodeJson(enc('{"s": "héllo ☃ 𝄞"}')), { s: 'héllo ☃ 𝄞' });
});
