// The offsets ledger (src/commit/table-offsets.ts, offsets-ledger.ts, src/pipeline/read-positions.ts) without a
// broker or a catalog: its rules one by one, then a randomized run that drives several workers'
// ledgers through records, flushes, failed commits, fences, rebalances, zombies and crashes
// against an in-memory "catalog" that commits the way commitBatch does, and checks after every
// step that a restart would lose nothing and land nothing twice.
//   FLOE_LEDGER_SEED=<n>        replay one sequence (the seed a failure prints)
//   FLOE_LEDGER_SEQUENCES=<n>   how many sequences (default 400)
//   FLOE_LEDGER_TRACE=1         print each step
//   FLOE_LEDGER_COMMIT_FAILURES=0  no failed commits (by default half the sequences fail 20 % of
//     their commits, kept and retried later). Such a failure once lost rows: a table asked to
//     commit its new rows of a partition first failed, another took rows of that partition and
//     committed past them, and a crash lost them (fixed: the record is read again later,
//     ReadPositions.retryFrom).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableOffsets } from '../../src/commit/table-offsets.ts';
import { OffsetsLedger } from '../../src/commit/offsets-ledger.ts';
import type { OffsetRange } from '../../src/commit/exactly-once.ts';
import type { OffsetsMap } from '../../src/commit/offsets-map.ts';
import { ReadPositions } from '../../src/pipeline/read-positions.ts';
import type { TopicPartition } from '../../src/commit/offsets-map.ts';
import { tpKey } from '../../src/commit/offsets-map.ts';

const P0: TopicPartition = { topic: 't', partition: 0 };
const P1: TopicPartition = { topic: 't', partition: 1 };
const K0 = tpKey(P0);
const K1 = tpKey(P1);

function offsets(entries: [TopicPartition, bigint][]): OffsetsMap {
  const m: OffsetsMap = new Map();
  for (const [tp, o] of entries) {
    if (!m.has(tp.topic)) m.set(tp.topic, new Map());
    m.get(tp.topic)!.set(tp.partition, o);
  }
  return m;
}

function positionsAt(entries: [TopicPartition, bigint | undefined][]): ReadPositions {
  const p = new ReadPositions();
  for (const [tp, at] of entries) p.assign(tp, at);
  return p;
}

// ---- the rules, one by one ----

test('a loaded table wants each partition from its committed offset and skips what it has', () => {
  const t = new TableOffsets();
  t.loaded(offsets([[P0, 10n]]));
  assert.equal(t.committedOffset(K0), 10n);
  assert.ok(t.alreadyHas(K0, 9n));
  assert.ok(!t.alreadyHas(K0, 10n));
  assert.equal(t.nextWanted(K1), -1n);
  assert.ok(t.isFedBy(K0) && !t.isFedBy(K1));
});

test('a commit covers [committed, max(buffered, position)): past records that went elsewhere', () => {
  const t = new TableOffsets();
  t.loaded(offsets([[P0, 10n]]));
  const pos = positionsAt([[P0, 10n]]);
  t.take(P0, 10n);
  t.take(P0, 11n);
  pos.processed(K0, 15n); // 12..14 went to other tables or dead letters
  t.read(P0, 14n);
  assert.deepEqual(t.rangesToCommit(pos), [{ topic: 't', partition: 0, from: 10n, to: 15n }]);
  t.committed(t.rangesToCommit(pos), pos);
  assert.equal(t.committedOffset(K0), 15n);
  assert.deepEqual(t.rangesToCommit(pos), [], 'nothing read since');
});

test('a partition the table has no offset for: the range starts at the first record read, and is committed even if empty', () => {
  const t = new TableOffsets();
  const pos = positionsAt([[P0, undefined]]);
  t.read(P0, 5n); // went elsewhere
  assert.ok(t.wouldStartNewRows(K0));
  t.take(P0, 6n);
  assert.ok(t.hasNewRows(K0) && !t.wouldStartNewRows(K0) && t.holdsPartition(K0));
  pos.processed(K0, 7n);
  assert.deepEqual(t.rangesToCommit(pos), [{ topic: 't', partition: 0, from: 5n, to: 7n }]);
  const u = new TableOffsets();
  u.read(P1, 3n);
  assert.deepEqual(u.rangesToCommit(positionsAt([[P1, undefined]])), [{ topic: 't', partition: 1, from: 3n, to: 3n }]);
});

