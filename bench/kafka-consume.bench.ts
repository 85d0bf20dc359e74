// Consume throughput of the Kafka client candidates, one consumer-group member each, on a
// pre-filled topic (default 1M records of ~300 bytes over 12 partitions).
//
//   node bench/kafka-consume.bench.ts [--clients floe,platformatic,kafkajs,confluent] [--repeat 3]
//        [--records 1000000] [--size 300] [--partitions 12] [--topic floe-bench-consume]
//        [--no-pin]
//
// Brokers: FLOE_TEST_KAFKA_BROKERS (default 127.0.0.1:9092). Each run is a child process with a
// fresh group id that reads the topic from the earliest offset, touching every key and value;
// unless --no-pin, the child is pinned to one core with `taskset -c <last cpu>`. A client that
// is not installed is reported as skipped. Progress goes to stderr; the last line on stdout is
// one JSON object with every run.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { KafkaProducer } from '../src/kafka/producer.ts';

type ClientName = 'floe' | 'platformatic' | 'kafkajs' | 'confluent';
// floe = src/kafka/source.ts (our fetch loop on @platformatic/kafka's group membership);
// platformatic = that library's own MessagesStream
const ALL_CLIENTS: ClientName[] = ['floe', 'platformatic', 'kafkajs', 'confluent'];

interface RunResult {
  client: string;
  records: number;
  bytes: number;
  /** from the consumer's start until the last record (includes connect and group join) */
  totalMs: number;
  /** from the first record to the last */
  steadyMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  error?: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

// candidates that lost are not dependencies: load them by a computed name so the typecheck
// does not need them installed

const load = (name: string): Promise<any> => import(name);

const brokers = (process.env.FLOE_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

// ---------------------------------------------------------------- child: one measured run
async function child(client: ClientName, topic: string, expected: number): Promise<void> {
  const groupId = `floe-bench-${client}-${process.pid}-${Date.now()}`;
  let records = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  const start = performance.now();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const count = (key: Uint8Array | null | undefined, value: Uint8Array | null | undefined) => {
    if (records === 0) first = performance.now();
    records++;
    bytes += (key?.length ?? 0) + (value?.length ?? 0);
    if (records >= expected && last === 0) {
      last = performance.now();
      finish();
    }
  };
  const timeout = setTimeout(() => {
    process.stderr.write(`timeout after ${records} records\n`);
    process.exit(3);
  }, 600_000);

  if (client === 'floe') {
    const { createKafkaSource } = await import('../src/kafka/source.ts');
    const source = createKafkaSource(
      { brokers, groupId, topics: [topic], defaultStart: 'earliest' },
      {
        onBatch: async (b) => {
          for (const r of b.records) count(r.key, r.value);
        },
      },
    );
    await source.start();
    await done;
    await source.stop();
  } else if (client === 'platformatic') {
    const { Consumer } = await import('@platformatic/kafka');
    const consumer = new Consumer({ clientId: 'floe-bench', groupId, bootstrapBrokers: brokers, autocommit: false });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    stream.on('data', (m) => count(m.key, m.value));
    await done;
    await stream.close();
    await consumer.close(true);
  } else if (client === 'kafkajs') {
    const { Kafka, logLevel } = await load('kafkajs');
    const kafka = new Kafka({ clientId: 'floe-bench', brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, maxBytes: 50 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }: { batch: { messages: { key: Buffer | null; value: Buffer | null }[] } }) => {
        for (const m of batch.messages) count(m.key, m.value);
      },
    });
    await done;
    await consumer.disconnect();
  } else {
    const mod = await load('@confluentinc/kafka-javascript');
    const KafkaJS = mod.KafkaJS ?? mod.default!.KafkaJS;
    const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers, logLevel: KafkaJS.logLevel.NOTHING } });
    const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false } });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      eachBatch: async ({ batch }: { batch: { messages: { key: Buffer | null; value: Buffer | null }[] } }) => {
        for (const m of batch.messages) count(m.key, m.value);
      },
    });
    await done;
    await consumer.disconnect();
  }
  clearTimeout(timeout);
  const steadyMs = last - first;
  const result: RunResult = {
    client,
    records,
    bytes,
    totalMs: Math.round(last - start),
    steadyMs: Math.round(steadyMs),
    recordsPerSec: Math.round(records / (steadyMs / 1000)),
    mbPerSec: Math.round((bytes / 1e6 / (steadyMs / 1000)) * 10) / 10,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

// ---------------------------------------------------------------- parent: prepare, run, report
async function prefill(topic: string, partitions: number, records: number, size: number): Promise<void> {
  const admin = await KafkaAdmin.connect({ brokers });
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) await admin.createTopic(topic, { partitions });
    const ends = await admin.endOffsets(topic);
    const have = [...ends.values()].reduce((a, b) => a + b, 0n);
    if (have >= BigInt(records)) {
      process.stderr.write(`topic ${topic} already holds ${have} records\n`);
      return;
    }
    if (have > 0n) throw new Error(`topic ${topic} holds ${have} of ${records} records: delete it and run again`);
  } finally {
    await admin.close();
  }
  process.stderr.write(`filling ${topic} with ${records} records of ~${size} bytes\n`);
  const producer = await KafkaProducer.connect({ brokers, compression: 'none' });
  const t0 = performance.now();
  try {
    const filler = 'x'.repeat(size);
    const batch = 5000;
    for (let i = 0; i < records; i += batch) {
      const msgs = [];
      for (let j = i; j < Math.min(records, i + batch); j++) {
        // JSON-looking value of ~size bytes; the key spreads records over the partitions
        const head = `{"id":${j},"customer":"c-${j % 9973}","ts":${1_700_000_000_000 + j},"pad":"`;
        const value = head + filler.slice(0, Math.max(0, size - head.length - 2)) + '"}';
        msgs.push({ topic, key: `k-${j}`, value });
      }
      await producer.send(msgs);
    }
  } finally {
    await producer.close();
  }
  process.stderr.write(`filled in ${Math.round(performance.now() - t0)} ms\n`);
}

