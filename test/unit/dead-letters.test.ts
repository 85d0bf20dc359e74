import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { ConnectorStoppedError } from '../../src/pipeline/connector-stopped.ts';
import { DeadLetterQueue, MAX_ERROR_MESSAGE_BYTES, deadLetterMessage, fitDeadLetter, normalizeHeaders, truncateUtf8 } from '../../src/pipeline/dead-letters.ts';
import type { DeadLetterMessage, DeadLetterProducer, SourceRecord } from '../../src/pipeline/dead-letters.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';
import { RegistryAuthError } from '../../src/decode/schema-registry.ts';
import { ValueError } from '../../src/batch/errors.ts';
import { RouteError } from '../../src/route/router.ts';
import { IncompatibleSchemaChangeError } from '../../src/iceberg/schema-evolution.ts';

/** In-memory producer: records every send; can be told to fail the next N sends. */
class FakeProducer implements DeadLetterProducer {
  sends: { topic: string; messages: DeadLetterMessage[] }[] = [];
  failNext = 0;
  async send(topic: string, messages: DeadLetterMessage[]): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker said no');
    }
    this.sends.push({ topic, messages });
  }
  get delivered(): DeadLetterMessage[] {
    return this.sends.flatMap((s) => s.messages);
  }
}

function header(m: DeadLetterMessage, key: string): string | undefined {
  const all = m.headers.filter(([k]) => k === key);
  assert.ok(all.length <= 1, `header ${key} appears ${all.length} times`);
  return all[0]?.[1]?.toString('utf8');
}

function rec(offset: number, extra: Partial<SourceRecord> = {}): SourceRecord {
  return {
    topic: 'orders',
    partition: 3,
    offset: BigInt(offset),
    timestampMs: 1_700_000_000_000 + offset,
    key: Buffer.from(`k${offset}`),
    value: Buffer.from([0xff, 0x00, offset & 0xff, 0x80]),
    ...extra,
  };
}

test('dead letter keeps key and value bytes and original headers, adds floe.* headers', () => {
  const value = new Uint8Array([1, 0, 0, 0, 42, 0xc3, 0x28]); // not valid UTF-8 on purpose
  const key = new Uint8Array(Buffer.from('customer-7'));
  const record: SourceRecord = {
    topic: 'orders',
    partition: 5,
    offset: 9007199254740993n, // above 2^53: must not lose precision
    timestampMs: 1700000000123n,
    key,
    value,
    headers: [
      ['trace-id', Buffer.from('abc')],
      ['trace-id', Buffer.from('def')],
      ['empty', null],
    ],
  };
  const m = deadLetterMessage('orders-sink', record, new DecodeError('unknown-schema', 'schema id 42 not found', { schemaId: 42 }));
  assert.deepEqual([...m.value!], [...value]);
  assert.deepEqual([...m.key!], [...key]);
  assert.equal(m.partition, undefined);
  // originals first, in order, duplicates kept, null kept
  assert.deepEqual(
    m.headers.slice(0, 3).map(([k, v]) => [k, v === null ? null : v.toString()]),
    [
      ['trace-id', 'abc'],
      ['trace-id', 'def'],
      ['empty', null],
    ],
  );
  assert.equal(header(m, 'floe.error.class'), 'DecodeError');
  assert.equal(header(m, 'floe.error.reason'), 'unknown-schema');
  assert.equal(header(m, 'floe.error.message'), 'unknown-schema: schema id 42 not found');
  assert.equal(header(m, 'floe.original.topic'), 'orders');
  assert.equal(header(m, 'floe.original.partition'), '5');
  assert.equal(header(m, 'floe.original.offset'), '9007199254740993');
  assert.equal(header(m, 'floe.original.timestamp'), '1700000000123');
  assert.equal(header(m, 'floe.connector'), 'orders-sink');
});

