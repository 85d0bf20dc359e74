// What the pipeline needs from Kafka, as a small interface: the consumer-group member in
// src/kafka/ implements it, and tests can drive the pipeline through it.
import type { TopicPartition } from '../commit/offsets-map.ts';
import type { KafkaRecord } from '../kafka/types.ts';

/** A consumed record: the Kafka source's own record type, handed on as it is (timestamp in ms since the epoch). */
export type SourceRecord = KafkaRecord;

/** Where an assigned partition should start: an offset, or the log's start or end. */
export type StartPosition = bigint | 'earliest' | 'latest';

export interface SourceHandlers {
  /** Partitions newly assigned to this member; returns where each must start. */
  onAssigned(partitions: TopicPartition[]): Promise<Map<string, StartPosition>>;
  /** Partitions taken away (rebalance or stop): flush or drop what is buffered for them. */
  onRevoked(partitions: TopicPartition[]): Promise<void>;
  /**
   * Records of one partition, in offset order. The next batch waits for this promise.
   * `stale()` turns true once the partition was sought (seek) after this batch was fetched: a
   * batch that waited behind other work (a timer's flush that rewound the partition) must then
   * not be taken, its records come again from the sought offset.
   */
  onBatch(records: SourceRecord[], stale?: () => boolean): Promise<void>;
}

export interface RecordSource {
  start(handlers: SourceHandlers): Promise<void>;
  /** Moves a partition's fetch position (after a fenced commit, or a write that failed); batches fetched before are stale. */
  seek(tp: TopicPartition, offset: bigint): void;
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /** Commits group offsets (advisory: for lag tools). */
  commitOffsets(offsets: (TopicPartition & { offset: bigint })[]): Promise<void>;
  /** Leaves the group; onRevoked runs for what was assigned. */
  stop(): Promise<void>;
}
