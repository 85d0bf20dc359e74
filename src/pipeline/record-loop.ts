// The per-record loop of a connector worker (worker.ts): a run of one partition's records, in
// offset order, one by one. The rule: a record is taken at once (synchronously, its bookkeeping
// deferred) only when taking it changes nothing but its table's batch and where that table is in
// the partition; anything more (a schema lookup, a new table, a schema change, a flush another
// table must do first) goes to the worker's processOne.
//
// This is the hot path (per record): no allocation or closure per record taken at once, no async
// hop. The loop sees the worker only through RecordLoopHost (positions, tables by name, land,
// deadLetter, processOne, ...), never the worker itself; the worker keeps the orchestration.
import type { TableOffsets } from '../commit/table-offsets.ts';
import { isPendingFrame } from '../decode/record-frame.ts';
import type { RecordFrame } from '../decode/record-frame.ts';
import type { Schema } from '../iceberg/types.ts';
import type { Router } from '../route/router.ts';
import type { JsonSchemaInferrer } from '../schema/infer-json.ts';
import { tpKey } from '../commit/offsets-map.ts';
import type { ReadPositions } from './read-positions.ts';
import { RunByTable } from './run-by-table.ts';
import type { SourceRecord } from './source.ts';

/** Field routing groups a run's records by table (takeByTable) when at least this many are left. */
const BY_TABLE_MIN = 16;
/** At most this many records go one by one between two tries of takeByTable that took nothing. */
const BY_TABLE_BACKOFF_MAX = 64;

/** What the run's decode of a record gave, handed to processOne so it does not decode again. */
export type FirstAttempt = { frame: RecordFrame | Promise<RecordFrame> } | { error: unknown };

/** What the loop reads of one of the worker's tables. */
export interface LoopTable {
  /** The table's Kafka offsets (commit/table-offsets.ts). */
  readonly offsets: TableOffsets;
  /** Writer schemas (by object identity) already reconciled with the table. */
  readonly knownSchemas: ReadonlySet<Schema>;
  /** Schemas the table cannot take (their records are dead letters). */
  readonly incompatible: ReadonlyMap<Schema, Error>;
  /** Registry schema id of each reconciled writer schema. */
  readonly schemaIdOf: ReadonlyMap<Schema, number>;
  /** Registry schema ids of the buffered rows (lineage). */
  readonly schemaIds: Set<number>;
}

/** What the loop needs of the worker: a few pieces of its state and what it does with a record. */
export interface RecordLoopHost<T extends LoopTable> {
  /** Where the worker is in each partition (read-positions.ts). */
  readonly positions: ReadPositions;
  /** The worker's open tables, by name. */
  readonly tables: ReadonlyMap<string, T>;
  readonly router: Router;
  /** Field routing: the table depends on the value. */
  readonly byField: boolean;
  /** Plain JSON whose table schema grows with the records (an inferrer per table). */
  readonly inferring: boolean;
  /** A record value's bytes → its frame (the worker's ValueDecoder). */
  decode(bytes: Uint8Array): RecordFrame | Promise<RecordFrame>;
  /** A plain JSON value's keys of renamed columns moved to the renamed column; false when the value does not decode. */
  renamed(t: T, frame: RecordFrame): boolean;
  /** The table's JSON schema inferrer (made, seeded with its schema, when it has none). */
  inferrerOf(t: T): JsonSchemaInferrer;
  /** Appends a plain JSON record straight from its text when it fits the table as it is (true: it landed); false: nothing changed. */
  landDirect(t: T, rec: SourceRecord, frame: RecordFrame): boolean;
  /** Appends the record to the table's batch: true; false when it became a dead letter instead. */
  land(t: T, rec: SourceRecord, frame: RecordFrame): boolean;
  deadLetter(rec: SourceRecord, error: Error): void;
  /** A record that could not be taken at once, its bookkeeping told at once (`grown`: takeAtOnce grew the table's inferrer with it). */
  processOne(rec: SourceRecord, key: string, records: SourceRecord[], index: number, first: FirstAttempt | undefined, grown: boolean): Promise<void>;
  /** The record moves p's offset in the tables p feeds, whatever became of it. */
  touch(rec: SourceRecord, key: string): void;
  /** Every open table has an offset for every partition it has read (OffsetsLedger.settled). */
  settled(): boolean;
  /**
   * p was rewound while its record at `offset` was in processOne, after takeByTable had given
   * tables records of p past it: those tables drop what they buffered and are read again, so none
   * commits p past records not handled yet (takeByTable).
   */
  dropTakenPast(key: string, offset: bigint): Promise<void>;
}

