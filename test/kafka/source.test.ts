// KafkaSource, producer and admin against a real broker (FLOE_TEST_KAFKA_BROKERS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { type Compression, type OutgoingRecord } from '../../src/kafka/producer.ts';
import { createKafkaSource, type KafkaSourceOptions } from '../../src/kafka/source.ts';
import { tpKey, type KafkaRecord, type KafkaSourceHandlers, type StartPosition, type TopicPartition } from '../../src/kafka/types.ts';
import { brokers, kafkaClients, javaProduce, sleep, uniqueName, waitFor } from './helpers.ts';

const dec = new TextDecoder();
const kafka = kafkaClients();

function sourceOptions(topic: string | RegExp, extra: Partial<KafkaSourceOptions> = {}): KafkaSourceOptions {
  return {
    brokers: brokers(),
    groupId: uniqueName('floe-test-group'),
    topics: [topic],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 15_000,
    heartbeatIntervalMs: 300,
    maxWaitMs: 200,
    ...extra,
  };
}

/** n records per partition with distinct keys, values and headers; explicit partitions */
function recordsFor(topic: string, partitions: number, perPartition: number, tag = 'r'): OutgoingRecord[] {
  const out: OutgoingRecord[] = [];
  for (let i = 0; i < perPartition; i++) {
    for (let p = 0; p < partitions; p++) {
      out.push({
        topic,
        partition: p,
        key: i % 7 === 3 ? null : `key-${p}-${i}`,
        value: i % 11 === 5 ? null : `{"p":${p},"i":${i},"tag":"${tag}"}`,
        headers: i % 2 === 0 ? { trace: `t-${p}-${i}`, bin: new Uint8Array([p, i & 0xff, 0, 255]) } : {},
      });
    }
  }
  return out;
}

/** a comparable form of a produced record (offset = its index within its partition, fresh topic) */
function expectedRows(records: OutgoingRecord[], offsetBase = 0): string[] {
  const next = new Map<number, number>();
  return records.map((r) => {
    const o = next.get(r.partition!) ?? offsetBase;
    next.set(r.partition!, o + 1);
    const key = r.key == null ? null : String(r.key);
    const value = r.value == null ? null : String(r.value);
    const headers = Object.entries(r.headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : Buffer.from(v).toString('hex')]);
    return JSON.stringify([r.topic, r.partition, o, key, value, headers]);
  });
}

function row(r: KafkaRecord): string {
  const headers = r.headers.map(([key, value]) => [key, key === 'bin' ? Buffer.from(value!).toString('hex') : dec.decode(value!)]);
  return JSON.stringify([r.topic, r.partition, Number(r.offset), r.key === null ? null : dec.decode(r.key), r.value === null ? null : dec.decode(r.value), headers]);
}

function collector(extra: Partial<KafkaSourceHandlers> = {}) {
  const got: KafkaRecord[] = [];
  const assigned: TopicPartition[][] = [];
  const revoked: { partitions: TopicPartition[]; reason: string }[] = [];
  const handlers: KafkaSourceHandlers = {
    onBatch: async (b) => {
      assert.ok(b.records.length > 0);
      for (let i = 1; i < b.records.length; i++) assert.ok(b.records[i]!.offset > b.records[i - 1]!.offset);
      assert.equal(b.nextOffset, b.records.at(-1)!.offset + 1n);
      got.push(...b.records);
    },
    onAssigned: (tps) => {
      assigned.push(tps);
      return new Map();
    },
    onRevoked: (tps, reason) => {
      revoked.push({ partitions: tps, reason });
    },
    ...extra,
  };
  return { got, assigned, revoked, handlers };
}

const sortTps = (tps: TopicPartition[]) => tps.map((t) => `${t.topic}:${t.partition}`).sort();

