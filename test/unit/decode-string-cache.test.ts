// The Avro decoder's string interning (src/decode/string-cache.ts) and its input handling:
// same strings as a plain UTF-8 decode whatever the cache does, bytes copied (the input buffer may be reused), fields of unique values switching
// their cache off and staying correct; frames as Uint8Array, Buffer or a view into a larger
// buffer decode alike; floats/doubles and uuids checked on bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { MAX_CACHED_BYTES, StringCache } from '../../src/decode/string-cache.ts';
import { compileAvroDecoder } from '../../src/decode/avro-decoder.ts';
import { parseAvroSchema } from '../../src/decode/avro-schema.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';

const enc = new TextEncoder();

test('cached strings equal a plain decode: repeats, collisions, non-ASCII, empty, long', () => {
  const cache = new StringCache();
  const values = ['', 'a', 'ab', 'abc', 'abcd', 'DE', 'é', 'São Paulo', '日本語テキスト', 'x'.repeat(MAX_CACHED_BYTES), 'y'.repeat(MAX_CACHED_BYTES + 1)];
  // same length, first, middle and last bytes: likely the same slot, must not be confused
  for (let i = 0; i < 50; i++) values.push(`https://shop.example.com/${String(i).padStart(3, '0')}xxxxxxxxxxxx/${'z'.repeat(7)}end`);
  for (let round = 0; round < 3; round++) {
    for (const v of values) {
      const bytes = enc.encode(`__${v}__`);
      assert.equal(cache.get(bytes, 2, bytes.length - 4), v);
    }
  }
  assert.ok(cache.enabled);
});

test('a repeated value comes back as the same string; the cache holds a copy of the bytes', () => {
  const cache = new StringCache();
  const buf = enc.encode('CLICK');
  const a = cache.get(buf, 0, buf.length);
  buf.set(enc.encode('CLOCK')); // the caller reuses its buffer
  const b = cache.get(buf, 0, buf.length);
  assert.equal(a, 'CLICK');
  assert.equal(b, 'CLOCK');
  const c = cache.get(enc.encode('CLOCK'), 0, 5);
  assert.equal(c, 'CLOCK');
});

test('a field of unique values switches its cache off and stays correct', () => {
  const cache = new StringCache();
  for (let i = 0; i < 10_000; i++) {
    const v = `session-${i}-${(i * 7919) % 10007}`;
    const bytes = enc.encode(v);
    assert.equal(cache.get(bytes, 0, bytes.length), v);
  }
  assert.equal(cache.enabled, false);
  const again = enc.encode('session-1-7919');
  assert.equal(cache.get(again, 0, again.length), 'session-1-7919');
});

test('a probe window that ends on a hit and switches the cache off still returns the right string', () => {
  const cache = new StringCache();
  for (let i = 0; i < 4095; i++) {
    const bytes = enc.encode(`unique-${i}`);
    assert.equal(cache.get(bytes, 0, bytes.length), `unique-${i}`);
  }
  // lookup 4096 (the window's last) is a hit on the value just cached
  const last = enc.encode('unique-4094');
  assert.equal(cache.get(last, 0, last.length), 'unique-4094');
  assert.equal(cache.enabled, false);
});