test('a partition not assigned is not in a commit', () => {
  const t = new TableOffsets();
  t.loaded(offsets([[P0, 0n]]));
  t.take(P0, 0n);
  assert.deepEqual(t.rangesToCommit(positionsAt([[P1, 0n]])), []);
});

test('a commit retried after a failure: what was read after its ranges were cut is still covered by the next commit', () => {
  const t = new TableOffsets();
  t.loaded(offsets([[P0, 0n]]));
  const pos = positionsAt([[P0, 0n]]);
  t.take(P0, 0n);
  pos.processed(K0, 1n);
  const cut = t.rangesToCommit(pos); // [0, 1): its commit fails, is kept, retried later
  t.take(P0, 1n);
  pos.processed(K0, 2n);
  t.committed(cut, pos);
  assert.deepEqual(t.rangesToCommit(pos), [{ topic: 't', partition: 0, from: 1n, to: 2n }]);
});

test('a table with rows of a partition it has no offset for commits before a table that would move that partition', () => {
  const a = new TableOffsets();
  const b = new TableOffsets();
  b.loaded(offsets([[P0, 0n]]));
  a.take(P0, 0n);
  b.read(P0, 0n);
  assert.ok(a.mustCommitBefore(b));
  assert.ok(!b.mustCommitBefore(a));
  const pos = positionsAt([[P0, 0n]]);
  pos.processed(K0, 1n);
  a.committed(a.rangesToCommit(pos), pos);
  assert.ok(!a.mustCommitBefore(b));
});

test("the range cut stops every partition at another table's new rows, when the tables come as a generator (as the worker hands them)", () => {
  const a = new TableOffsets(); // rows of P0 and P1, no offsets
  const b = new TableOffsets(); // offsets for both, no rows since
  b.loaded(
    offsets([
      [P0, 0n],
      [P1, 0n],
    ]),
  );
  const pos = positionsAt([
    [P0, 0n],
    [P1, 0n],
  ]);
  for (const [p, k] of [
    [P0, K0],
    [P1, K1],
  ] as const) {
    a.take(p, 2n);
    b.read(p, 0n);
    b.read(p, 1n);
    b.read(p, 2n);
    pos.processed(k, 3n);
  }
  const tables = function* () {
    yield a;
    yield b;
  };
  // b has no rows past 2 in either partition: both its ranges stop where a's rows begin
  assert.deepEqual(b.rangesToCommit(pos, tables()), [
    { topic: 't', partition: 0, from: 0n, to: 2n },
    { topic: 't', partition: 1, from: 0n, to: 2n },
  ]);
  assert.ok(!b.passesNewRows(b.rangesToCommit(pos, tables()), tables()));
});

test("a table with no offset and no rows of a partition does not record it past another table's new rows of it", () => {
  const a = new TableOffsets();
  const b = new TableOffsets();
  a.take(P0, 3n); // a: rows of P0 from 3, no offset
  b.read(P0, 5n); // b: no offset for P0, first read at 5 (after a rewind, say)
  const pos = positionsAt([[P0, 0n]]);
  pos.processed(K0, 6n);
  assert.deepEqual(b.rangesToCommit(pos, [a, b]), [], 'P0 waits for a');
  assert.deepEqual(b.rangesToCommit(pos), [{ topic: 't', partition: 0, from: 5n, to: 6n }], 'without the others: where it stands');
});

test('a fence drops the buffer, takes the table offsets and says where each partition is read again', () => {
  const t = new TableOffsets();
  t.loaded(offsets([[P0, 10n]]));
  t.take(P0, 10n);
  t.take(P1, 4n); // no offset for P1: its dropped rows start at 4
  const again = t.fenced(
    [],
    offsets([[P0, 20n]]),
    positionsAt([
      [P0, 12n],
      [P1, 6n],
    ]),
  );
  assert.deepEqual(
    again,
    new Map([
      [K0, 20n],
      [K1, 4n],
    ]),
  );
  assert.equal(t.committedOffset(K0), 20n);
  assert.ok(!t.alreadyHas(K1, 4n), 'the dropped rows are wanted again');
  const pos = positionsAt([
    [P0, 12n],
    [P1, 6n],
  ]);
  assert.ok(!pos.rewind(K0, 20n), 'ahead of the worker: nothing to re-read');
  assert.ok(pos.rewind(K1, 4n) && pos.rewound(K1) && pos.position(K1) === 4n);
  pos.handling(K1);
  assert.ok(!pos.rewound(K1));
});

