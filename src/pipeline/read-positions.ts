// Where a worker is in each Kafka partition it owns: the partitions assigned to it, the next
// offset it processes from each (any table: each table's own offsets are in
// commit/table-offsets.ts), and which partitions a fence rewound while a record was in hand.
//
// Rules:
//   - A partition is read only while assigned; a revoke forgets its position.
//   - The position moves forward as records are processed; it moves back only by a rewind (a
//     fence: the source is seeked there and the partition is read again from there).
//   - A record of a partition rewound while it was handled is not taken, nor the rest of its run:
//     the source delivers the partition again from the rewind.
import type { TopicPartition } from '../commit/offsets-map.ts';
import { tpKey } from '../commit/offsets-map.ts';

export class ReadPositions {
  private readonly owned = new Map<string, TopicPartition>();
  private readonly positions = new Map<string, bigint>();
  private readonly rewoundSet = new Set<string>();

  /** The partition is ours, starting at `start` (undefined: the configured start, no position yet). */
  assign(tp: TopicPartition, start: bigint | undefined, key = tpKey(tp)): void {
    this.owned.set(key, tp);
    if (start !== undefined) this.positions.set(key, start);
    else this.positions.delete(key);
  }

  revoke(key: string): void {
    this.owned.delete(key);
    this.positions.delete(key);
  }

  isAssigned(key: string): boolean {
    return this.owned.has(key);
  }

  partition(key: string): TopicPartition | undefined {
    return this.owned.get(key);
  }

  /** The assigned partitions, by key. */
  assigned(): IterableIterator<[string, TopicPartition]> {
    return this.owned.entries();
  }

  /** The next offset to process from the partition (undefined before its first record). */
  position(key: string): bigint | undefined {
    return this.positions.get(key);
  }

  /** The record was processed before (the source delivered it again, e.g. after a seek). */
  alreadyProcessed(key: string, offset: bigint): boolean {
    const pos = this.positions.get(key);
    return pos !== undefined && offset < pos;
  }

  /** Records up to `next` (exclusive) were processed. */
  processed(key: string, next: bigint): void {
    this.positions.set(key, next);
  }

  /** A fence: the partition must be read again from `at`. True when it moved back (seek the source there). */
  rewind(key: string, at: bigint): boolean {
    if ((this.positions.get(key) ?? at) <= at) return false;
    this.positions.set(key, at);
    this.rewoundSet.add(key);
    return true;
  }

  /**
   * The record at `at` cannot be taken yet (another table must commit first and could not): the
   * partition is read again from it (seek the source there) and the rest of the run is not taken.
   */
  retryFrom(key: string, at: bigint): void {
    this.positions.set(key, at);
    this.rewoundSet.add(key);
  }

  /** A record of the partition is about to be handled: no rewind is pending for it. */
  handling(key: string): void {
    this.rewoundSet.delete(key);
  }

  /** A fence rewound the partition since handling() (the record in hand is not taken). */
  rewound(key: string): boolean {
    return this.rewoundSet.has(key);
  }
}