function runChild(client: ClientName, topic: string, expected: number, pin: boolean): RunResult {
  const self = fileURLToPath(import.meta.url);
  const cpu = os.availableParallelism() - 1;
  const argv = [process.execPath, self, '--child', client, '--topic', topic, '--records', String(expected)];
  const cmd = pin ? ['taskset', '-c', String(cpu), ...argv] : argv;
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 660_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunResult;
  } catch {
    const err = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
    return { client, records: 0, bytes: 0, totalMs: 0, steadyMs: 0, recordsPerSec: 0, mbPerSec: 0, error: err };
  }
}

async function installed(client: ClientName): Promise<boolean> {
  const pkg = { floe: '@platformatic/kafka', platformatic: '@platformatic/kafka', kafkajs: 'kafkajs', confluent: '@confluentinc/kafka-javascript' }[client];
  try {
    await load(pkg);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const topic = arg('topic', 'floe-bench-consume');
  const records = Number(arg('records', '1000000'));
  if (process.argv.includes('--child')) {
    await child(arg('child', 'platformatic') as ClientName, topic, records);
    return;
  }
  const size = Number(arg('size', '300'));
  const partitions = Number(arg('partitions', '12'));
  const repeat = Number(arg('repeat', '3'));
  const pin = !process.argv.includes('--no-pin');
  const clients = arg('clients', ALL_CLIENTS.join(',')).split(',') as ClientName[];
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
    pinnedToOneCore: pin,
  };
  process.stderr.write(`machine ${JSON.stringify(machine)}\n`);
  await prefill(topic, partitions, records, size);
  const runs: RunResult[] = [];
  const skipped: string[] = [];
  for (const c of clients) if (!(await installed(c))) skipped.push(c);
  const active = clients.filter((c) => !skipped.includes(c));
  // interleave the clients so a burst of load from elsewhere hits all of them alike
  for (let i = 0; i < repeat; i++) {
    for (const c of active) {
      const r = runChild(c, topic, records, pin);
      process.stderr.write(`${JSON.stringify(r)}\n`);
      runs.push(r);
    }
  }
  const summary: Record<string, { recordsPerSec: number[]; mbPerSec: number[]; median: number }> = {};
  for (const c of active) {
    const ok = runs.filter((r) => r.client === c && !r.error);
    const rps = ok.map((r) => r.recordsPerSec).sort((a, b) => a - b);
    summary[c] = {
      recordsPerSec: rps,
      mbPerSec: ok.map((r) => r.mbPerSec).sort((a, b) => a - b),
      median: rps[Math.floor(rps.length / 2)] ?? 0,
    };
  }
  machine.loadavg = os.loadavg().map((l) => Math.round(l * 10) / 10);
  process.stdout.write(JSON.stringify({ bench: 'kafka-consume', topic, records, size, partitions, machine, skipped, summary, runs }) + '\n');
}

await main();