test('null key and value stay null; no reason header when the error has no code; no timestamp when absent', () => {
  const m = deadLetterMessage('c', { topic: 't', partition: 0, offset: 0, key: null, value: undefined }, new RouteError('no table for value "x"'));
  assert.equal(m.key, null);
  assert.equal(m.value, null);
  assert.equal(header(m, 'floe.error.class'), 'RouteError');
  assert.equal(header(m, 'floe.error.reason'), undefined);
  assert.equal(header(m, 'floe.original.timestamp'), undefined);
  assert.equal(header(m, 'floe.error.message'), 'no table for value "x"');
});

test('error classes of the pipeline are named by class', () => {
  const cases: [unknown, string][] = [
    [new ValueError('shop.orders', 'amount', 'decimal(10, 2)', 'abc'), 'ValueError'],
    [new IncompatibleSchemaChangeError('price', 'long', 'string'), 'IncompatibleSchemaChangeError'],
    [new TypeError('x'), 'TypeError'],
    [new (class OddError extends Error {})('x'), 'OddError'],
    ['a string', 'thrown string'],
  ];
  for (const [err, cls] of cases) assert.equal(header(deadLetterMessage('c', rec(1), err), 'floe.error.class'), cls);
});

test('a replayed dead letter gets fresh floe.* headers, not two of each', () => {
  const first = deadLetterMessage('c', rec(1), new DecodeError('bad-magic', 'first byte 0xff'));
  const replay = deadLetterMessage('c2', { topic: 'orders.dlq', partition: 0, offset: 77n, key: first.key, value: first.value, headers: first.headers }, new RouteError('still bad'));
  assert.equal(header(replay, 'floe.error.class'), 'RouteError');
  assert.equal(header(replay, 'floe.error.reason'), undefined); // the old 'bad-magic' is gone
  assert.equal(header(replay, 'floe.original.topic'), 'orders.dlq');
  assert.equal(header(replay, 'floe.original.offset'), '77');
  assert.equal(header(replay, 'floe.connector'), 'c2');
});

test('error message is cut to 4 KiB of UTF-8 without splitting a character, and includes causes', () => {
  const long = 'é'.repeat(5000); // 2 bytes each
  const m = deadLetterMessage('c', rec(1), new Error(long));
  const bytes = m.headers.find(([k]) => k === 'floe.error.message')![1]!;
  assert.ok(bytes.length <= MAX_ERROR_MESSAGE_BYTES, `${bytes.length}`);
  assert.ok(bytes.length >= MAX_ERROR_MESSAGE_BYTES - 4);
  const s = bytes.toString('utf8');
  assert.ok(!s.includes('\ufffd'), 'no broken character');
  assert.ok(s.endsWith('…'));
  assert.equal(truncateUtf8('short', 10).toString(), 'short');
  assert.equal(truncateUtf8('abcdefghij', 10).toString(), 'abcdefghij');
  assert.equal(truncateUtf8('abcdefghijk', 10).toString(), 'abcdefg…');
  const withCause = deadLetterMessage('c', rec(1), new DecodeError('invalid-payload', 'avro', { cause: new RangeError('bad varint') }));
  assert.equal(header(withCause, 'floe.error.message'), 'invalid-payload: avro; caused by: bad varint');
});

test('headers given as a Map or an object normalize to ordered pairs', () => {
  assert.deepEqual(
    normalizeHeaders(
      new Map<string | Uint8Array, Uint8Array | string | null>([
        [Buffer.from('a'), Buffer.from('1')],
        ['b', 'two'],
      ]),
    ).map(([k, v]) => [k, v?.toString()]),
    [
      ['a', '1'],
      ['b', 'two'],
    ],
  );
  assert.deepEqual(
    normalizeHeaders({ a: [Buffer.from('1'), '2'], b: null }).map(([k, v]) => [k, v?.toString() ?? null]),
    [
      ['a', '1'],
      ['a', '2'],
      ['b', null],
    ],
  );
  assert.deepEqual(normalizeHeaders(undefined), []);
});