test('assignment starts at the smallest committed offset; dead letters below any table offset were sent; group offset is the minimum', () => {
  const ledger = new OffsetsLedger();
  ledger.open('a', offsets([[P0, 7n]]));
  ledger.open('b', offsets([[P0, 3n]]));
  assert.equal(ledger.assigned(K0, ['a', 'b']), 3n);
  assert.equal(ledger.assigned(K0, ['a']), 7n);
  assert.equal(ledger.assigned(K1, ['a', 'b']), undefined);
  assert.ok(ledger.deadLetterSent(K0, 6n) && !ledger.deadLetterSent(K0, 7n));
  assert.equal(ledger.groupOffset(K0), 3n);
});

test('a revoke forgets what was buffered for the partition but not what the table committed', () => {
  const ledger = new OffsetsLedger();
  const t = ledger.open('t', offsets([[P0, 5n]]));
  t.take(P0, 5n);
  ledger.revoked(K0);
  assert.equal(t.committedOffset(K0), 5n);
  assert.ok(!t.alreadyHas(K0, 5n) || t.nextWanted(K0) === -1n);
  assert.equal(ledger.assigned(K0, ['t']), 5n);
  assert.ok(t.alreadyHas(K0, 4n) && !t.alreadyHas(K0, 5n));
});

// ---- randomized: several workers, tables, partitions; a reference model checks every step ----

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rec {
  tp: TopicPartition;
  key: string;
  offset: bigint;
  /** Where the record goes: a table, or 'dlq'. */
  dest: string;
  /** Handling it first commits the table's buffer (a new writer schema). */
  newSchema: boolean;
}

class Fenced extends Error {}
const TRACE = process.env.FLOE_LEDGER_TRACE === '1';
const trace = (msg: string): void => {
  if (TRACE) console.log(msg.replaceAll('\u0000', '/'));
};
const fmt = (ranges: OffsetRange[]) => ranges.map((r) => `${r.topic}/${r.partition}[${r.from},${r.to})`).join(' ');
class CommitFailed extends Error {}

/** The tables as a catalog holds them: each table's offsets map, rows and commits; commits as commitBatch makes them. */
class Store {
  readonly maps = new Map<string, Map<string, bigint>>();
  readonly rows = new Map<string, Map<string, number>>(); // table → "key@offset" → times
  readonly commits: { table: string; ranges: OffsetRange[]; rows: Rec[] }[] = [];
  readonly deadLetters = new Map<string, number>();

  constructor(tables: string[]) {
    for (const t of tables) {
      this.maps.set(t, new Map());
      this.rows.set(t, new Map());
    }
  }

  offsetsOf(table: string): OffsetsMap {
    const m: OffsetsMap = new Map();
    for (const [key, o] of this.maps.get(table)!) {
      const [topic, p] = key.split('\u0000');
      if (!m.has(topic)) m.set(topic, new Map());
      m.get(topic)!.set(Number(p), o);
    }
    return m;
  }

  commit(table: string, ranges: OffsetRange[], rows: Rec[]): void {
    const map = this.maps.get(table)!;
    for (const r of ranges) {
      const at = map.get(tpKey(r));
      if (at !== undefined && at !== r.from) throw new Fenced(`${table} ${tpKey(r)} at ${at}, batch from ${r.from}`);
    }
    for (const r of ranges) {
      assert.ok(r.to >= r.from, `range goes backwards: ${r.from}..${r.to}`);
      map.set(tpKey(r), r.to);
    }
    const landed = this.rows.get(table)!;
    for (const rec of rows) landed.set(`${rec.key}@${rec.offset}`, (landed.get(`${rec.key}@${rec.offset}`) ?? 0) + 1);
    this.commits.push({ table, ranges, rows });
  }
}

