// The pipeline's RecordSource on a real Kafka consumer-group member (src/kafka/source.ts).
import { describeKafkaError, kafkaErrorKind } from '../kafka/errors.ts';
import { FloeError } from '../errors.ts';
import { createKafkaSource } from '../kafka/source.ts';
import type { KafkaSourceOptions } from '../kafka/source.ts';
import type { KafkaSource } from '../kafka/types.ts';
import type { RecordSource, SourceHandlers } from './source.ts';
import type { TopicPartition } from '../commit/offsets-map.ts';

export class KafkaRecordSource implements RecordSource {
  private readonly options: KafkaSourceOptions;
  private source: KafkaSource | undefined;
  /** true once a consumer joined: from then on its fatal error is the source's */
  private started = false;
  /** Called with each batch's lag (high watermark minus next offset), for metrics. */
  onLag?: (tp: TopicPartition, lag: bigint) => void;
  /** The error that stopped the consumer after it had started (brokers gone past the bound, ...). */
  error: Error | undefined;
  /** Resolves with that error: the consumer stopped by itself and nothing is read any more. */
  readonly failed: Promise<Error>;
  /** Seeks per partition so far: a batch fetched under an older count is stale (SourceHandlers.onBatch). */
  private readonly seeks = new Map<string, number>();
  private signalFailed!: (e: Error) => void;

  constructor(options: KafkaSourceOptions) {
    this.options = options;
    this.failed = new Promise((resolve) => (this.signalFailed = resolve));
  }

  /**
   * Joins the group. A fresh broker answers the first joins with "coordinator not available"
   * while it creates __consumer_offsets, and a restarting one refuses connections: joining is
   * retried for up to `joinTimeoutMs`, then fails with the last error and the brokers' names.
   */
  async start(handlers: SourceHandlers, joinTimeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + joinTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.join(handlers);
        return;
      } catch (err) {
        await this.source?.stop(1000).catch(() => undefined);
        this.source = undefined;
        if (kafkaErrorKind(err) !== 'retryable') throw err;
        if (Date.now() > deadline) {
          throw new FloeError('retryable', `kafka: joining group ${this.options.groupId} on ${this.options.brokers.join(',')} failed for ${joinTimeoutMs} ms: ${describeKafkaError(err)}`, {
            cause: err,
          });
        }
        const delay = Math.min(5000, 250 * 2 ** attempt);
        this.options.log?.('warn', `kafka: joining group ${this.options.groupId} on ${this.options.brokers.join(',')} failed (${attempt}): ${describeKafkaError(err)}; again in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async join(handlers: SourceHandlers): Promise<void> {
    const source = createKafkaSource(this.options, {
      onAssigned: (parts) => handlers.onAssigned(parts),
      onRevoked: (parts) => handlers.onRevoked(parts),
      onBatch: async (batch) => {
        this.onLag?.(batch, batch.highWatermark - batch.nextOffset);
        const key = `${batch.topic}\u0000${batch.partition}`;
        const seeks = this.seeks.get(key) ?? 0;
        await handlers.onBatch(batch.records, () => (this.seeks.get(key) ?? 0) !== seeks);
      },
      onError: (err) => {
        // only the consumer that started counts: a failed join attempt is retried by start()
        if (this.source !== source || !this.started) return;
        this.error ??= err;
        this.signalFailed(err);
      },
    });
    this.source = source;
    await source.start();
    this.started = true;
  }

  /** Settles when the consumer has stopped; rejects with the error that stopped it. */
  get done(): Promise<void> {
    return this.live().done;
  }

  seek(tp: TopicPartition, offset: bigint): void {
    const key = `${tp.topic}\u0000${tp.partition}`;
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.live().seek({ ...tp, offset });
  }
  pause(partitions: TopicPartition[]): void {
    this.live().pause(partitions);
  }
  resume(partitions: TopicPartition[]): void {
    this.live().resume(partitions);
  }
  async commitOffsets(offsets: (TopicPartition & { offset: bigint })[]): Promise<void> {
    await this.live().commit(offsets);
  }
  async stop(): Promise<void> {
    await this.source?.stop();
  }

  private live(): KafkaSource {
    if (!this.source) throw new Error('the Kafka source is not started');
    return this.source;
  }
}