/** The state of one run's records taken at once (processRun, takeAtOnce). */
interface Run<T> {
  readonly key: string;
  /** The table the last record taken at once went to, and its name (undefined: none since the last record through processOne). */
  table: T | undefined;
  tableName: string;
  /** Records of p below this offset are in the table already (its offsets' nextWanted). */
  skipBelow: bigint;
  /** The writer schema the table was found to take as it is (valid while schemaOk). */
  schema: Schema | undefined;
  schemaOk: boolean;
  /** The registry schema id of `schema`, to add to the table's lineage with its next row (undefined: added or none). */
  schemaId: number | undefined;
  /** The last record appended to `table`: its take() is told when the run leaves the table. */
  last: SourceRecord | undefined;
  /** takeAtOnce added the record to the table's inferrer and it grew: processOne reconciles. */
  grown: boolean;
}

export class RecordLoop<T extends LoopTable> {
  private readonly host: RecordLoopHost<T>;
  private readonly byField: boolean;
  private readonly inferring: boolean;

  constructor(host: RecordLoopHost<T>) {
    this.host = host;
    this.byField = host.byField;
    this.inferring = host.inferring;
  }

  /**
   * The records [from, end) of one partition, in offset order, one by one. A record is taken at
   * once (takeAtOnce: synchronously, its bookkeeping deferred) when nothing about it needs
   * more, else by processOne, which may wait (a schema lookup, a new table, a schema change, a
   * flush another table must do first) and tells the bookkeeping at once:
   *   - the position (positions.processed) and the table's take() of records taken at once are
   *     told once, with the last record, before anything asks them: before a record goes to
   *     processOne and at the end of the run;
   *   - touch() runs after every record processOne took only: the first processed record of a
   *     run always goes there, and between those records nothing a record taken at once does
   *     changes which tables p feeds, where their ranges start or their clocks (only flushes,
   *     fences and new tables do, and those happen in processOne), so its touch() changes nothing.
   */
  async processRun(records: SourceRecord[], from: number, end: number): Promise<void> {
    const key = tpKey(records[from]);
    const host = this.host;
    const positions = host.positions;
    if (!positions.isAssigned(key)) return; // a late batch of a revoked partition
    const run: Run<T> = { key, table: undefined, tableName: '', skipBelow: -1n, schema: undefined, schemaOk: false, schemaId: undefined, last: undefined, grown: false };
    /** A record went through processOne in this run (and touch()): records may be taken at once. */
    let touched = false;
    /** The last record taken at once whose position is not written yet. */
    let posRec: SourceRecord | undefined;
    const writeAll = (): void => {
      if (posRec !== undefined) positions.processed(key, posRec.offset + 1n);
      posRec = undefined;
      this.leaveTable(run);
    };

    /** Field routing: the run's records grouped by table, made at the first takeByTable. */
    let byTable: RunByTable | undefined;
    /** takeByTable may run from this index: the record where it stopped goes one by one. */
    let byTableFrom = from;
    /** Records takeByTable skips after one of its passes took nothing (doubling, up to BY_TABLE_BACKOFF_MAX). */
    let byTableBackoff = 1;

    for (let i = from; i < end; i++) {
      const rec = records[i];
      if (posRec !== undefined) {
        if (rec.offset <= posRec.offset) continue; // already processed
      } else if (positions.alreadyProcessed(key, rec.offset)) {
        continue; // already processed (before a seek)
      }
      if (touched && this.byField && i >= byTableFrom && end - i >= BY_TABLE_MIN) {
        let next = i;
        // settled() walks every open table: asked once a try, not once a record
        if (host.settled()) {
          byTable ??= new RunByTable(
            records,
            i,
            end,
            host.decode,
            (r, f) => this.tableNameOf(r, f),
            (o) => positions.alreadyProcessed(key, o),
          );
          next = this.takeByTable(byTable, records, i, run);
        }
        if (next > i) {
          byTableFrom = next + 1;
          byTableBackoff = 1;
          posRec = records[next - 1];
          i = next - 1;
          continue;
        }
        // nothing taken (tables not settled; decoded objects, which a batch never takes straight
        // from their text): try again further on, less often each time
        byTableFrom = i + byTableBackoff;
        byTableBackoff = Math.min(BY_TABLE_BACKOFF_MAX, byTableBackoff * 2);
      }
      let frame: RecordFrame | Promise<RecordFrame> | undefined;
      let failed: { error: unknown } | undefined;
      if (rec.value !== null) {
        try {
          frame = byTable?.frameAt(i) ?? host.decode(rec.value);
        } catch (error) {
          failed = { error };
        }
      }
      if (touched && frame !== undefined && !isPendingFrame(frame) && this.takeAtOnce(rec, frame, run)) {
        posRec = rec;
        continue;
      }
      writeAll();
      positions.handling(key);
      await host.processOne(rec, key, records, i, failed ?? (frame === undefined ? undefined : { frame }), run.grown);
      run.grown = false;
      // a flush in processOne was fenced and rewound p to before this record: the source
      // delivers p again from there, so neither this record nor the rest of the run is taken;
      // and no table may keep records of p that takeByTable gave it past this one
      if (positions.rewound(key)) {
        if (byTable !== undefined && byTable.takenUpTo > i) await host.dropTakenPast(key, rec.offset);
        return;
      }
      positions.processed(key, rec.offset + 1n);
      host.touch(rec, key);
      touched = true;
    }
    writeAll();
  }