interface SimTable {
  name: string;
  offsets: TableOffsets;
  buffer: Rec[];
  pending: { ranges: OffsetRange[]; rows: Rec[] } | undefined;
}

interface Scenario {
  byField: boolean;
  tables: string[];
  /** Topic routing: each topic's table. */
  topicTable: Map<string, string>;
  log: Map<string, Rec[]>;
  commitFailure: number;
}

/** A worker's use of the ledger, as src/pipeline/worker.ts, record-loop.ts and table-flusher.ts make it (processRun's slow path, flushTable, onFenced, assign, revoke). */
class SimWorker {
  readonly positions = new ReadPositions();
  readonly ledger = new OffsetsLedger();
  readonly tables = new Map<string, SimTable>();
  readonly fetchAt = new Map<string, bigint>();
  private deadLetterBuffer: Rec[] = [];
  private readonly flushing = new Set<SimTable>();
  readonly id: number;
  private readonly s: Scenario;
  private readonly store: Store;
  private readonly random: () => number;

  constructor(id: number, s: Scenario, store: Store, random: () => number) {
    this.id = id;
    this.s = s;
    this.store = store;
    this.random = random;
    for (const name of s.tables) {
      const t: SimTable = { name, offsets: this.ledger.open(name, store.offsetsOf(name)), buffer: [], pending: undefined };
      this.tables.set(name, t);
    }
  }

  private fedBy(tp: TopicPartition): SimTable[] {
    if (this.s.byField) return [...this.tables.values()];
    return [...this.tables.values()].filter((t) => t.name === this.s.topicTable.get(tp.topic) || t.offsets.inUse());
  }

  assign(tps: TopicPartition[]): void {
    trace(`w${this.id} assign ${tps.map(tpKey).join(' ')}`);
    for (const tp of tps) {
      const key = tpKey(tp);
      const start = this.ledger.assigned(
        key,
        this.fedBy(tp).map((t) => t.name),
      );
      this.positions.assign(tp, start, key);
      this.fetchAt.set(key, start ?? 0n); // startFrom: earliest
    }
  }

  revoke(tps: TopicPartition[]): void {
    trace(`w${this.id} revoke ${tps.map(tpKey).join(' ')}`);
    this.flushAll();
    for (const tp of tps) {
      const key = tpKey(tp);
      this.positions.revoke(key);
      this.fetchAt.delete(key);
      this.ledger.revoked(key);
    }
    // a commit that failed left rows behind: dropped, the partitions kept are read again
    for (const t of this.tables.values()) if (t.pending || t.buffer.length > 0) this.rewindTable(t, t.pending?.ranges ?? []);
  }

  /** The worker's rewindTable (table-flusher.ts): the table drops what it holds; its partitions are read again. */
  private rewindTable(t: SimTable, dropped: OffsetRange[]): void {
    t.pending = undefined;
    t.buffer = [];
    const own: OffsetsMap = new Map();
    for (const [key, recs] of this.s.log) {
      const at = t.offsets.committedOffset(key);
      if (at === undefined) continue;
      const topic = recs[0].tp.topic;
      if (!own.has(topic)) own.set(topic, new Map());
      own.get(topic)!.set(recs[0].tp.partition, at);
    }
    const again = t.offsets.fenced(dropped, own, this.positions);
    trace(`  w${this.id} ${t.name} rewound: read again ${[...again].map(([k, o]) => `${k}@${o}`).join(' ')}`);
    for (const [key] of this.positions.assigned()) {
      const at = again.get(key);
      if (at !== undefined && this.positions.rewind(key, at)) this.fetchAt.set(key, at);
    }
  }

  /** A fetch of up to n records of the partition, handled as one run. */
  deliver(key: string, n: number): void {
    const at = this.fetchAt.get(key);
    if (at === undefined) return;
    const batch = this.s.log.get(key)!.slice(Number(at), Number(at) + n);
    trace(`w${this.id} deliver ${key} ${batch.map((r) => `${r.offset}>${r.dest}${r.newSchema ? '*' : ''}`).join(' ')}`);
    this.fetchAt.set(key, at + BigInt(batch.length));
    if (!this.positions.isAssigned(key)) return;
    for (const rec of batch) {
      if (this.positions.alreadyProcessed(key, rec.offset)) continue;
      this.positions.handling(key);
      this.processOne(rec);
      if (this.positions.rewound(key)) return;
      this.positions.processed(key, rec.offset + 1n);
      this.touch(rec);
    }
  }