const schemaJson = {
  type: 'record',
  name: 'R',
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 's', type: 'string' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'm', type: { type: 'map', values: ['null', 'string'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};
const type = avro.Type.forSchema(schemaJson as avro.Schema);
const decode = compileAvroDecoder(parseAvroSchema(JSON.stringify(schemaJson)));

test('frames as Uint8Array, Buffer, or a view into a larger buffer decode alike', () => {
  const rec = { id: '0123ABCD-0000-4000-8000-00000000000a', s: 'héllo', f: 1.5, d: -0, m: { k: 'v', n: null }, tags: ['a', 'a', 'b'] };
  const buf = type.toBuffer(rec);
  const big = Buffer.concat([Buffer.from([9, 9, 9]), buf, Buffer.from([7])]);
  const view = new Uint8Array(big.buffer, big.byteOffset + 3, buf.length);
  const u8 = Uint8Array.from(buf);
  for (const input of [buf, u8, view]) {
    const v = decode(input) as Record<string, unknown>;
    assert.equal(v.id, '0123abcd-0000-4000-8000-00000000000a');
    assert.equal(v.s, 'héllo');
    assert.equal(v.f, 1.5);
    assert.ok(Object.is(v.d, -0));
    assert.deepEqual(
      v.m,
      new Map([
        ['k', 'v'],
        ['n', null],
      ]),
    );
    assert.deepEqual(v.tags, ['a', 'a', 'b']);
  }
  // offset into a frame
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), buf]);
  assert.equal((decode(framed, 5) as Record<string, unknown>).s, 'héllo');
});

test('floats and doubles: special values bit-exact', () => {
  for (const x of [NaN, Infinity, -Infinity, 3.4028234663852886e38, 1e-45, 0.1, -1234.5]) {
    const v = decode(type.toBuffer({ id: '00000000-0000-0000-0000-000000000000', s: '', f: x, d: x, m: {}, tags: [] })) as Record<string, number>;
    assert.ok(Object.is(v.f, Math.fround(x)), `float ${x}`);
    assert.ok(Object.is(v.d, x), `double ${x}`);
  }
  const truncated = type.toBuffer({ id: '00000000-0000-0000-0000-000000000000', s: '', f: 1, d: 2, m: {}, tags: [] });
  assert.throws(
    () => decode(truncated.subarray(0, 38 + 4 + 3)),
    (e: unknown) => e instanceof DecodeError && e.reason === 'truncated',
  );
});

test('uuid strings: canonical either case accepted, anything else rejected with the same message', () => {
  const good = decode(type.toBuffer({ id: 'ABCDEF01-2345-6789-ABCD-EF0123456789', s: '', f: 0, d: 0, m: {}, tags: [] })) as Record<string, unknown>;
  assert.equal(good.id, 'abcdef01-2345-6789-abcd-ef0123456789');
  for (const bad of ['abcdef01-2345-6789-abcd-ef012345678g', 'abcdef01x2345-6789-abcd-ef0123456789', 'abcdef0123456789abcdef0123456789', 'ü'.repeat(18)]) {
    assert.throws(
      () => decode(type.toBuffer({ id: bad, s: '', f: 0, d: 0, m: {}, tags: [] })),
      (e: unknown) => e instanceof DecodeError && e.message.endsWith(`Avro uuid field holds "${bad}", not a UUID`),
      bad,
    );
  }
});

test('many records through one decoder: interned fields still give each record its own values', () => {
  const decodeMany = compileAvroDecoder(parseAvroSchema(JSON.stringify(schemaJson)));
  for (let i = 0; i < 20_000; i++) {
    const rec = { id: '00000000-0000-0000-0000-000000000000', s: i % 3 === 0 ? `unique-${i}` : `v${i % 5}`, f: 0, d: i, m: { [`k${i % 4}`]: `x${i % 7}` }, tags: [`t${i % 2}`] };
    const v = decodeMany(type.toBuffer(rec)) as Record<string, unknown>;
    assert.equal(v.s, rec.s);
    assert.deepEqual(v.m, new Map(Object.entries(rec.m)));
    assert.deepEqual(v.tags, rec.tags);
  }
});

test('20,000 sample events decode to exactly sampleEvent(i) (every field cache through several probe windows)', async () => {
  const { EVENTS_AVRO_SCHEMA, encodeEventAvro, sampleEvent } = await import('../../schemas/events-sample.ts');
  const decodeEvent = compileAvroDecoder(parseAvroSchema(EVENTS_AVRO_SCHEMA));
  for (let i = 0; i < 20_000; i++) {
    const e = sampleEvent(i);
    assert.deepEqual(decodeEvent(encodeEventAvro(e)), e, `event ${i}`);
  }
});