test('consumes all of a 4-partition topic exactly: topic, partition, offset, key, value, headers', async () => {
  const topic = uniqueName('floe-src-all');
  await kafka.admin.createTopic(topic, { partitions: 4 });
  const records = recordsFor(topic, 4, 60);
  await kafka.producer.send(records);
  const ends = await kafka.admin.endOffsets(topic);
  assert.deepEqual([...ends.values()], [60n, 60n, 60n, 60n]);

  const c = collector();
  const source = createKafkaSource(sourceOptions(topic, { defaultStart: 'earliest' }), c.handlers);
  await source.start();
  assert.deepEqual(
    sortTps(source.assignment()),
    [0, 1, 2, 3].map((p) => `${topic}:${p}`),
  );
  await waitFor('240 records', () => c.got.length >= 240);
  await sleep(500); // nothing more may arrive
  await source.stop();
  assert.deepEqual(c.got.map(row).sort(), expectedRows(records).sort());
  for (const r of c.got) assert.ok(r.timestamp > 1_600_000_000_000 && r.timestamp < Date.now() + 60_000);
  assert.deepEqual(
    c.revoked.map((r) => r.reason),
    ['stop'],
  );
  assert.deepEqual(sortTps(c.revoked[0]!.partitions), sortTps(c.assigned.flat()));
  await kafka.admin.deleteTopics([topic]);
});

test('each partition starts where onAssigned says: exact offsets, latest, committed', async () => {
  const topic = uniqueName('floe-src-seek');
  await kafka.admin.createTopic(topic, { partitions: 4 });
  await kafka.producer.send(recordsFor(topic, 4, 30));
  const groupId = uniqueName('floe-seek-group');
  // a committed offset for partition 3 from an earlier member of the group
  const first = createKafkaSource(sourceOptions(topic, { groupId, defaultStart: 'latest' }), collector().handlers);
  await first.start();
  await first.commit([{ topic, partition: 3, offset: 17n }]);
  await first.stop();

  const starts = new Map<string, StartPosition>([
    [tpKey(topic, 0), 10n],
    [tpKey(topic, 1), 0n],
    [tpKey(topic, 2), 'latest'],
    [tpKey(topic, 3), { committed: true }],
  ]);
  const c = collector({ onAssigned: () => starts });
  const source = createKafkaSource(sourceOptions(topic, { groupId }), c.handlers);
  await source.start();
  assert.equal(source.position({ topic, partition: 0 }) !== undefined, true);
  await waitFor('20 + 30 + 13 records', () => c.got.length >= 63);
  await sleep(500);
  const byP = (p: number) => c.got.filter((r) => r.partition === p).map((r) => Number(r.offset));
  assert.deepEqual(
    byP(0),
    Array.from({ length: 20 }, (_, i) => 10 + i),
  );
  assert.deepEqual(
    byP(1),
    Array.from({ length: 30 }, (_, i) => i),
  );
  assert.deepEqual(byP(2), []);
  assert.deepEqual(
    byP(3),
    Array.from({ length: 13 }, (_, i) => 17 + i),
  );
  // latest means records produced from now on
  await kafka.producer.send([{ topic, partition: 2, key: 'late', value: 'after-start' }]);
  await waitFor('the late record', () => byP(2).length === 1);
  assert.deepEqual(byP(2), [30]);
  // seek back while running
  source.seek({ topic, partition: 1, offset: 28n });
  await waitFor('re-read of 28, 29', () => byP(1).length === 32);
  assert.deepEqual(byP(1).slice(30), [28, 29]);
  await source.stop();
  await kafka.admin.deleteTopics([topic]);
});