  private processOne(rec: Rec): void {
    if (rec.dest === 'dlq') return this.deadLetter(rec);
    const t = this.tables.get(rec.dest)!;
    if (t.offsets.alreadyHas(rec.key, rec.offset)) return;
    if (rec.newSchema) {
      // worker: reconcile commits the old schema's rows first; what its failed commit left is
      // dropped and read again (a batch has one schema)
      this.flush(t);
      if (t.pending || t.buffer.length > 0) this.rewindTable(t, t.pending?.ranges ?? []);
    }
    if (t.offsets.wouldStartNewRows(rec.key)) {
      for (const name of this.ledger.toCommitFirst(t.offsets, rec.key)) this.flush(this.tables.get(name)!);
    }
    if (this.positions.rewound(rec.key) || t.offsets.alreadyHas(rec.key, rec.offset)) return;
    if (!this.ledger.mayStartNewRows(t.offsets, rec.key)) {
      // the other table's commit failed: read the record again later (worker: retryFrom + seek)
      this.positions.retryFrom(rec.key, rec.offset);
      this.fetchAt.set(rec.key, rec.offset);
      return;
    }
    t.buffer.push(rec);
    t.offsets.take(rec.tp, rec.offset, rec.key);
  }

  private deadLetter(rec: Rec): void {
    if (this.ledger.deadLetterSent(rec.key, rec.offset)) return;
    this.deadLetterBuffer.push(rec);
  }

  private touch(rec: Rec): void {
    const own = this.s.topicTable.get(rec.tp.topic);
    for (const t of this.tables.values()) {
      if (!this.s.byField && t.name !== own && !t.offsets.isFedBy(rec.key)) continue;
      t.offsets.read(rec.tp, rec.offset, rec.key);
    }
  }

  flushAll(noFailures = false): void {
    let tables = [...this.tables.values()];
    for (let pass = 0; pass <= this.tables.size && tables.length > 0; pass++) {
      for (const t of tables) this.flush(t, noFailures);
      tables = tables.filter((t) => t.pending === undefined && (t.buffer.length > 0 || t.offsets.rangesToCommit(this.positions).length > 0));
    }
  }

  flush(t: SimTable, noFailures = false): void {
    if (this.flushing.has(t)) {
      trace(`  w${this.id} ${t.name} is flushing already`);
      return;
    }
    this.flushing.add(t);
    try {
      const retried = t.pending !== undefined;
      this.flushNow(t, noFailures);
      if (retried && t.pending === undefined) this.flushNow(t, noFailures);
    } finally {
      this.flushing.delete(t);
    }
  }

