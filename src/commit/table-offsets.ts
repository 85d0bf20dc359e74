// One table's Kafka offsets as a worker keeps them between commits (DESIGN.md, "the table holds
// the offsets"): what the table committed, what the worker has buffered for it, which ranges its
// next commit covers, what a fence rewinds. The worker asks; this file keeps the books, and the
// rules below, between tables too. The books of every table a worker has open, and the questions
// that walk them all, are the OffsetsLedger (offsets-ledger.ts).
//
// Per partition p (keyed by tpKey), for one table T, beside the worker's position[p] (the next
// offset the worker processes from p, any table: read-positions.ts):
//   committed(p)  where T's offsets map has p: the table's truth, as loaded or last committed.
//   next(p)       the next offset T wants: committed(p), or past what T has buffered.
//   read(p)       p was read since T's last commit (rows of p buffered, or records of p that
//                 went elsewhere): T's next commit covers p.
//   firstRead(p)  T has no offset for p: the first offset of p read for T (its range starts there).
//   newRows(p)    T has no offset for p but buffers rows of p: where those rows begin.
// Rules:
//   - A record (p, o) for T is taken only if o >= next(p): after a seek back, a table skips what
//     it already has. Taking it moves next(p) past it.
//   - T's commit covers, for every assigned p read since its last commit,
//     [committed(p) ?? firstRead(p), max(next(p), position[p])), so T's offsets move past records
//     that went elsewhere. A range that does not move (from = to) is left out, unless T has no
//     offset for p yet (the commit then records where p stands).
//   - A commit moves committed(p) to its range's end. p stays read only if more of it was read
//     after the commit's ranges were cut (a commit retried after a failure).
//   - On assignment, p starts at the smallest committed(p) over the tables p feeds (OffsetsLedger.assigned).
//   - committed(p) only moves forward, except that a load takes the table's map as it is.
//   - A fence (another writer moved T) drops everything T buffered and reloads committed; every
//     assigned p whose position is past committed(p), or, where T has no offset for p, past the
//     first dropped offset, is rewound there (else the dropped rows would never land). Those
//     dropped rows of a p T has no offset for still count as T's newRows(p) until T commits p.
//   - A record below the highest committed(p) of any table was read before that commit: its
//     dead letter (if any) was sent and flushed before it (OffsetsLedger.deadLetterSent).
//   - At most one table holds newRows(p): such a table commits before any table whose commit
//     would move p past those rows (mustCommitBefore), or a crash would leave them unread. When
//     it cannot (a cycle: each waits for the other; its commit failed), the other table's range
//     of p stops where those rows begin (rangesToCommit with others), or does not move when they
//     begin below it; a table with neither an offset nor rows of p does not record p then. When
//     the other table holds rows past them, it lets go of its rows instead (passesNewRows).
//   - A table starts new rows of p only when no other table holds new rows of p or must commit
//     before it (OffsetsLedger.mayStartNewRows): if such a table's commit failed, taking the
//     record would close a cycle in which neither can commit first. The record is read again later.
import type { OffsetRange } from './exactly-once.ts';
import type { OffsetsMap, TopicPartition } from './offsets-map.ts';
import { tpKey } from './offsets-map.ts';

/** What the worker knows of the partitions it reads (read-positions.ts). */
export interface Positions {
  isAssigned(key: string): boolean;
  /** The next offset the worker processes from the partition; undefined before its first record. */
  position(key: string): bigint | undefined;
}

export class TableOffsets {
  private readonly committedAt = new Map<string, bigint>();
  private readonly nextAt = new Map<string, bigint>();
  /** Partitions read since the last commit (the value names the partition for its range). */
  private readonly readSince = new Map<string, TopicPartition>();
  private readonly firstRead = new Map<string, bigint>();
  private readonly newRows = new Map<string, bigint>();

  // ---- questions ----

  /** Where the table's offsets map has the partition. */
  committedOffset(key: string): bigint | undefined {
    return this.committedAt.get(key);
  }

  /** The table holds this connector's offsets for some partition. */
  holdsOffsets(): boolean {
    return this.committedAt.size > 0;
  }

  /** Where the table's next commit's range of the partition starts: its offset, or the first offset read for it (undefined: neither). */
  rangeStart(key: string): bigint | undefined {
    return this.committedAt.get(key) ?? this.firstRead.get(key);
  }

