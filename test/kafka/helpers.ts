// Shared by the tests against a real broker (scripts/stack/start.sh kafka; env from
// scripts/stack/env.sh). FLOE_TEST_KAFKA_BROKERS must be set: these tests fail, never skip.
import { spawn, spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer, type ProducerOptions } from '../../src/kafka/producer.ts';
import { createKafkaSource } from '../../src/kafka/source.ts';
import type { KafkaRecord } from '../../src/kafka/types.ts';
import { NoSuchTableError, parseTableName, type Catalog } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function brokers(): string[] {
  const v = process.env.FLOE_TEST_KAFKA_BROKERS;
  if (!v) {
    throw new Error('FLOE_TEST_KAFKA_BROKERS is not set: start the broker with scripts/stack/start.sh kafka and `source scripts/stack/env.sh`');
  }
  return v.split(',');
}

let n = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${n++}`;
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the broker's own classpath (Java producer for codec tests): FLOE_TEST_KAFKA_LIB or the stack's cache */
export function kafkaLibDir(): string {
  const explicit = process.env.FLOE_TEST_KAFKA_LIB;
  if (explicit) return explicit;
  const r = spawnSync('bash', ['-c', `source "${repo}/scripts/stack/lib.sh" && stack_kafka_dir`], { encoding: 'utf8' });
  const dir = path.join(r.stdout.trim(), 'lib');
  if (r.status !== 0 || !existsSync(dir) || !readdirSync(dir).some((f) => f.startsWith('kafka-clients'))) {
    throw new Error(`no Kafka classpath at "${dir}": run scripts/stack/setup.sh kafka or set FLOE_TEST_KAFKA_LIB`);
  }
  return dir;
}

/**
 * Produces `lines` ("key\tvalue") to a one-partition topic with Kafka's own Java console producer and the
 * given compression.type, in batches (linger) so that the codec really compresses record batches.
 */
export async function javaProduce(topic: string, compression: string, lines: string[]): Promise<void> {
  const lib = kafkaLibDir();
  const args = [
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    `${lib}/*`,
    'org.apache.kafka.tools.ConsoleProducer',
    '--bootstrap-server',
    brokers()[0]!,
    '--topic',
    topic,
    '--property',
    'parse.key=true',
    '--property',
    'key.separator=\t',
    '--producer-property',
    `compression.type=${compression}`,
    '--producer-property',
    'linger.ms=200',
  ];
  await new Promise<void>((resolve, reject) => {
    const p = spawn('java', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ConsoleProducer (${compression}) exited ${code}: ${err.slice(-2000)}`))));
    p.stdin.end(lines.join('\n') + '\n');
  });
}

/** An admin client and a producer for one test file: connected before its tests, closed after. */
export function kafkaClients(producerOptions: Partial<ProducerOptions> = {}): { readonly admin: KafkaAdmin; readonly producer: KafkaProducer } {
  const clients = {} as { admin: KafkaAdmin; producer: KafkaProducer };
  before(async () => {
    clients.admin = await KafkaAdmin.connect({ brokers: brokers() });
    clients.producer = await KafkaProducer.connect({ brokers: brokers(), ...producerOptions });
  });
  after(async () => {
    await clients.producer?.close();
    await clients.admin?.close();
  });
  return clients;
}

// ---- end-to-end helpers (formats, routing, incompatible schema changes) ----

/**
 * A record value in the Confluent wire format, written here independently of src/decode, as
 * io.confluent.kafka.serializers' Java serializers write it: magic byte 0, the schema id as a
 * big-endian int32, then for Protobuf the message-index path (MessageIndexes.toByteArray: the
 * path [0] as the single byte 0, else the count and each index as Kafka's zig-zag varints,
 * ByteUtils.writeVarint), then the payload.
 */
export function javaSerializerFrame(schemaId: number, payload: Uint8Array, protobufMessageIndexes?: readonly number[]): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeInt32BE(schemaId, 1);
  const parts: Buffer[] = [head];
  if (protobufMessageIndexes !== undefined) {
    const varint = (value: number): number[] => {
      let v = ((value << 1) ^ (value >> 31)) >>> 0; // zig-zag, as Java's (value << 1) ^ (value >> 31)
      const out: number[] = [];
      while ((v & 0xffffff80) !== 0) {
        out.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      out.push(v);
      return out;
    };
    const idx = protobufMessageIndexes;
    parts.push(Buffer.from(idx.length === 1 && idx[0] === 0 ? varint(0) : [...varint(idx.length), ...idx.flatMap(varint)]));
  }
  parts.push(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  return Buffer.concat(parts);
}

/**
 * Every message of a topic, read with a throwaway consumer group: waits until `expected`
 * messages arrived (take it from the topic's end offsets for an exact count), bounded.
 */
export async function readWholeTopic(topic: string, expected: number, timeoutMs = 60_000): Promise<KafkaRecord[]> {
  const got: KafkaRecord[] = [];
  if (expected === 0) return got;
  const src = createKafkaSource(
    { brokers: brokers(), groupId: uniqueName('floe-topic-reader'), topics: [topic], defaultStart: 'earliest', maxWaitMs: 200, sessionTimeoutMs: 10_000 },
    { onBatch: async (b) => void got.push(...b.records) },
  );
  await src.start();
  await waitFor(`${expected} messages in ${topic}`, () => got.length >= expected, timeoutMs).finally(() => src.stop());
  return got;
}

/** A dead letter's headers as strings (floe.error.*, floe.original.*). */
export function headerStrings(record: { headers: [string, Uint8Array | null][] }): Map<string, string | null> {
  const text = new TextDecoder();
  return new Map(record.headers.map(([key, value]) => [key, value ? text.decode(value) : null]));
}

/**
 * Waits until a table's offsets map (floe.kafka-offsets.<connector>) has at least `ends` for
 * every listed partition of `topic`. Rejects early with the connector's error if `failed` settles.
 */
export async function waitForTableOffsets(
  catalog: Catalog,
  connector: string,
  table: string,
  topic: string,
  ends: Map<number, bigint>,
  opts: { timeoutMs?: number; failed?: Promise<Error> } = {},
): Promise<void> {
  let failure: Error | undefined;
  void opts.failed?.then((e) => (failure = e));
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last = 'table not created yet';
  for (;;) {
    if (failure) throw new Error(`connector failed while waiting for ${table}: ${failure.message}`, { cause: failure });
    try {
      const t = await catalog.loadTable(parseTableName(table));
      const m = tableOffsets(t.metadata, connector).get(topic);
      last = JSON.stringify(Object.fromEntries([...(m ?? new Map())].map(([p, o]) => [p, String(o)])));
      if (m && [...ends].every(([p, end]) => (m.get(p) ?? -1n) >= end)) return;
    } catch (err) {
      if (!(err instanceof NoSuchTableError)) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`table ${table} did not reach offsets ${JSON.stringify(Object.fromEntries([...ends].map(([p, o]) => [p, String(o)])))} of ${topic} in time (last seen ${last})`);
    await sleep(200);
  }
}
