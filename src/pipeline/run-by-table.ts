// Field routing: the records of one partition run, grouped by the table each routes to, so the
// record loop (record-loop.ts) can take them table by table rather than in offset order. With
// records of 100 tables interleaved, every record landed in a table other than the last one's:
// its column builders were out of the CPU's caches, and appending cost about 4× as much as with
// one table (docs/decisions.md, session 14). Routed once per run, here; the loop decides what
// may be taken out of order (its takeByTable states the rule).
//
// A record the grouping cannot place is a barrier: the loop takes it one by one, in its turn,
// and nothing past it is taken out of order before it. Barriers: a record at or below an offset
// already processed or before it in the run, a tombstone, a value whose decode throws or waits
// (a schema lookup), a value that does not route.
import { isPendingFrame } from '../decode/record-frame.ts';
import type { RecordFrame } from '../decode/record-frame.ts';
import type { SourceRecord } from './source.ts';

export class RunByTable {
  /** The run's records are grouped from this index. */
  readonly from: number;
  /** One past the run's last record. */
  readonly end: number;
  /** Table names, in the order their first record comes. */
  readonly names: string[] = [];
  /** Per table (in `names`' order): the run indexes of its records, ascending. */
  readonly indexes: number[][] = [];
  /** Per table: how many of its indexes are behind the loop (taken, or left to the one-by-one path). */
  readonly done: number[] = [];
  /** The frames decoded while routing, by run index − from (undefined at a barrier). */
  readonly frames: (RecordFrame | undefined)[];
  /** The highest run index a table took a record at (-1: none; RecordLoop.takeByTable keeps it). */
  takenUpTo = -1;
  /** Run indexes left to the one-by-one path, ascending. */
  private readonly barriers: number[] = [];
  /** Barriers before this one are behind the loop. */
  private barrier = 0;

  /**
   * Groups records [from, end) of one partition's run: `decode` and `tableOf` as the loop does
   * them (tableOf throws for a value that does not route); `processed` says the record is at or
   * below where the partition stands.
   */
  constructor(
    records: readonly SourceRecord[],
    from: number,
    end: number,
    decode: (bytes: Uint8Array) => RecordFrame | Promise<RecordFrame>,
    tableOf: (rec: SourceRecord, frame: RecordFrame) => string,
    processed: (offset: bigint) => boolean,
  ) {
    this.from = from;
    this.end = end;
    this.frames = new Array<RecordFrame | undefined>(end - from);
    const groupOf = new Map<string, number>();
    let last = -1n;
    for (let i = from; i < end; i++) {
      const rec = records[i];
      const offset = rec.offset;
      const behind = offset <= last || processed(offset);
      if (offset > last) last = offset;
      let name: string | undefined;
      if (!behind && rec.value !== null) {
        try {
          const frame = decode(rec.value);
          if (isPendingFrame(frame)) {
            // a barrier: its turn decodes it again and handles the answer (a registry lookup
            // refused now must not go unhandled and stop the process)
            frame.catch(() => undefined);
          } else {
            name = tableOf(rec, frame);
            this.frames[i - from] = frame;
          }
        } catch {
          name = undefined; // its turn names the problem
        }
      }
      if (name === undefined) {
        this.barriers.push(i);
        continue;
      }
      let g = groupOf.get(name);
      if (g === undefined) {
        g = this.names.length;
        groupOf.set(name, g);
        this.names.push(name);
        this.indexes.push([]);
        this.done.push(0);
      }
      this.indexes[g].push(i);
    }
  }

  /** The first barrier at or after index i (end when none). */
  barrierFrom(i: number): number {
    const b = this.barriers;
    while (this.barrier < b.length && b[this.barrier] < i) this.barrier++;
    return this.barrier < b.length ? b[this.barrier] : this.end;
  }

  /** Table g's first record at or after index i (end when none); its records before i are behind. */
  firstFrom(g: number, i: number): number {
    const idx = this.indexes[g];
    let d = this.done[g];
    while (d < idx.length && idx[d] < i) d++;
    this.done[g] = d;
    return d < idx.length ? idx[d] : this.end;
  }

  /** The frame decoded while routing, if any: every record grouped under a table has one (the one-by-one path takes it rather than decoding again). */
  frameAt(i: number): RecordFrame | undefined {
    return i >= this.from && i < this.end ? this.frames[i - this.from] : undefined;
  }
}
