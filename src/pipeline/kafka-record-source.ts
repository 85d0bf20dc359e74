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

  async start(handlers: SourceHandlers): Promise<void> {
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