test('pause holds one partition back while the others flow; resume delivers it', async () => {
  const topic = uniqueName('floe-src-pause');
  await kafka.admin.createTopic(topic, { partitions: 4 });
  await kafka.producer.send(recordsFor(topic, 4, 25));
  let source!: ReturnType<typeof createKafkaSource>;
  const c = collector({
    onAssigned: (tps) => {
      source.pause([{ topic, partition: 0 }]);
      return new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), 0n]));
    },
  });
  source = createKafkaSource(sourceOptions(topic), c.handlers);
  await source.start();
  assert.deepEqual(source.paused(), [{ topic, partition: 0 }]);
  await waitFor('partitions 1-3', () => c.got.length >= 75);
  await sleep(1000);
  assert.equal(c.got.filter((r) => r.partition === 0).length, 0, 'a paused partition was fetched');
  // pausing mid-stream: partition 1 gets more records while paused
  source.pause([{ topic, partition: 1 }]);
  await kafka.producer.send(recordsFor(topic, 4, 5, 'more').filter((r) => r.partition === 1 || r.partition === 2));
  await waitFor('partition 2 more', () => c.got.filter((r) => r.partition === 2).length === 30);
  await sleep(500);
  assert.equal(c.got.filter((r) => r.partition === 1).length, 25);
  source.resume([
    { topic, partition: 0 },
    { topic, partition: 1 },
  ]);
  await waitFor('all', () => c.got.length >= 110);
  assert.deepEqual(
    c.got.filter((r) => r.partition === 0).map((r) => Number(r.offset)),
    Array.from({ length: 25 }, (_, i) => i),
  );
  assert.deepEqual(
    c.got.filter((r) => r.partition === 1).map((r) => Number(r.offset)),
    Array.from({ length: 30 }, (_, i) => i),
  );
  assert.deepEqual(source.paused(), []);
  await source.stop();
  await kafka.admin.deleteTopics([topic]);
});

test('small fetches: a seek, a pause or a slow batch inside onBatch loses and repeats nothing', async () => {
  // small fetches (one record batch of 10 records a partition): many responses, each with the next one already in flight
  const topic = uniqueName('floe-src-ahead');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  // 40 sends of 10 records a partition: a record batch of Kafka's is never split by a fetch
  const all = recordsFor(topic, 2, 400);
  for (let i = 0; i < all.length; i += 20) await kafka.producer.send(all.slice(i, i + 20));
  let source!: ReturnType<typeof createKafkaSource>;
  const batches: { partition: number; first: number; last: number }[] = [];
  let sought = false;
  let paused = false;
  const c = collector({
    onAssigned: (tps) => new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), 0n])),
    onBatch: async (b) => {
      batches.push({ partition: b.partition, first: Number(b.records[0]!.offset), last: Number(b.records.at(-1)!.offset) });
      c.got.push(...b.records);
      // partition 0: once past offset 150, go back to 100 (as a fenced table's rewind does)
      if (b.partition === 0 && !sought && b.nextOffset > 150n) {
        sought = true;
        source.seek({ topic, partition: 0, offset: 100n });
      }
      // partition 1: once past 150, pause it for a while (as backpressure does), then resume
      if (b.partition === 1 && !paused && b.nextOffset > 150n) {
        paused = true;
        source.pause([{ topic, partition: 1 }]);
        setTimeout(() => source.resume([{ topic, partition: 1 }]), 700);
      }
      // a slow batch
      await sleep(5);
    },
  });
  source = createKafkaSource(sourceOptions(topic, { maxBytesPerPartition: 512, maxBytes: 1024, maxWaitMs: 100 }), c.handlers);
  await source.start();
  await waitFor('both partitions to their end', () => c.got.filter((r) => r.partition === 1).length >= 400 && c.got.filter((r) => r.partition === 0).at(-1)?.offset === 399n);
  await sleep(500);
  await source.stop();
  assert.ok(batches.length > 20, `${batches.length} batches: fetches were small`);
  // every batch of a partition starts where the one before ended, except once at the seek target
  for (const p of [0, 1]) {
    const mine = batches.filter((b) => b.partition === p);
    let next = 0;
    let jumps = 0;
    for (const b of mine) {
      if (b.first !== next) {
        jumps++;
        assert.equal(p, 0, `partition ${p}: batch at ${b.first} after ${next}`);
        assert.equal(b.first, 100, 'the batch after the seek starts at its target');
      }
      next = b.last + 1;
    }
    assert.equal(next, 400, `partition ${p} read to its end`);
    assert.equal(jumps, p === 0 ? 1 : 0);
  }
  const offsets1 = c.got.filter((r) => r.partition === 1).map((r) => Number(r.offset));
  assert.deepEqual(
    offsets1,
    Array.from({ length: 400 }, (_, i) => i),
    'the paused partition: every record once, in order',
  );
  await kafka.admin.deleteTopics([topic]);
});