test('tolerance all: queued records are sent on flush, in order, in batches, and counted', async () => {
  const producer = new FakeProducer();
  const registry = new Registry();
  const counter = new Counter({ name: 'dl_total', help: 'h', labelNames: ['topic', 'error_class'] as const, registers: [registry] });
  const q = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'orders.dlq', producer, maxBatchMessages: 4, counter });
  for (let i = 0; i < 10; i++) q.add(rec(i), i % 3 === 0 ? new RouteError('r') : new DecodeError('bad-magic', 'm'));
  assert.equal(q.pending, 10);
  assert.ok(q.pendingBytes > 0);
  assert.equal(producer.sends.length, 0, 'nothing is sent before flush');
  await q.flush();
  assert.deepEqual(
    producer.sends.map((s) => [s.topic, s.messages.length]),
    [
      ['orders.dlq', 4],
      ['orders.dlq', 4],
      ['orders.dlq', 2],
    ],
  );
  assert.deepEqual(
    producer.delivered.map((m) => header(m, 'floe.original.offset')),
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  );
  assert.deepEqual(q.stats(), { byClass: { RouteError: 4, DecodeError: 6 }, sent: 10, pending: 0, pendingBytes: 0 });
  const json = await registry.getMetricsAsJSON();
  const values = json[0].values.map((v) => [v.labels.topic, v.labels.error_class, v.value]).sort();
  assert.deepEqual(values, [
    ['orders', 'DecodeError', 6],
    ['orders', 'RouteError', 4],
  ]);
  await q.flush(); // nothing left: no empty send
  assert.equal(producer.sends.length, 3);
});

test('batches are split by bytes too', async () => {
  const producer = new FakeProducer();
  const q = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer, maxBatchBytes: 3000 });
  for (let i = 0; i < 5; i++) q.add(rec(i, { value: Buffer.alloc(1000, i) }), new RouteError('r'));
  await q.flush();
  assert.ok(producer.sends.length >= 2, `${producer.sends.length} sends`);
  for (const s of producer.sends) assert.ok(s.messages.length <= 2, 'at most two 1000-byte values under 3000 bytes with headers');
  assert.equal(producer.delivered.length, 5);
  // a single message larger than the limit is still sent (alone)
  q.add(rec(9, { value: Buffer.alloc(5000) }), new RouteError('r'));
  await q.flush();
  assert.equal(producer.sends.at(-1)!.messages.length, 1);
});

test('a failed send rejects flush and keeps the unsent dead letters; the next flush sends them once', async () => {
  const producer = new FakeProducer();
  const q = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer, maxBatchMessages: 2 });
  for (let i = 0; i < 5; i++) q.add(rec(i), new RouteError('r'));
  // first batch goes through, second fails
  const orig = producer.send.bind(producer);
  let calls = 0;
  producer.send = async (t, ms) => {
    if (++calls === 2) throw new Error('broker said no');
    return orig(t, ms);
  };
  await assert.rejects(q.flush(), /broker said no/);
  assert.equal(q.pending, 3);
  assert.equal(q.stats().sent, 2);
  await q.flush();
  assert.deepEqual(
    producer.delivered.map((m) => header(m, 'floe.original.offset')),
    ['0', '1', '2', '3', '4'],
  );
  assert.equal(q.pending, 0);
});

test('flush sends what was added before it; records added during a flush wait for the next', async () => {
  const producer = new FakeProducer();
  const q = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer, maxBatchMessages: 1 });
  q.add(rec(0), new RouteError('r'));
  q.add(rec(1), new RouteError('r'));
  const f1 = q.flush();
  q.add(rec(2), new RouteError('r')); // after flush was called
  await f1;
  assert.deepEqual(
    producer.delivered.map((m) => header(m, 'floe.original.offset')),
    ['0', '1'],
  );
  assert.equal(q.pending, 1);
  // concurrent flushes run one after another and each covers its own adds
  const f2 = q.flush();
  q.add(rec(3), new RouteError('r'));
  const f3 = q.flush();
  await Promise.all([f2, f3]);
  assert.deepEqual(
    producer.delivered.map((m) => header(m, 'floe.original.offset')),
    ['0', '1', '2', '3'],
  );
  // same with room for everything in one batch: the late add is not swept into it
  const big = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer: new FakeProducer() });
  big.add(rec(10), new RouteError('r'));
  const f4 = big.flush();
  big.add(rec(11), new RouteError('r'));
  await f4;
  assert.equal(big.pending, 1);
  assert.equal(big.stats().sent, 1);
});