  /** Tells the table the run's records went to that it took them (take(), deferred by takeAtOnce). */
  private leaveTable(run: Run<T>): void {
    if (run.table !== undefined && run.last !== undefined) run.table.offsets.take(run.last, run.last.offset, run.key);
    run.table = undefined;
    run.last = undefined;
  }

  /**
   * Takes the record at once (true; its position and take() left to the run) when it routes to a
   * table already open that holds an offset or rows of p (TableOffsets.holdsPartition: no other
   * table must commit first, and taking the record changes nothing but where the table is in p)
   * under a schema the table already took. False, having changed nothing but the table's
   * inferrer (run.grown), when the record needs processOne.
   */
  private takeAtOnce(rec: SourceRecord, frame: RecordFrame, run: Run<T>): boolean {
    const host = this.host;
    let t = run.table;
    // by topic, a run's records all go to the table its first one went to
    if (t === undefined || this.byField) {
      let name: string;
      try {
        name = this.tableNameOf(rec, frame);
      } catch {
        return false; // processOne names the problem
      }
      if (t === undefined || name !== run.tableName) {
        this.leaveTable(run);
        t = host.tables.get(name);
        if (t === undefined || !t.offsets.holdsPartition(run.key)) return false;
        this.enterTable(run, t, name);
      }
    }
    return this.takeInto(t, rec, frame, run, true);
  }

  /** The run's records taken at once go to table t from now on. */
  private enterTable(run: Run<T>, t: T, name: string): void {
    run.table = t;
    run.tableName = name;
    run.skipBelow = t.offsets.nextWanted(run.key);
    run.schemaOk = false;
  }