test('two members split the partitions; a rebalance hands them over and onRevoked sees them', async () => {
  const topic = uniqueName('floe-src-group');
  await kafka.admin.createTopic(topic, { partitions: 4 });
  const groupId = uniqueName('floe-rebalance-group');
  const a = collector();
  const srcA = createKafkaSource(sourceOptions(topic, { groupId, defaultStart: 'earliest' }), a.handlers);
  await srcA.start();
  assert.equal(srcA.assignment().length, 4);

  const b = collector();
  const srcB = createKafkaSource(sourceOptions(topic, { groupId, defaultStart: 'earliest' }), b.handlers);
  await srcB.start();
  await waitFor('A to give up partitions', () => a.revoked.length > 0 && srcA.assignment().length < 4, 30_000);
  const mineA = sortTps(srcA.assignment());
  const mineB = sortTps(srcB.assignment());
  assert.ok(mineA.length > 0 && mineB.length > 0, `A ${mineA} B ${mineB}`);
  assert.deepEqual(
    [...mineA, ...mineB].sort(),
    [0, 1, 2, 3].map((p) => `${topic}:${p}`),
  );
  // what A lost is exactly what B holds
  assert.deepEqual(sortTps(a.revoked.filter((r) => r.reason === 'rebalance').flatMap((r) => r.partitions)), mineB);

  // records now flow to their owner only
  const records = recordsFor(topic, 4, 10);
  await kafka.producer.send(records);
  await waitFor('40 records over both members', () => a.got.length + b.got.length >= 40);
  await sleep(500);
  assert.deepEqual(
    sortTps(a.got).filter((v, i, arr) => arr.indexOf(v) === i),
    mineA,
  );
  assert.deepEqual(
    sortTps(b.got).filter((v, i, arr) => arr.indexOf(v) === i),
    mineB,
  );
  assert.deepEqual([...a.got, ...b.got].map(row).sort(), expectedRows(records).sort());

  // B leaves: A gets everything back
  await srcB.stop();
  assert.deepEqual(sortTps(b.revoked.at(-1)!.partitions), mineB);
  assert.equal(b.revoked.at(-1)!.reason, 'stop');
  await waitFor('A to own all 4 again', () => srcA.assignment().length === 4, 30_000);
  assert.deepEqual(sortTps(a.assigned.at(-1)!), mineB);
  await srcA.stop();
  await kafka.admin.deleteTopics([topic]);
});

test('explicit group offset commits are visible through the admin API', async () => {
  const topic = uniqueName('floe-src-commit');
  await kafka.admin.createTopic(topic, { partitions: 4 });
  await kafka.producer.send(recordsFor(topic, 4, 5));
  const opts = sourceOptions(topic, { defaultStart: 'earliest' });
  const c = collector();
  const source = createKafkaSource(opts, c.handlers);
  await source.start();
  await waitFor('20 records', () => c.got.length >= 20);
  assert.equal((await kafka.admin.committedOffsets(opts.groupId)).size, 0, 'nothing committed before commit()');
  await source.commit([
    { topic, partition: 0, offset: 5n },
    { topic, partition: 2, offset: 3n },
  ]);
  const committed = await kafka.admin.committedOffsets(opts.groupId);
  assert.deepEqual([...committed.get(topic)!].sort(), [
    [0, 5n],
    [2, 3n],
  ]);
  await source.stop();
  await kafka.admin.deleteTopics([topic]);
});