  private flushNow(t: SimTable, noFailures: boolean): void {
    trace(`  w${this.id} flushing ${t.name}${t.pending ? ' (pending)' : ''}`);
    if (!t.pending) {
      for (const name of this.ledger.toCommitBefore(t.offsets)) {
        const other = this.tables.get(name)!;
        if (this.flushing.has(other)) continue;
        this.flush(other, noFailures);
        if (other.offsets.mustCommitBefore(t.offsets)) {
          trace(`  w${this.id} ${t.name} waits for ${other.name}`);
          return;
        }
      }
      const ranges = this.ledger.rangesToCommit(t.offsets, this.positions);
      if (ranges.length === 0 && t.buffer.length === 0) return;
      if (this.ledger.passesNewRows(t.offsets, ranges)) {
        trace(`  w${this.id} ${t.name} would pass a waiting table's new rows`);
        this.rewindTable(t, []);
        if (!this.ledger.passesNewRows(t.offsets, this.ledger.rangesToCommit(t.offsets, this.positions))) this.flushNow(t, noFailures);
        return;
      }
      t.pending = { ranges, rows: t.buffer };
      t.offsets.cut(ranges);
      t.buffer = [];
    }
    const pending = t.pending;
    for (const rec of this.deadLetterBuffer) this.store.deadLetters.set(`${rec.key}@${rec.offset}`, (this.store.deadLetters.get(`${rec.key}@${rec.offset}`) ?? 0) + 1);
    this.deadLetterBuffer = [];
    try {
      if (!noFailures && this.random() < this.s.commitFailure) throw new CommitFailed();
      this.store.commit(t.name, pending.ranges, pending.rows);
      trace(`  w${this.id} commit ${t.name} ${fmt(pending.ranges)} rows ${pending.rows.map((r) => `${r.key}@${r.offset}`).join(',')}`);
      t.pending = undefined;
      t.offsets.committed(pending.ranges, this.positions);
    } catch (err) {
      if (err instanceof CommitFailed) {
        trace(`  w${this.id} commit ${t.name} failed ${fmt(pending.ranges)}`);
        return; // kept: the next flush tries again
      }
      if (!(err instanceof Fenced)) throw err;
      const dropped = t.pending?.ranges ?? [];
      t.pending = undefined;
      t.buffer = [];
      const again = t.offsets.fenced(dropped, this.store.offsetsOf(t.name), this.positions);
      trace(`  w${this.id} fenced ${t.name} (${(err as Error).message}): read again ${[...again].map(([k, o]) => `${k}@${o}`).join(' ')}`);
      for (const [key] of this.positions.assigned()) {
        const at = again.get(key);
        if (at !== undefined && this.positions.rewind(key, at)) this.fetchAt.set(key, at);
      }
    }
  }

  /** Everything assigned has been read and committed. */
  done(): boolean {
    for (const [key] of this.positions.assigned()) if (this.fetchAt.get(key)! < BigInt(this.s.log.get(key)!.length)) return false;
    for (const t of this.tables.values()) if (t.pending || t.buffer.length > 0 || t.offsets.rangesToCommit(this.positions).some((r) => r.to > r.from)) return false;
    return this.deadLetterBuffer.length === 0;
  }
}

function scenario(random: () => number): Scenario {
  const byField = random() < 0.5;
  const topics = ['a', 'b'].slice(0, 1 + Math.floor(random() * 2));
  const partitions = 1 + Math.floor(random() * 3);
  const tables = byField ? ['x', 'y', 'z'].slice(0, 2 + Math.floor(random() * 2)) : topics.map((t) => `table_${t}`);
  const topicTable = new Map(topics.map((t) => [t, `table_${t}`]));
  const log = new Map<string, Rec[]>();
  const dlqShare = random() * 0.3;
  for (const topic of topics) {
    for (let partition = 0; partition < partitions; partition++) {
      const tp = { topic, partition };
      const key = tpKey(tp);
      const n = 10 + Math.floor(random() * 40);
      const recs: Rec[] = [];
      for (let o = 0; o < n; o++) {
        const dest = random() < dlqShare ? 'dlq' : byField ? tables[Math.floor(random() * tables.length)] : topicTable.get(topic)!;
        recs.push({ tp, key, offset: BigInt(o), dest, newSchema: random() < 0.05 });
      }
      log.set(key, recs);
    }
  }
  return { byField, tables, topicTable, log, commitFailure: process.env.FLOE_LEDGER_COMMIT_FAILURES !== '0' && random() < 0.5 ? 0.2 : 0 };
}

/**
 * What a restart would see, checked after every step: per partition, the start R (smallest
 * offset over the tables it feeds). Every record below R is in its table exactly once (or was
 * dead-lettered); no row is in a table twice; every row of a table is below that table's offset
 * for its partition (so a restart skips it); every commit's rows lie in its own ranges.
 */