  /**
   * takeAtOnce once the record's table is the run's (enterTable). `mayGrow` false: a plain JSON
   * record the batch cannot take straight from its text is left (false) before the table's
   * inferrer sees it, so nothing changed (takeByTable).
   */
  private takeInto(t: T, rec: SourceRecord, frame: RecordFrame, run: Run<T>, mayGrow: boolean): boolean {
    const host = this.host;
    if (rec.offset < run.skipBelow) return true; // this table already has it
    const schema = frame.schema;
    if (schema === undefined && !host.renamed(t, frame)) return false;
    if (schema !== undefined || !this.inferring) {
      if (!run.schemaOk || schema !== run.schema) {
        if (schema !== undefined && (!t.knownSchemas.has(schema) || t.incompatible.has(schema))) return false;
        run.schema = schema;
        run.schemaOk = true;
        run.schemaId = schema === undefined ? undefined : t.schemaIdOf.get(schema);
      }
    } else {
      // Plain JSON, inferred schema. A record the batch takes straight from its text has no key
      // the table lacks and fits every column as it is (batch/json-append.ts), so the inferrer,
      // seeded with the batch's schema, would take it without growing: it needs not see it.
      if (host.landDirect(t, rec, frame)) {
        run.last = rec;
        return true;
      }
      if (!mayGrow) return false;
      // else grow the inferred schema as processOne does; a change needs processOne
      const inf = host.inferrerOf(t);
      const before = inf.changes;
      let e: Error | undefined;
      try {
        e = inf.add(frame.value);
      } catch {
        return false; // not JSON: processOne names the problem
      }
      if (e) {
        host.deadLetter(rec, e);
        return true;
      }
      if (inf.changes !== before) {
        run.grown = true;
        return false;
      }
    }
    if (!host.land(t, rec, frame)) return true;
    if (run.schemaId !== undefined) {
      t.schemaIds.add(run.schemaId);
      run.schemaId = undefined;
    }
    run.last = rec;
    return true;
  }

  /**
   * Field routing: takes records of the run from index i at once, table by table (run-by-table.ts),
   * and returns the first index not taken; every record of [i, that index) is taken (or was in
   * its table already). A table's records are taken in offset order; another table's may be taken
   * before them, past records of the first that are not taken yet. That is safe only where no
   * record left for later can make a table commit a partition past it (a crash would then start
   * the partition after it) or come after such a commit (its dead letter would be taken as sent):
   *   - only when every open table is settled (each has an offset for every partition it read;
   *     the caller asks):
   *     no table then must commit before another, and the one-by-one path's flushes commit only
   *     the record's own table (a schema change), whose range ends at the record;
   *   - only into tables with an offset for the partition: a crash restarts the partition at or
   *     below that offset, so below any record such a table has not taken;
   *   - nothing past a barrier (a record that does not route, decode at once, or was processed),
   *     nor past the first record of a table that is not open or has no offset for the partition:
   *     that record may create a table, or start rows with no offset (other tables commit first);
   *   - a table stops at the first record it cannot take as it is (a schema change, a plain JSON
   *     record not taken straight from its text: its inferrer is left untouched, mayGrow false),
   *     and the tables after it in this pass take nothing from there on: the one-by-one path
   *     takes it next. The tables before it may hold records past it; while the rest of the run
   *     is handled in turn that changes nothing, but if processOne rewinds the partition (a
   *     failed or fenced commit of the record's table) the run stops there, and those tables
   *     drop what they buffered (host.dropTakenPast): else one could commit the partition past
   *     a record never handled, whose dead letter would then be taken as sent.
   */
  private takeByTable(b: RunByTable, records: SourceRecord[], i: number, run: Run<T>): number {
    const host = this.host;
    this.leaveTable(run); // the table of the record taken one by one before, if any
    const key = run.key;
    let limit = b.barrierFrom(i);
    const groups = b.names.length;
    // first the tables that cannot take their next record: nothing is taken past it
    for (let g = 0; g < groups; g++) {
      const first = b.firstFrom(g, i);
      if (first >= limit) continue;
      const t = host.tables.get(b.names[g]);
      if (t === undefined || t.offsets.committedOffset(key) === undefined) limit = first;
    }
    for (let g = 0; g < groups && limit > i; g++) {
      let at = b.firstFrom(g, i);
      if (at >= limit) continue;
      const t = host.tables.get(b.names[g])!;
      this.enterTable(run, t, b.names[g]);
      const idx = b.indexes[g];
      let d = b.done[g];
      while (at < limit) {
        if (!this.takeInto(t, records[at], b.frameAt(at)!, run, false)) {
          limit = at;
          break;
        }
        if (at > b.takenUpTo) b.takenUpTo = at;
        d++;
        at = d < idx.length ? idx[d] : b.end;
      }
      b.done[g] = d;
      this.leaveTable(run);
    }
    return limit;
  }

  /** The table the record goes to; under field routing this reads the field without taking the value (Router.tableForFrame). Throws a bad-record error. */
  private tableNameOf(rec: SourceRecord, frame: RecordFrame): string {
    return this.host.router.tableForFrame(rec.topic, frame);
  }
}
