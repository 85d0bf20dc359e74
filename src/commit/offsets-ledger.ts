// The offsets of every table a worker has open (DESIGN.md, "the table holds the offsets"): a
// TableOffsets per table, by name (table-offsets.ts: one table's books and the rules between
// tables), and the decisions that take more than one table: where an assigned partition starts,
// which table must commit before which, how far a table's commit may move a partition, whether a
// record's dead letter was sent, the group offset. The worker tells it what happened and asks it;
// the I/O that follows (writing files, catalog calls, Kafka seeks) stays with the worker.
//
// Questions that walk the tables walk them in the order they were opened, and lazily where the
// worker acts between two answers (toCommitFirst, toCommitBefore): a flush it does for one table
// can change the answer for the next, as the rules of table-offsets.ts expect.
import type { OffsetRange } from './exactly-once.ts';
import type { OffsetsMap } from './offsets-map.ts';
import { TableOffsets } from './table-offsets.ts';
import type { Positions } from './table-offsets.ts';

export class OffsetsLedger {
  private readonly tables = new Map<string, TableOffsets>();

  /** A table was opened, its offsets map as loaded: its books, kept by the ledger until it is closed. */
  open(table: string, committed: OffsetsMap): TableOffsets {
    const t = new TableOffsets();
    t.loaded(committed);
    this.tables.set(table, t);
    return t;
  }

  /** The worker let go of the table (it is not this connector's). */
  close(table: string): void {
    this.tables.delete(table);
  }

  // ---- partitions ----

  /**
   * The partition was assigned: each of the named tables it feeds wants it from its committed
   * offset; it starts at the smallest of those (undefined: no table has one, startFrom).
   */
  assigned(key: string, fedTables: Iterable<string>): bigint | undefined {
    let start: bigint | undefined;
    for (const name of fedTables) {
      const at = this.tables.get(name)?.assigned(key);
      if (at !== undefined && (start === undefined || at < start)) start = at;
    }
    return start;
  }

  /** The partition was taken away: every table forgets what it buffered of it. */
  revoked(key: string): void {
    for (const t of this.tables.values()) t.revoked(key);
  }

  /** The group offset for a partition: the smallest committed offset over the tables (what every table has). */
  groupOffset(key: string): bigint | undefined {
    let min: bigint | undefined;
    for (const t of this.tables.values()) {
      const at = t.committedOffset(key);
      if (at !== undefined && (min === undefined || at < min)) min = at;
    }
    return min;
  }

  // ---- records ----

  /** A table committed past the record: it was read before, and its dead letter (if any) sent before that commit. */
  deadLetterSent(key: string, offset: bigint): boolean {
    for (const t of this.tables.values()) if ((t.committedOffset(key) ?? -1n) > offset) return true;
    return false;
  }

  /**
   * Before table t takes a record of p that starts rows it has no offset for: the tables that
   * commit first (they hold new rows of p, or must commit before t), by name, each asked as the
   * walk reaches it.
   */
  *toCommitFirst(t: TableOffsets, key: string): Generator<string> {
    for (const [name, o] of this.tables) if (firstFor(o, t, key)) yield name;
  }

  /**
   * Table t may take a record of p that starts rows it has no offset for: no other table holds new
   * rows of p, and none must commit before t (table-offsets.ts). Ask after toCommitFirst's flushes.
   */
  mayStartNewRows(t: TableOffsets, key: string): boolean {
    if (!t.wouldStartNewRows(key)) return true;
    for (const o of this.tables.values()) if (firstFor(o, t, key)) return false;
    return true;
  }

  // ---- commits ----

  /** Every table has an offset for every partition it read: no table's commit waits for another's. */
  settled(): boolean {
    for (const t of this.tables.values()) if (!t.settled()) return false;
    return true;
  }

  /** The tables that must commit before t's next commit (mustCommitBefore), by name, each asked as the walk reaches it. */
  *toCommitBefore(t: TableOffsets): Generator<string> {
    for (const [name, o] of this.tables) if (o !== t && o.mustCommitBefore(t)) yield name;
  }

  /** The ranges t's next commit covers, stopped where another table's new rows wait (TableOffsets.rangesToCommit). */
  rangesToCommit(t: TableOffsets, positions: Positions): OffsetRange[] {
    return t.rangesToCommit(positions, this.tables.values());
  }

  /** Committing these ranges of t would move a partition past rows another table has no offset for: t waits (TableOffsets.passesNewRows). */
  passesNewRows(t: TableOffsets, ranges: OffsetRange[]): boolean {
    return t.passesNewRows(ranges, this.tables.values());
  }
}

/** Table o commits before t takes new rows of p: it holds new rows of p, or must commit before t. */
function firstFor(o: TableOffsets, t: TableOffsets, key: string): boolean {
  return o !== t && (o.hasNewRows(key) || o.mustCommitBefore(t));
}