function checkStore(s: Scenario, store: Store, final: boolean): void {
  for (const [key, recs] of s.log) {
    const topic = recs[0].tp.topic;
    const fed = s.byField ? s.tables : [s.topicTable.get(topic)!];
    let start: bigint | undefined;
    for (const t of fed) {
      const at = store.maps.get(t)!.get(key);
      if (at !== undefined && (start === undefined || at < start)) start = at;
    }
    const r = start ?? 0n;
    if (final) assert.equal(r, BigInt(recs.length), `${key}: every table it feeds is at the end of the log`);
    for (const rec of recs) {
      const id = `${key}@${rec.offset}`;
      for (const t of s.tables) {
        const times = store.rows.get(t)!.get(id) ?? 0;
        assert.ok(times <= 1, `${id} landed ${times} times in ${t}`);
        if (times === 1) {
          assert.equal(rec.dest, t, `${id} landed in ${t}, it goes to ${rec.dest}`);
          const at = store.maps.get(t)!.get(key);
          assert.ok(at !== undefined && at > rec.offset, `${id} is in ${t} but its offset for the partition is ${at}: a restart lands it again`);
        }
      }
      if (rec.offset < r) {
        if (rec.dest === 'dlq') assert.ok((store.deadLetters.get(id) ?? 0) >= 1, `${id} is below the restart point ${r} but was never dead-lettered`);
        else assert.equal(store.rows.get(rec.dest)!.get(id), 1, `${id} is below the restart point ${r} but not in ${rec.dest}: lost`);
      }
    }
  }
  const seen = new Map<string, [bigint, bigint][]>();
  for (const c of store.commits) {
    for (const rec of c.rows) {
      const range = c.ranges.find((x) => tpKey(x) === rec.key);
      assert.ok(range && range.from <= rec.offset && rec.offset < range.to, `a commit of ${c.table} holds ${rec.key}@${rec.offset} outside its ranges`);
    }
    for (const r of c.ranges) {
      if (r.to === r.from) continue;
      const id = `${c.table} ${tpKey(r)}`;
      const list = seen.get(id) ?? [];
      for (const [f, t] of list) assert.ok(r.to <= f || r.from >= t, `${id}: [${r.from}, ${r.to}) committed again (overlaps [${f}, ${t}))`);
      list.push([r.from, r.to]);
      seen.set(id, list);
    }
  }
}

