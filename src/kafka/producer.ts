// A small producer: the dead-letter topic, the demo and tests. Idempotent by default (acks=all).
import { Producer } from '@platformatic/kafka';
import { clientBaseOptions } from './connection.ts';
import { connectError, describeKafkaError, kafkaErrorKind } from './errors.ts';
import { RetryBudget } from './retry-budget.ts';
import { probeTls } from './tls-probe.ts';
import type { KafkaConnectionOptions, TopicPartitionOffset } from './types.ts';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions extends KafkaConnectionOptions {
  compression?: Compression;
  /** default true (acks=all, producer id and sequence numbers) */
  idempotent?: boolean;
  /**
   * how long send() retries brokers that are down or restarting before it fails with an error
   * naming them (default 0: fail after the client's own few retries). A retried send may write a
   * record twice if the first try landed but its answer was lost (at least once): the client
   * drops its producer id after a failed send, so the broker cannot tell the two apart.
   */
  reconnectTimeoutMs?: number;
  /** told about each retried send */
  log?: (message: string) => void;
}

export interface OutgoingRecord {
  topic: string;
  /** explicit partition; otherwise by key (murmur2, as Java does) or round robin */
  partition?: number;
  key?: string | Uint8Array | null;
  value: string | Uint8Array | null;
  /** A list keeps Kafka's shape: in order, a key may repeat, a value may be null. */
  headers?: Record<string, string | Uint8Array> | readonly (readonly [string, string | Uint8Array | null])[];
  /** ms since the epoch */
  timestamp?: bigint;
}

function buf(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export class KafkaProducer {
  readonly #producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  readonly #compression: Compression;
  readonly #options: ProducerOptions;

  private constructor(producer: Producer<Buffer, Buffer, Buffer, Buffer>, options: ProducerOptions) {
    this.#producer = producer;
    this.#compression = options.compression ?? 'none';
    this.#options = options;
  }

  static async connect(options: ProducerOptions): Promise<KafkaProducer> {
    const idempotent = options.idempotent ?? true;
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...clientBaseOptions(options, 'producer'),
      idempotent,
      acks: -1,
      autocreateTopics: false,
    });
    try {
      await producer.metadata({ topics: [] });
    } catch (err) {
      await producer.close().catch(() => {});
      throw connectError(options, (await probeTls(options)) ?? err);
    }
    return new KafkaProducer(producer, options);
  }

  /**
   * sends the records (one request per leader), resolves when all are acknowledged, with the base
   * offset the broker gave each partition's batch (the first record of that partition in `records`)
   */
  async send(records: OutgoingRecord[], compression: Compression = this.#compression): Promise<TopicPartitionOffset[]> {
    if (records.length === 0) return [];
    const messages = records.map((r) => {
      // The client writes a Map's entries in order; each key is its own Buffer, so a repeated
      // key is a second entry, not an overwrite.
      const headers = new Map<Buffer, Buffer>();
      const pairs = Array.isArray(r.headers) ? r.headers : Object.entries(r.headers ?? {});
      for (const [k, v] of pairs) headers.set(Buffer.from(k, 'utf8'), (v === null ? null : buf(v)) as Buffer);
      return {
        topic: r.topic,
        ...(r.partition === undefined ? {} : { partition: r.partition }),
        ...(r.key == null ? {} : { key: buf(r.key) }),
        // a null value (tombstone) is sent as an absent value
        ...(r.value === null ? {} : { value: buf(r.value) }),
        ...(r.timestamp === undefined ? {} : { timestamp: r.timestamp }),
        headers,
      };
    });
    const budget = new RetryBudget({ giveUpAfterMs: this.#options.reconnectTimeoutMs ?? 0, initialDelayMs: 250 });
    for (;;) {
      try {
        const res = await this.#producer.send({ messages, compression });
        if (budget.failures > 0) {
          const topics = [...new Set(records.map((r) => r.topic))].join(',');
          this.#options.log?.(
            `kafka: sent ${records.length} records to ${topics} on ${this.#options.brokers.join(',')} after ${budget.failures} failures over ${(budget.failingFor() / 1000).toFixed(1)} s`,
          );
        }
        return (res.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }));
      } catch (err) {
        const topics = [...new Set(records.map((r) => r.topic))].join(',');
        const where = `${records.length} records to ${topics} on ${this.#options.brokers.join(',')}`;
        const d = budget.failed();
        if (kafkaErrorKind(err) !== 'retryable' || !d.retry) {
          const lasted = d.failures > 1 ? ` (retried for ${(d.failingForMs / 1000).toFixed(1)} s, reconnectTimeoutMs=${budget.giveUpAfterMs})` : '';
          throw new Error(`kafka: sending ${where} failed${lasted}: ${describeKafkaError(err, this.#options)}`, { cause: err });
        }
        this.#options.log?.(`kafka: sending ${where} failed (${d.failures}): ${describeKafkaError(err, this.#options)}; again in ${d.delayMs} ms`);
        await new Promise((r) => setTimeout(r, d.delayMs));
      }
    }
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