test('tolerance none: add throws ConnectorStoppedError naming the record and reason, and queues nothing', async () => {
  const producer = new FakeProducer();
  const q = new DeadLetterQueue({ connector: 'orders-sink', tolerance: 'none' });
  const err = new DecodeError('bad-magic', 'first byte is 0xff, expected 0');
  assert.throws(
    () => q.add(rec(12345), err),
    (e: unknown) => {
      assert.ok(e instanceof ConnectorStoppedError);
      assert.equal(e.topic, 'orders');
      assert.equal(e.partition, 3);
      assert.equal(e.offset, 12345n);
      assert.equal(e.errorClass, 'DecodeError');
      assert.equal(e.reason, 'bad-magic');
      assert.equal(e.cause, err);
      assert.match(e.message, /orders\[3\] offset 12345/);
      assert.match(e.message, /DecodeError \(bad-magic\)/);
      assert.match(e.message, /errors\.tolerance is none/);
      return true;
    },
  );
  assert.equal(q.pending, 0);
  await q.flush();
  assert.equal(producer.sends.length, 0);
});

test('incompatible schema changes follow onIncompatibleSchema, whatever the tolerance', async () => {
  const change = new IncompatibleSchemaChangeError('price', 'long', 'string');
  const producer = new FakeProducer();
  // tolerance all, but schema changes stop (the default)
  const stopQ = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer });
  assert.throws(
    () => stopQ.add(rec(1), change),
    (e: unknown) => e instanceof ConnectorStoppedError && /onIncompatibleSchema is stop/.test(e.message),
  );
  stopQ.add(rec(2), new RouteError('r')); // other errors are still dead-lettered
  assert.equal(stopQ.pending, 1);
  // tolerance none, but schema changes are dead-lettered
  const dlQ = new DeadLetterQueue({ connector: 'c', tolerance: 'none', onIncompatibleSchema: 'dead-letter', topic: 'd', producer });
  dlQ.add(rec(3), change);
  assert.throws(() => dlQ.add(rec(4), new RouteError('r')), ConnectorStoppedError);
  await dlQ.flush();
  assert.equal(header(producer.delivered.at(-1)!, 'floe.error.class'), 'IncompatibleSchemaChangeError');
});

test('tombstones (null values) follow errors.tombstones, whatever the tolerance; by default dead-letter under tolerance all, else fail', async () => {
  const tombstone = (offset: number) => rec(offset, { value: null });
  const why = new RouteError('record has no value (a tombstone)');
  const producer = new FakeProducer();
  // tolerance none, tombstones dead-lettered: the connector goes on past them, other bad records still stop it
  const dlQ = new DeadLetterQueue({ connector: 'c', tolerance: 'none', tombstones: 'dead-letter', topic: 'd', producer });
  dlQ.add(tombstone(1), why);
  assert.throws(
    () => dlQ.add(rec(2), new RouteError('r')),
    (e: unknown) => e instanceof ConnectorStoppedError && /errors\.tolerance is none/.test(e.message),
  );
  await dlQ.flush();
  const sent = producer.delivered.at(-1)!;
  assert.equal(sent.value, null, 'the dead letter is the tombstone itself');
  assert.equal(sent.key!.toString(), 'k1');
  assert.equal(header(sent, 'floe.original.offset'), '1');
  assert.match(header(sent, 'floe.error.message')!, /tombstone/);
  // tolerance all, tombstones fail: a tombstone stops, naming the setting and the record
  const failQ = new DeadLetterQueue({ connector: 'c', tolerance: 'all', tombstones: 'fail', topic: 'd', producer });
  assert.throws(
    () => failQ.add(tombstone(5), why),
    (e: unknown) => e instanceof ConnectorStoppedError && e.message === 'connector c stopped at orders[3] offset 5: RouteError: record has no value (a tombstone) [errors.tombstones is fail]',
  );
  failQ.add(rec(6), new RouteError('r'));
  assert.equal(failQ.pending, 1);
  // defaults follow the tolerance
  assert.equal(new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer }).tombstones, 'dead-letter');
  const noneQ = new DeadLetterQueue({ connector: 'c', tolerance: 'none' });
  assert.equal(noneQ.tombstones, 'fail');
  assert.throws(
    () => noneQ.add(tombstone(7), why),
    (e: unknown) => e instanceof ConnectorStoppedError && /errors\.tombstones is fail/.test(e.message),
  );
  // dead-lettering tombstones needs somewhere to put them
  assert.throws(() => new DeadLetterQueue({ connector: 'c', tolerance: 'none', tombstones: 'dead-letter' }), /dead-letter topic and producer/);
});

