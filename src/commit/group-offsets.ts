// The consumer group's offsets (advisory: lag, tools; the tables hold the truth) are sent in the
// background, one request at a time, and coalesced: a table commit asks for its partitions to be
// sent, and every partition asked for while a request is in flight goes in the next one, at the
// minimum over the tables as it stands when that request leaves. So the group offset never goes
// back, and there are never more than two requests' worth waiting, however many tables commit.
// (One request per table commit, chained, fell behind at ~50 table commits a second: the broker
// answers an offset commit only after the fetch in flight on the connection, up to its max wait.)
import type { TopicPartition } from './offsets-map.ts';
import { tpKey } from './offsets-map.ts';

export type GroupOffset = TopicPartition & { offset: bigint };

export interface GroupOffsetsOptions {
  /** Where the group offset of the partition stands now (undefined: no table has an offset for it). */
  offsetOf: (key: string, tp: TopicPartition) => bigint | undefined;
  /** Sends one offset commit request. */
  send: (offsets: GroupOffset[]) => Promise<void>;
  /** A request that failed (the next one carries its partitions again only if asked again). */
  onError?: (err: Error) => void;
}

export class GroupOffsets {
  private readonly wanted = new Map<string, TopicPartition>();
  private running: Promise<void> | undefined;

  private readonly o: GroupOffsetsOptions;

  constructor(o: GroupOffsetsOptions) {
    this.o = o;
  }

  /** Asks for these partitions' group offsets to be sent (now, or after the request in flight). */
  request(parts: Iterable<TopicPartition>): void {
    for (const tp of parts) this.wanted.set(tpKey(tp), { topic: tp.topic, partition: tp.partition });
    this.kick();
  }

  /** Resolves once every partition asked for so far has been sent (or its request failed). */
  async sent(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || this.wanted.size === 0) return;
    // cleared (and restarted for partitions asked for meanwhile) only after `running` is set
    this.running = this.drain().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.wanted.size > 0) {
      const offsets: GroupOffset[] = [];
      for (const [key, tp] of this.wanted) {
        const offset = this.o.offsetOf(key, tp);
        if (offset !== undefined) offsets.push({ ...tp, offset });
      }
      this.wanted.clear();
      if (offsets.length === 0) continue;
      try {
        await this.o.send(offsets);
      } catch (err) {
        this.o.onError?.(err as Error);
      }
    }
  }
}
