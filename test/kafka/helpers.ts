// Shared by the tests against a real broker (scripts/stack/start.sh kafka; env from
// scripts/stack/env.sh). FLOE_TEST_KAFKA_BROKERS must be set: these tests fail, never skip.
import { spawn, spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer, type ProducerOptions } from '../../src/kafka/producer.ts';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function brokers(): string[] {
  const v = process.env.FLOE_TEST_KAFKA_BROKERS;
  if (!v) {
    throw new Error(
      'FLOE_TEST_KAFKA_BROKERS is not set: start the broker with scripts/stack/start.sh kafka and `source scripts/stack/env.sh`',
    );
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
