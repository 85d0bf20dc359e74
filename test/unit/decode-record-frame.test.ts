// ConfluentDecoder.frame and plainJsonFrame: the record's schema from the header at once, its
// value decoded only when read (the same value and the same DecodeError as decode()), and for an
// Avro record or plain JSON the way a batch takes it straight from its bytes (appendFrame gives
// the batch append(decode()) gives).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { appendFrame } from '../../src/batch/append-frame.ts';
import { ConfluentDecoder, plainJsonFrame } from '../../src/decode/record-decoder.ts';
import type { RecordFrame } from '../../src/decode/record-frame.ts';
import type { SchemaLookup } from '../../src/decode/schema-registry.ts';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import { EVENTS_AVRO_SCHEMA, EVENTS_PROTO_SCHEMA, encodeEventAvro, encodeEventProtobuf, sampleEvent } from '../../schemas/events-sample.ts';

const lookup: SchemaLookup = {
  resolve: async (id) => ({ id, schema: id === 1 ? EVENTS_AVRO_SCHEMA : EVENTS_PROTO_SCHEMA, schemaType: id === 1 ? 'AVRO' : 'PROTOBUF', references: [], dependencies: [] }),
};

const errorOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  return undefined;
};

test('frame: a promise until the schema is loaded, then at once; the value is decode()s, read lazily', async () => {
  const dec = new ConfluentDecoder(lookup);
  const bytes = encodeFrame(1, encodeEventAvro(sampleEvent(1)));
  const first = dec.frame(bytes);
  assert.ok(first instanceof Promise);
  await first;
  const f = dec.frame(bytes) as RecordFrame;
  assert.ok(!(f instanceof Promise));
  const d = await dec.decode(bytes);
  assert.equal(f.schema, d.schema, 'the same schema object as decode()');
  assert.equal(f.schemaId, 1);
  assert.equal(f.direct?.format, 'avro');
  assert.deepEqual(f.value, d.value);
  assert.equal(f.value, f.value, 'decoded once');
  assert.equal(f.direct, undefined, 'no direct way once the value is there');
});

test('frame: a bad payload fails when its value is read, with decode()s error; a bad header at once', async () => {
  const dec = new ConfluentDecoder(lookup);
  const good = encodeFrame(1, encodeEventAvro(sampleEvent(2)));
  await dec.decode(good);
  const truncated = good.subarray(0, good.length - 4);
  const f = dec.frame(truncated) as RecordFrame;
  assert.equal(f.schemaId, 1);
  const want = errorOf(() => dec.decode(truncated));
  assert.match(want!, /DecodeError/);
  assert.equal(
    errorOf(() => f.value),
    want,
  );
  assert.match(
    errorOf(() => dec.frame(new Uint8Array([1, 0, 0, 0, 1, 2])))!,
    /bad-magic/,
  );
});

test('frame: Protobuf frames are decoded at once (their message indexes are in the header)', async () => {
  const dec = new ConfluentDecoder(lookup);
  const bytes = encodeFrame(2, encodeEventProtobuf(sampleEvent(3)), [0]);
  const f = await dec.frame(bytes);
  assert.equal(f.direct, undefined);
  assert.deepEqual(f.value, (await dec.decode(bytes)).value);
});

test('appendFrame: Avro frames straight in (or declined to the object path) give the batch decode-then-append gives', async () => {
  const dec = new ConfluentDecoder(lookup);
  const frames = Array.from({ length: 300 }, (_, i) => encodeFrame(1, encodeEventAvro(sampleEvent(i))));
  frames[7] = frames[7].subarray(0, 20); // truncated
  const schema = (await dec.decode(frames[0])).schema;
  const a = new RecordBatchBuilder(schema, 't');
  const b = new RecordBatchBuilder(schema, 't');
  for (const bytes of frames) {
    const want = errorOf(() => a.append((dec.decode(bytes) as { value: Record<string, unknown> }).value));
    assert.equal(
      errorOf(() => appendFrame(b, dec.frame(bytes) as RecordFrame)),
      want,
    );
  }
  assert.equal(b.rowCount, 299);
  assert.deepEqual(b.finish(), a.finish());
});

test('plainJsonFrame: lazy, the direct way is JSON; a payload that is not JSON fails when read', () => {
  const f = plainJsonFrame(new TextEncoder().encode('{"a":1}'));
  assert.equal(f.direct?.format, 'json');
  assert.deepEqual(f.value, { a: 1 });
  assert.match(
    errorOf(() => plainJsonFrame(new TextEncoder().encode('{"a":')).value)!,
    /invalid-payload/,
  );
});