function runSequence(seed: number): { steps: number } {
  const random = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const s = scenario(random);
  trace(`seed ${seed}: ${s.byField ? 'field' : 'topic'} routing, tables ${s.tables.join(' ')}, commit failures ${s.commitFailure}`);
  const store = new Store(s.tables);
  let nextId = 0;
  const workers: SimWorker[] = [];
  const spawn = () => {
    const w = new SimWorker(nextId++, s, store, random);
    workers.push(w);
    return w;
  };
  const all = [...s.log.values()].map((recs) => recs[0].tp);
  /** The group's view: who owns each partition (a zombie may still read it). */
  const owner = new Map<string, SimWorker>();
  const first = spawn();
  first.assign(all);
  for (const tp of all) owner.set(tpKey(tp), first);
  const committedSeen = new Map<string, bigint>(); // worker/table/key → last committed offset seen
  const checkMonotonic = () => {
    for (const w of workers) {
      for (const t of w.tables.values()) {
        for (const key of s.log.keys()) {
          const id = `${w.id}/${t.name}/${key}`;
          const at = t.offsets.committedOffset(key);
          const before = committedSeen.get(id);
          if (before !== undefined) assert.ok(at !== undefined && at >= before, `${id}: committed offset went from ${before} to ${at}`);
          if (at !== undefined) committedSeen.set(id, at);
          // the table's own view is never ahead of the table
          if (at !== undefined) assert.ok(at <= store.maps.get(t.name)!.get(key)!, `${id}: ledger ahead of the table`);
        }
      }
    }
  };
  const steps = 60 + Math.floor(random() * 140);
  for (let step = 0; step < steps; step++) {
    const commitsBefore = store.commits.length;
    const x = random();
    const w = pick(workers);
    const mine = [...w.positions.assigned()].map(([k]) => k);
    if (x < 0.5) {
      if (mine.length > 0) w.deliver(pick(mine), 1 + Math.floor(random() * 8));
    } else if (x < 0.68) {
      const t = pick([...w.tables.values()]);
      trace(`w${w.id} flush ${t.name}`);
      w.flush(t);
    } else if (x < 0.75) {
      trace(`w${w.id} flush all`);
      w.flushAll();
    } else if (x < 0.83) {
      // rebalance: a partition moves to another (or a new) member
      const tp = pick(all);
      const from = owner.get(tpKey(tp))!;
      const to = random() < 0.3 || workers.length === 1 ? spawn() : pick(workers.filter((o) => o !== from));
      if (from.positions.isAssigned(tpKey(tp))) from.revoke([tp]);
      if (!to.positions.isAssigned(tpKey(tp))) to.assign([tp]);
      owner.set(tpKey(tp), to);
    } else if (x < 0.88) {
      // zombie: another member is given the partition before the owner hears of it
      const tp = pick(all);
      const from = owner.get(tpKey(tp))!;
      const to = random() < 0.5 || workers.length === 1 ? spawn() : pick(workers.filter((o) => o !== from));
      if (!to.positions.isAssigned(tpKey(tp))) to.assign([tp]);
      owner.set(tpKey(tp), to);
    } else if (x < 0.93) {
      // a zombie learns it lost partitions: it revokes them (its flush may be fenced)
      const lost = mine.filter((k) => owner.get(k) !== w);
      if (lost.length > 0) w.revoke(lost.map((k) => w.positions.partition(k)!));
    } else {
      // crash: everything not committed is lost; its partitions go to another member
      trace(`w${w.id} crash`);
      workers.splice(workers.indexOf(w), 1);
      const heir = workers.length === 0 || random() < 0.5 ? spawn() : pick(workers);
      const orphans = all.filter((tp) => owner.get(tpKey(tp)) === w);
      heir.assign(orphans.filter((tp) => !heir.positions.isAssigned(tpKey(tp))));
      for (const tp of orphans) owner.set(tpKey(tp), heir);
    }
    if (store.commits.length > commitsBefore) checkStore(s, store, false);
    checkMonotonic();
  }
  // the end: zombies hear of their loss, one member takes everything and reads to the end
  for (const w of workers) {
    const lost = [...w.positions.assigned()].filter(([k]) => owner.get(k) !== w).map(([, tp]) => tp);
    if (lost.length > 0) w.revoke(lost);
  }
  for (const w of workers) w.revoke([...w.positions.assigned()].map(([, tp]) => tp));
  checkStore(s, store, false);
  const last = spawn();
  last.assign(all);
  for (let round = 0; !last.done(); round++) {
    assert.ok(round < 1000, 'the last member never finishes');
    for (const key of s.log.keys()) last.deliver(key, 8);
    last.flushAll(true);
  }
  checkStore(s, store, true);
  for (const recs of s.log.values()) for (const rec of recs) if (rec.dest === 'dlq') assert.ok(store.deadLetters.has(`${rec.key}@${rec.offset}`));
  return { steps };
}

test('randomized: records, flushes, failed commits, fences, rebalances and crashes: nothing lost, nothing twice', () => {
  const one = process.env.FLOE_LEDGER_SEED;
  const count = Number(process.env.FLOE_LEDGER_SEQUENCES ?? 400);
  const base = one !== undefined ? Number(one) : (Date.now() % 1_000_000) * 1000;
  const seeds = one !== undefined ? [base] : Array.from({ length: count }, (_, i) => base + i);
  const started = Date.now();
  for (const seed of seeds) {
    try {
      runSequence(seed);
    } catch (err) {
      throw new Error(`ledger sequence failed: replay with FLOE_LEDGER_SEED=${seed}: ${(err as Error).message}`, { cause: err });
    }
  }
  assert.ok(Date.now() - started < 30_000);
});

test('sequences the randomized test once failed: a cycle of tables waiting for each other, a partition read again below a cut batch, a revoke whose flush failed', () => {
  // 236709385: a table whose commit failed still had to commit first, another took new rows anyway
  // 522105169, 523192352, 527002167: a table committed past rows of a table waiting for it
  // 488579971: a cut batch's table took rows below the batch's end again after a rewind
  // 438855664, 465090071: two tables waiting for each other forever (an earlier fix)
  // 2000021: a revoke whose flush failed left rows of the revoked partition for a later commit
  for (const seed of [236709385, 522105169, 523192352, 527002167, 488579971, 438855664, 465090071, 2000021]) {
    try {
      runSequence(seed);
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err });
    }
  }
});
