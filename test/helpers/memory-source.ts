// An in-memory RecordSource for unit tests of the pipeline worker: a fixed log per partition,
// positions, seek, pause. Kafka itself is exercised in test/kafka against the real broker.
import type { RecordSource, SourceHandlers, SourceRecord, StartPosition } from '../../src/pipeline/source.ts';
import type { TopicPartition } from '../../src/commit/offsets-map.ts';
import { tpKey } from '../../src/commit/offsets-map.ts';

export class MemorySource implements RecordSource {
  readonly log = new Map<string, SourceRecord[]>();
  readonly committed = new Map<string, bigint>();
  private readonly positions = new Map<string, bigint>();
  private readonly pausedSet = new Set<string>();
  private handlers: SourceHandlers | undefined;
  private assigned: TopicPartition[] = [];
  pauses = 0;
  readonly batchSize: number;

  constructor(batchSize = 50) {
    this.batchSize = batchSize;
  }

  produce(topic: string, partition: number, value: Uint8Array | null, timestamp = Date.now()): SourceRecord {
    const key = tpKey({ topic, partition });
    const list = this.log.get(key) ?? [];
    const rec: SourceRecord = { topic, partition, offset: BigInt(list.length), timestamp, key: null, value, headers: [] };
    list.push(rec);
    this.log.set(key, list);
    return rec;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
  }

  /** Assigns partitions (as a group coordinator would) and applies the start positions. */
  async assign(parts: TopicPartition[]): Promise<Map<string, StartPosition>> {
    this.assigned = parts;
    const starts = await this.handlers!.onAssigned(parts);
    for (const tp of parts) {
      const s = starts.get(tpKey(tp)) ?? 'earliest';
      const len = BigInt(this.log.get(tpKey(tp))?.length ?? 0);
      this.positions.set(tpKey(tp), s === 'earliest' ? 0n : s === 'latest' ? len : s);
    }
    return starts;
  }

  async revoke(parts: TopicPartition[]): Promise<void> {
    await this.handlers!.onRevoked(parts);
    this.assigned = this.assigned.filter((a) => !parts.some((p) => tpKey(p) === tpKey(a)));
  }

  /** Delivers batches round-robin until every assigned partition is drained (or `maxBatches`). */
  async pump(maxBatches = Infinity): Promise<number> {
    let delivered = 0;
    for (let progress = true; progress && delivered < maxBatches;) {
      progress = false;
      for (const tp of this.assigned) {
        if (delivered >= maxBatches) break;
        const key = tpKey(tp);
        if (this.pausedSet.has(key)) continue;
        const pos = this.positions.get(key) ?? 0n;
        const batch = (this.log.get(key) ?? []).slice(Number(pos), Number(pos) + this.batchSize);
        if (batch.length === 0) continue;
        this.positions.set(key, pos + BigInt(batch.length));
        await this.handlers!.onBatch(batch);
        delivered++;
        progress = true;
      }
    }
    return delivered;
  }

  seek(tp: TopicPartition, offset: bigint): void {
    this.positions.set(tpKey(tp), offset);
  }
  pause(parts: TopicPartition[]): void {
    this.pauses++;
    for (const p of parts) this.pausedSet.add(tpKey(p));
  }
  resume(parts: TopicPartition[]): void {
    for (const p of parts) this.pausedSet.delete(tpKey(p));
  }
  get paused(): number {
    return this.pausedSet.size;
  }
  async commitOffsets(offsets: (TopicPartition & { offset: bigint })[]): Promise<void> {
    for (const o of offsets) this.committed.set(tpKey(o), o.offset);
  }
  async stop(): Promise<void> {
    if (this.assigned.length > 0) await this.revoke(this.assigned);
  }
}