test('topics by regex: matching topics only, whole-name match', async () => {
  const base = uniqueName('floe-rx');
  const t1 = `${base}.orders`;
  const t2 = `${base}.payments`;
  const other = `${base}.orders-dlq`;
  for (const t of [t1, t2, other]) await kafka.admin.createTopic(t, { partitions: 1 });
  await kafka.producer.send([t1, t2, other].map((topic) => ({ topic, key: 'k', value: topic })));
  const c = collector();
  const re = new RegExp(`${base.replace(/[.-]/g, (m) => `\\${m}`)}\\.(orders|payments)`);
  const source = createKafkaSource(sourceOptions(re, { defaultStart: 'earliest' }), c.handlers);
  await source.start();
  await waitFor('2 records', () => c.got.length >= 2);
  await sleep(500);
  assert.deepEqual(c.got.map((r) => r.topic).sort(), [t1, t2]);
  await source.stop();
  await kafka.admin.deleteTopics([t1, t2, other]);
});

test('stop() leaves the group within its bound; the group has no members afterwards', async () => {
  const topic = uniqueName('floe-src-stop');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const opts = sourceOptions(topic);
  const source = createKafkaSource(opts, collector().handlers);
  await source.start();
  const t0 = Date.now();
  await source.stop(5000);
  assert.ok(Date.now() - t0 < 6000, `stop took ${Date.now() - t0} ms`);
  await source.done;
  const g = await kafka.admin.describeGroup(opts.groupId);
  assert.equal(g.members.length, 0, `members left: ${JSON.stringify(g)}`);
  await kafka.admin.deleteTopics([topic]);
});

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

test('records compressed with each codec by our producer decode', async () => {
  const topic = uniqueName('floe-src-codec');
  await kafka.admin.createTopic(topic, { partitions: CODECS.length });
  const all: OutgoingRecord[] = [];
  for (const [p, codec] of CODECS.entries()) {
    const recs = Array.from({ length: 200 }, (_, i) => ({
      topic,
      partition: p,
      key: `${codec}-${i}`,
      value: `{"codec":"${codec}","i":${i},"pad":"${'abc'.repeat(20)}"}`,
    }));
    await kafka.producer.send(recs, codec);
    all.push(...recs);
  }
  const c = collector();
  const source = createKafkaSource(sourceOptions(topic, { defaultStart: 'earliest' }), c.handlers);
  await source.start();
  await waitFor('all codecs', () => c.got.length >= all.length);
  await source.stop();
  assert.deepEqual(c.got.map(row).sort(), expectedRows(all).sort());
  await kafka.admin.deleteTopics([topic]);
});

test("records compressed with each codec by Kafka's Java producer decode", { timeout: 300_000 }, async () => {
  const codecs = ['gzip', 'snappy', 'lz4', 'zstd'];
  const expected: string[] = [];
  const topics: string[] = [];
  for (const codec of codecs) {
    const topic = uniqueName(`floe-java-${codec}`);
    topics.push(topic);
    await kafka.admin.createTopic(topic, { partitions: 1 });
    const lines = Array.from({ length: 300 }, (_, i) => `${codec}-k${i}\t{"codec":"${codec}","i":${i},"pad":"${'xyz'.repeat(30)}"}`);
    await javaProduce(topic, codec, lines);
    expected.push(...lines.map((l, i) => `${topic}|${i}|${l}`));
  }
  const c = collector();
  const source = createKafkaSource({ ...sourceOptions(topics[0]!, { defaultStart: 'earliest' }), topics }, c.handlers);
  await source.start();
  await waitFor('all Java-produced records', () => c.got.length >= expected.length, 60_000);
  await source.stop();
  const got = c.got.map((r) => `${r.topic}|${r.offset}|${dec.decode(r.key!)}\t${dec.decode(r.value!)}`);
  assert.deepEqual(got.sort(), expected.sort());
  await kafka.admin.deleteTopics(topics);
});