  /** The table holds offsets or was read for since its last commit. */
  inUse(): boolean {
    return this.committedAt.size > 0 || this.readSince.size > 0;
  }

  /** Records of the partition move this table's offsets (it has an offset for it or wants it). */
  isFedBy(key: string): boolean {
    return this.committedAt.has(key) || this.nextAt.has(key);
  }

  /** The table already has the record (committed or buffered). */
  alreadyHas(key: string, offset: bigint): boolean {
    return (this.nextAt.get(key) ?? -1n) > offset;
  }

  /** Records of the partition below this the table already has (-1 when it has none). */
  nextWanted(key: string): bigint {
    return this.nextAt.get(key) ?? -1n;
  }

  /** The table knows where its range of the partition starts (an offset, or its buffered rows'). */
  holdsPartition(key: string): boolean {
    return this.committedAt.has(key) || (this.newRows.has(key) && this.firstRead.has(key));
  }

  /** Taking a record of the partition would start rows the table has no offset for. */
  wouldStartNewRows(key: string): boolean {
    return !this.committedAt.has(key) && !this.newRows.has(key);
  }

  /** The table buffers rows of the partition but has no offset for it. */
  hasNewRows(key: string): boolean {
    return this.newRows.has(key);
  }

  /**
   * The table has an offset for every partition it has read: no other table's commit has to wait
   * for it, and its own waits for none (mustCommitBefore, rangesToCommit's cut, passesNewRows).
   */
  settled(): boolean {
    return this.newRows.size === 0 && this.firstRead.size === 0;
  }

  /** This table buffers rows of a partition it has no offset for that `other`'s next commit would move past. */
  mustCommitBefore(other: TableOffsets): boolean {
    for (const key of this.newRows.keys()) if (other.readSince.has(key)) return true;
    return false;
  }

  /**
   * Committing these ranges would move a partition past rows another table holds but has no
   * offset for (a cycle the range cut could not break: this table has rows there too). A crash
   * after such a commit would start the partition after those rows: this table waits instead.
   */
  passesNewRows(ranges: OffsetRange[], others: Iterable<TableOffsets>): boolean {
    for (const o of others) {
      if (o === this || o.newRows.size === 0) continue;
      for (const r of ranges) {
        const rows = o.newRows.get(tpKey(r));
        if (rows !== undefined && r.to > rows) return true;
      }
    }
    return false;
  }

  /**
   * The ranges the table's next commit covers (header). With `others` (every table the worker
   * has open), a range stops where another table's new rows of the partition begin, when this
   * table has no rows there: that table has not committed them yet (it waits for this one).
   */
  rangesToCommit(positions: Positions, others?: Iterable<TableOffsets>): OffsetRange[] {
    const out: OffsetRange[] = [];
    // read once per partition below (the ledger hands an iterator, which iterates once)
    const all = others === undefined ? undefined : [...others];
    for (const [key, tp] of this.readSince) {
      if (!positions.isAssigned(key)) continue;
      const from = this.committedAt.get(key) ?? this.firstRead.get(key);
      if (from === undefined) continue;
      const pos = positions.position(key) ?? from;
      const buffered = this.nextAt.get(key) ?? from;
      let to = pos > buffered ? pos : buffered;
      // no offset for p, no rows of p, and another table's new rows of p begin before this
      // table's first read: recording where p stands would put p past them; p waits
      let waits = false;
      if (all !== undefined) {
        for (const o of all) {
          const rows = o === this ? undefined : o.newRows.get(key);
          if (rows === undefined || rows >= to) continue;
          // this table's rows of p lie in [from, buffered): the range can stop at the other's
          // rows (or not move) when none lies past that
          const stop = rows > from ? rows : from;
          if (buffered <= stop) to = stop;
          if (rows < from && !this.committedAt.has(key) && !this.newRows.has(key)) waits = true;
        }
      }
      if (waits) continue;
      if (to > from || !this.committedAt.has(key)) out.push({ topic: tp.topic, partition: tp.partition, from, to });
    }
    return out;
  }

  // ---- events ----

  /** The table's offsets map as (re)loaded: committed is the table's, next at least that. */
  loaded(offsets: OffsetsMap): void {
    this.committedAt.clear();
    for (const [topic, parts] of offsets) {
      for (const [partition, offset] of parts) {
        const key = tpKey({ topic, partition });
        this.committedAt.set(key, offset);
        if ((this.nextAt.get(key) ?? -1n) < offset) this.nextAt.set(key, offset);
      }
    }
  }

