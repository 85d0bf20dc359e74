// A partition handed over by a rebalance: its previous owner may commit after this worker read
// where the table stands. The client library completes the group's join before either member
// applies the new assignment (kafka/source.ts), so the old owner's revoke flush (worker.ts:
// revoke) often lands after the new owner loaded the table's offsets. The new owner's first
// commit of that table is then fenced (commit/exactly-once.ts), and everything it buffered since
// the assignment is dropped: up to a commit interval of every partition that table holds.
//
// The rule: for a few ticks after an assignment, a table holding rows of a newly assigned
// partition is loaded again, and when the table's offset of such a partition is no longer the
// one this worker holds, the table is fenced at once (TableFlusher.fence: the same drop and
// rewind as a fenced commit, by the same test), instead of at its first commit. It changes when
// a fence is found, never whether: the commit's own check stays the guard.
import { getOffset } from '../commit/offsets-map.ts';
import type { OffsetsMap, TopicPartition } from '../commit/offsets-map.ts';
import { FencedError } from '../commit/exactly-once.ts';
import { holdsRows } from './table-state.ts';
import type { TableState } from './table-state.ts';
import type { OpenTable } from './tables.ts';

/** Ticks after an assignment during which its new partitions' tables are checked (a tick is a quarter of the commit interval, 0.1–1 s). */
export const HANDOVER_TICKS = 4;
/** Tables loaded again per tick at most (field routing opens many; the rest wait for the next tick). */
export const HANDOVER_TABLES_PER_TICK = 16;

export interface HandoverCheckHost {
  /** The worker's open tables, by name. */
  readonly tables: ReadonlyMap<string, TableState>;
  /** The table as the catalog has it now. */
  reload(t: TableState): Promise<OpenTable>;
  /** The table's offsets for this connector as loaded (the worker's committedOffsets). */
  committedOffsets(open: OpenTable): OffsetsMap;
  /** Drops what the table holds and re-reads from its offsets, as a fenced commit does (TableFlusher.fence). */
  fence(t: TableState, err: FencedError): Promise<void>;
}

export class HandoverCheck {
  private readonly host: HandoverCheckHost;
  /** Newly assigned partitions (by tpKey) and the ticks left to check them. */
  private readonly watched = new Map<string, { tp: TopicPartition; ticks: number }>();
  /** Where the next tick starts among the tables to check (a round-robin past HANDOVER_TABLES_PER_TICK). */
  private next = 0;

  constructor(host: HandoverCheckHost) {
    this.host = host;
  }

  /** The partitions were just assigned to this worker. */
  assigned(parts: Iterable<{ key: string; tp: TopicPartition }>): void {
    for (const { key, tp } of parts) this.watched.set(key, { tp, ticks: HANDOVER_TICKS });
  }

  /** The partition was taken away. */
  revoked(key: string): void {
    this.watched.delete(key);
  }

  /**
   * One tick: the tables holding rows of a watched partition (none with a commit in flight: its
   * own check decides) are loaded again, up to HANDOVER_TABLES_PER_TICK; a table whose offset of a
   * watched partition moved away from this worker's is fenced now. Returns how many were fenced.
   */
  async tick(): Promise<number> {
    if (this.watched.size === 0) return 0;
    const due: TableState[] = [];
    for (const t of this.host.tables.values()) {
      if (t.pending !== undefined || !holdsRows(t)) continue;
      for (const key of this.watched.keys()) {
        if (t.offsets.isFedBy(key)) {
          due.push(t);
          break;
        }
      }
    }
    const start = due.length === 0 ? 0 : this.next % due.length;
    const checked = due.length <= HANDOVER_TABLES_PER_TICK ? due : [...due.slice(start), ...due.slice(0, start)].slice(0, HANDOVER_TABLES_PER_TICK);
    this.next = start + checked.length;
    let fenced = 0;
    for (const t of checked) {
      let open: OpenTable;
      try {
        open = await this.host.reload(t);
      } catch {
        continue; // the catalog did not answer: the commit's own check stays the guard
      }
      const offsets = this.host.committedOffsets(open);
      const moved: FencedError['moved'] = [];
      for (const [key, { tp }] of this.watched) {
        if (!t.offsets.isFedBy(key)) continue;
        const actual = getOffset(offsets, tp.topic, tp.partition);
        // the message names where this worker's range starts, as a fenced commit's does
        if (actual !== undefined && actual !== t.offsets.committedOffset(key)) moved.push({ topic: tp.topic, partition: tp.partition, expected: t.offsets.rangeStart(key) ?? -1n, actual });
      }
      if (moved.length > 0) {
        await this.host.fence(t, new FencedError(t.open.name, moved));
        fenced++;
      }
    }
    for (const [key, w] of this.watched) if (--w.ticks <= 0) this.watched.delete(key);
    return fenced;
  }
}