test('the producer reports the base offset of each partition it wrote', async () => {
  const topic = uniqueName('floe-prod-offsets');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  await kafka.producer.send(recordsFor(topic, 2, 3));
  const res = await kafka.producer.send(recordsFor(topic, 2, 4, 'second'));
  assert.deepEqual(res.map((o) => [o.topic, o.partition, o.offset]).sort(), [
    [topic, 0, 3n],
    [topic, 1, 3n],
  ]);
  assert.deepEqual([...(await kafka.admin.endOffsets(topic)).values()], [7n, 7n]);
  assert.deepEqual([...(await kafka.admin.startOffsets(topic)).values()], [0n, 0n]);
  await kafka.admin.deleteTopics([topic]);
});

test('a failing onBatch stops the source: done rejects with it, onError sees it, nothing is skipped silently', async () => {
  const topic = uniqueName('floe-src-fail');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.producer.send(recordsFor(topic, 1, 10));
  const errors: Error[] = [];
  let calls = 0;
  const source = createKafkaSource(sourceOptions(topic, { defaultStart: 'earliest' }), {
    onBatch: async () => {
      calls++;
      throw new Error('disk full');
    },
    onError: (e) => errors.push(e),
  });
  await source.start();
  await assert.rejects(source.done, /onBatch failed: disk full/);
  assert.equal(calls, 1, 'the failed batch was not retried past, nor followed by later batches');
  assert.equal(errors.length, 1);
  await kafka.admin.deleteTopics([topic]);
});

test('read_committed: records of aborted transactions are not delivered, the markers are passed over; read_uncommitted gets them all', async () => {
  const topic = uniqueName('floe-src-txn');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  // transactions written by the library's own transactional producer: committed, aborted, committed
  const producer = new Producer({ clientId: 'floe-test-txn', bootstrapBrokers: brokers(), idempotent: true, transactionalId: uniqueName('floe-txn'), serializers: stringSerializers });
  const sent: [string, 'commit' | 'abort'][] = [];
  try {
    for (const [i, outcome] of (['commit', 'abort', 'commit', 'abort', 'commit'] as const).entries()) {
      const txn = await producer.beginTransaction();
      const values = Array.from({ length: 3 + i }, (_, j) => `txn${i}-${j}`);
      await txn.send({ messages: values.map((value) => ({ topic, partition: 0, key: 'k', value })) });
      if (outcome === 'commit') await txn.commit();
      else await txn.abort();
      for (const v of values) sent.push([v, outcome]);
    }
  } finally {
    await producer.close();
  }
  const end = (await kafka.admin.endOffsets(topic)).get(0)!;
  const read = async (isolationLevel: 'read_committed' | 'read_uncommitted') => {
    // a batch ending before a marker ends past its last record: nextOffset skips the marker
    const c = collector({
      onBatch: async (b) => {
        assert.ok(b.nextOffset > b.records.at(-1)!.offset);
        c.got.push(...b.records);
      },
    });
    const source = createKafkaSource(sourceOptions(topic, { defaultStart: 'earliest', isolationLevel }), c.handlers);
    await source.start();
    const wanted = sent.filter(([, o]) => isolationLevel === 'read_uncommitted' || o === 'commit').length;
    await waitFor(`${wanted} records (${isolationLevel})`, () => c.got.length >= wanted);
    await sleep(500);
    await source.stop();
    return c.got;
  };
  const committed = await read('read_committed');
  assert.deepEqual(
    committed.map((r) => dec.decode(r.value!)),
    sent.filter(([, o]) => o === 'commit').map(([v]) => v),
  );
  // five transaction markers take offsets too: the last record is below the end offset
  assert.ok(committed.at(-1)!.offset < end - 1n, `last ${committed.at(-1)!.offset}, end ${end}`);
  const all = await read('read_uncommitted');
  assert.deepEqual(
    all.map((r) => dec.decode(r.value!)),
    sent.map(([v]) => v),
  );
  await kafka.admin.deleteTopics([topic]);
});