  /** The partition was assigned: the table wants it from its committed offset, which it returns. */
  assigned(key: string): bigint | undefined {
    const at = this.committedAt.get(key);
    if (at !== undefined && (this.nextAt.get(key) ?? -1n) < at) this.nextAt.set(key, at);
    return at;
  }

  /** The partition was taken away: forget what was buffered for it (the revoke flushed it). */
  revoked(key: string): void {
    this.nextAt.delete(key);
    this.readSince.delete(key);
    this.newRows.delete(key);
    this.firstRead.delete(key);
  }

  /** A record of the partition was appended to the table's buffer. */
  take(tp: TopicPartition, offset: bigint, key = tpKey(tp)): void {
    if (!this.committedAt.has(key)) {
      // below the first read: p was read again from further back (another table's rewind)
      const first = this.firstRead.get(key);
      if (first === undefined || offset < first) this.firstRead.set(key, offset);
      if (!this.newRows.has(key)) this.newRows.set(key, offset);
    }
    this.nextAt.set(key, offset + 1n);
    this.readSince.set(key, tp);
  }

  /** A record of a partition that feeds the table was read (whatever became of it). */
  read(tp: TopicPartition, offset: bigint, key = tpKey(tp)): void {
    this.readSince.set(key, tp);
    if (!this.committedAt.has(key) && !this.firstRead.has(key)) this.firstRead.set(key, offset);
  }

  /**
   * The next commit's ranges were cut (its batch is written and pending): the table has what lies
   * below their ends, so a partition read again from further back (another table's rewind) does
   * not give it those records a second time.
   */
  cut(ranges: OffsetRange[]): void {
    for (const r of ranges) {
      const key = tpKey(r);
      if ((this.nextAt.get(key) ?? -1n) < r.to) this.nextAt.set(key, r.to);
    }
  }

  /** The ranges were committed (rangesToCommit, cut at flush time). */
  committed(ranges: OffsetRange[], positions: Positions): void {
    for (const r of ranges) {
      const key = tpKey(r);
      this.committedAt.set(key, r.to);
      this.firstRead.delete(key);
      this.newRows.delete(key);
      // read after the ranges were cut (a commit retried after a failure): the next commit covers it
      const pos = positions.position(key) ?? r.to;
      const buffered = this.nextAt.get(key) ?? r.to;
      if (pos <= r.to && buffered <= r.to) this.readSince.delete(key);
    }
  }

  /**
   * Another writer moved the table: everything buffered (and the cut batch's `dropped` ranges) is
   * dropped, the offsets are the table's as reloaded. Returns, per partition, the offset it must
   * be read from again at the latest: the table's offset, or where the dropped rows of a partition
   * the table has no offset for began.
   */
  fenced(dropped: OffsetRange[], reloaded: OffsetsMap, positions: Positions): Map<string, bigint> {
    const droppedFrom = new Map<string, bigint>();
    const earliest = (key: string, at: bigint) => {
      const cur = droppedFrom.get(key);
      if (cur === undefined || at < cur) droppedFrom.set(key, at);
    };
    for (const r of dropped) earliest(tpKey(r), r.from);
    for (const [key, at] of this.firstRead) earliest(key, at);
    for (const [key, at] of this.committedAt) if (this.readSince.has(key)) earliest(key, at);
    const readSince = new Map(this.readSince);
    this.readSince.clear();
    this.nextAt.clear();
    this.firstRead.clear();
    this.newRows.clear();
    this.loaded(reloaded);
    const out = new Map(droppedFrom);
    for (const [key, at] of this.committedAt) out.set(key, at);
    // An assigned partition the table still has no offset for owes the rows dropped from `at`:
    // they count as its new rows (no other table commits the partition past them before this
    // one has committed where it stands), and its next commit starts there.
    for (const [key, at] of droppedFrom) {
      const tp = readSince.get(key);
      if (this.committedAt.has(key) || tp === undefined || !positions.isAssigned(key)) continue;
      this.firstRead.set(key, at);
      this.newRows.set(key, at);
      this.readSince.set(key, tp);
    }
    return out;
  }
}