test('a registry outage is rethrown as it is, never dead-lettered', () => {
  const q = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer: new FakeProducer() });
  const outage = new DecodeError('registry-unavailable', 'connection refused');
  assert.throws(
    () => q.add(rec(1), outage),
    (e: unknown) => e === outage,
  );
  assert.equal(q.pending, 0);
});

test('a registry that refuses the credentials stops the connector: rethrown as it is, under any tolerance', () => {
  const refused = new RegistryAuthError(401, undefined, 'schema registry http://r did not accept the credentials (HTTP 401)');
  for (const tolerance of ['all', 'none'] as const) {
    const q = new DeadLetterQueue({ connector: 'c', tolerance, topic: 'd', producer: new FakeProducer() });
    assert.throws(
      () => q.add(rec(1), refused),
      (e: unknown) => e === refused,
    );
    assert.equal(q.pending, 0);
  }
});

test('a dead letter larger than the topic max.message.bytes goes without its value, then key, then original headers', async () => {
  const big = rec(5, { key: Buffer.alloc(300, 1), value: Buffer.alloc(5000, 2), headers: [['trace', Buffer.alloc(400, 3)]] });
  const whole = deadLetterMessage('c', big, new RouteError('r'));
  assert.equal(fitDeadLetter(whole, 1_000_000), whole, 'a dead letter that fits is left as it is');
  const noValue = fitDeadLetter(whole, 2000);
  assert.equal(noValue.value, null);
  assert.deepEqual(noValue.key, big.key);
  assert.equal(header(noValue, 'trace')?.length, 400);
  assert.equal(header(noValue, 'floe.error.dropped'), 'value=5000');
  assert.equal(header(noValue, 'floe.original.offset'), '5', 'where the record is stays');
  const noKey = fitDeadLetter(whole, 1000);
  assert.deepEqual([noKey.value, noKey.key, header(noKey, 'floe.error.dropped')], [null, null, 'value=5000,key=300']);
  const bare = fitDeadLetter(whole, 600);
  assert.equal(header(bare, 'trace'), undefined);
  assert.equal(header(bare, 'floe.error.dropped'), 'value=5000,key=300,headers=405');
  assert.equal(header(bare, 'floe.error.class'), 'RouteError');

  const producer = new FakeProducer();
  const q = new DeadLetterQueue({ connector: 'c', tolerance: 'all', topic: 'd', producer, maxMessageBytes: 2000 });
  q.add(big, new RouteError('r'));
  q.add(rec(6, { value: Buffer.alloc(300) }), new RouteError('r'));
  q.add(rec(7, { value: Buffer.alloc(300) }), new RouteError('r'));
  await q.flush();
  assert.deepEqual(
    producer.sends.map((s) => s.messages.map((m) => header(m, 'floe.original.offset'))),
    [['5', '6'], ['7']],
    'batches stay under max.message.bytes too',
  );
  assert.equal(producer.delivered[0].value, null);
  assert.equal(producer.delivered[1].value?.length, 300);
});

test('a queue that can dead-letter needs a topic and a producer', () => {
  assert.throws(() => new DeadLetterQueue({ connector: 'c', tolerance: 'all' }), /dead-letter topic and producer/);
  assert.throws(() => new DeadLetterQueue({ connector: 'c', tolerance: 'none', onIncompatibleSchema: 'dead-letter', topic: 'd' }), /dead-letter topic and producer/);
  assert.doesNotThrow(() => new DeadLetterQueue({ connector: 'c', tolerance: 'none' }));
});
