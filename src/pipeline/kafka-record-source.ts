// The pipeline's RecordSource on a real Kafka consumer-group member (src/kafka/source.ts).
import { createKafkaSource } from '../kafka/source.ts';
import type { KafkaSourceOptions } from '../kafka/source.ts';
import type { KafkaRecord, KafkaSource } from '../kafka/types.ts';
import type { RecordSource, SourceHandlers, SourceRecord, TopicPartition } from './source.ts';

export class KafkaRecordSource implements RecordSource {
  private readonly options: KafkaSourceOptions;
  private source: KafkaSource | undefined;
  /** Called with each batch's lag (high watermark minus next offset), for metrics. */
  onLag?: (tp: TopicPartition, lag: bigint) => void;

  constructor(options: KafkaSourceOptions) {
    this.options = options;
  }

  /**
   * Joins the group. A fresh broker answers the first joins with "coordinator not available"
   * while it creates __consumer_offsets: joining is retried for up to `joinTimeoutMs`.
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
        if (Date.now() > deadline || !/JoinGroup|FindCoordinator|coordinator/i.test(String((err as Error).message))) throw err;
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  }

  private async join(handlers: SourceHandlers): Promise<void> {
    this.source = createKafkaSource(this.options, {
      onAssigned: (parts) => handlers.onAssigned(parts),
      onRevoked: (parts) => handlers.onRevoked(parts),
      onBatch: async (batch) => {
        this.onLag?.(batch, batch.highWatermark - batch.nextOffset);
        await handlers.onBatch(batch.records.map(toSourceRecord));
      },
    });
    await this.source.start();
  }

  /** Settles when the consumer has stopped; rejects with the error that stopped it. */
  get done(): Promise<void> {
    return this.live().done;
  }

  seek(tp: TopicPartition, offset: bigint): void {
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

function toSourceRecord(r: KafkaRecord): SourceRecord {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: Number(r.timestamp),
    key: r.key,
    value: r.value,
    headers: r.headers.map((h) => [h.key, h.value]),
  };
}
