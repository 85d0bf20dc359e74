// One connector worker: a consumer-group member that decodes, routes and buffers records per
// table, and commits each table's buffer together with the Kafka offsets it covers
// (commit/exactly-once.ts). All state changes run one at a time (`serial`), so a flush, a
// rebalance and a batch of records never interleave.
//
// The worker keeps the orchestration: assignment, the records a run cannot take at once
// (processOne), schema changes, when to flush, backpressure, failures. The per-record loop is
// record-loop.ts (a run of one partition's records, each taken at once or handed to
// processOne); how a record becomes a row of a table's batch is record-landing.ts (metadata
// columns, renamed columns, reserved keys). The flushes and commits are table-flusher.ts (a
// table's buffer written and committed with the offsets it covers, outages, fences, rewinds);
// what the worker holds per open table is a TableState (table-state.ts); a table the previous
// owner of a newly assigned partition moved is fenced at the next tick (handover-check.ts). The
// offsets bookkeeping is not here either: each table's offsets (committed, buffered, what a
// commit covers, what a fence rewinds) are a TableOffsets (commit/table-offsets.ts, its rules in
// its header), those of every open table and the decisions between tables (which commits first,
// where a partition starts) an OffsetsLedger (commit/offsets-ledger.ts), the worker's place in
// each partition is ReadPositions (read-positions.ts). The worker and its flusher tell them what happened and ask them what to
// commit, skip or seek; the I/O that follows (files, catalog, Kafka) is theirs.
//
// Records that land in no table (dead letters) still move offsets: under topic routing in the
// topic's table; under field routing in every table the worker has open (all of them carry
// every partition the worker reads), so no partition is left without a table that records how
// far it was read. A table whose offsets moved without rows commits them within
// OFFSETS_ONLY_INTERVALS commit intervals (field routing; table-flusher.ts), so group lag drains.
// Dead letters are flushed before any commit whose offsets cover them, and a record below the
// highest offset any table holds for its partition is never dead-lettered again (that commit
// made its dead letter durable). A dead letter is therefore sent once across clean stops and
// restarts; a crash between its send and the next commit that covers it, or a rebalance that
// fences the old owner's last commit, sends it again when the record is re-read (at least once).
// A table with rows of p but no offset for p yet must commit them before any other table commits
// p past them, or a crash would leave them unread: see flushTable (table-flusher.ts).
import type { OffsetsMap } from '../commit/offsets-map.ts';
import { resolveOffsets } from '../commit/committed-offsets.ts';
import { GroupOffsets } from '../commit/group-offsets.ts';
import { OffsetsLedger } from '../commit/offsets-ledger.ts';
import { IncompatibleSchemaChangeError } from '../iceberg/schema-evolution.ts';
import type { Schema } from '../iceberg/types.ts';
import { kindOf } from '../errors.ts';
import { UNLIMITED, schemaRuleBroken } from '../schema/schema-rules.ts';
import { catalogRefusal } from '../catalog/catalog-refusal.ts';
import { renamedFieldOf } from '../schema/renamed-columns.ts';
import { errorMessageOf } from './dead-letters.ts';
import { ConnectorStoppedError } from './connector-stopped.ts';
import type { RecordFrame } from '../decode/record-frame.ts';
import { PartitionedBatch } from '../batch/partitioned-batch.ts';
import { rowGroupBytesOf } from '../iceberg/table-properties.ts';
import { RouteError } from '../route/router.ts';
import type { SourceRecord, StartPosition } from './source.ts';
import { tpKey } from '../commit/offsets-map.ts';
import type { TopicPartition } from '../commit/offsets-map.ts';
import { ReadPositions } from './read-positions.ts';
import { RecordLanding } from './record-landing.ts';
import { RecordLoop } from './record-loop.ts';
import type { FirstAttempt } from './record-loop.ts';
import { BatchRoutes } from './batch-routes.ts';
import { catalogCall } from './catalog-retry.ts';
import type { CatalogRetryHost } from './catalog-retry.ts';
import { TableManager } from './tables.ts';
import type { OpenTable } from './tables.ts';
import { holdsRows } from './table-state.ts';
import type { TableState } from './table-state.ts';
import { TableFlusher } from './table-flusher.ts';
import { HandoverCheck } from './handover-check.ts';
import type { WorkerOptions } from './worker-options.ts';

/** What a worker is given and what it tells (worker-options.ts), for the worker's callers. */
export type { DeadLetterSink, ValueDecoder, WorkerEvents, WorkerLogger, WorkerOptions } from './worker-options.ts';

export class ConnectorWorker {
  private readonly o: WorkerOptions;
  private readonly tables: TableManager;
  private readonly state = new Map<string, TableState>();
  /** Assigned partitions, where the worker is in each, which a fence rewound (read-positions.ts). */
  private readonly positions = new ReadPositions();
  /** The offsets of every open table, and the decisions between tables (commit/offsets-ledger.ts). */
  private readonly ledger = new OffsetsLedger();
  private readonly paused = new Set<string>();
  /** Group offset commits, coalesced, one request at a time in the background (group-offsets.ts). */
  private readonly groupOffsets: GroupOffsets;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** Aborted when stop() or abort() begins (a catalog request's back-off wait ends then: catalog-retry.ts). */
  private readonly stopped = new AbortController();
  private readonly failed: Promise<Error>;
  private signalFailed!: (e: Error) => void;
  /** How a record becomes a row of a table's batch: metadata columns, renamed columns, reserved keys (record-landing.ts). */
  private readonly landing: RecordLanding;
  /** Field routing: the table depends on the value. */
  private readonly byField: boolean;
  /** Plain JSON whose table schema grows with the records (an inferrer per table). */
  private readonly inferring: boolean;
  /** Where a batch's records are routed, for a new table's inferred columns (batch-routes.ts). */
  private readonly batchRoutes: BatchRoutes;
  /** The per-record loop (record-loop.ts): takes a run of one partition's records. */
  private readonly loop: RecordLoop<TableState>;
  /** What a catalog request's retries read of the worker (catalog-retry.ts). */
  private readonly retry: CatalogRetryHost;
  /** The flushes and commits of the open tables (table-flusher.ts). */
  private readonly flusher: TableFlusher;
  /** After an assignment, a table the previous owner moved is fenced at once, not at its first commit (handover-check.ts). */
  private readonly handover: HandoverCheck;

  constructor(options: WorkerOptions) {
    this.o = options;
    this.tables = new TableManager(options.catalog, options.config);
    this.now = options.now ?? Date.now;
    this.failed = new Promise((resolve) => (this.signalFailed = resolve));
    this.byField = options.config.route.by === 'field';
    this.inferring = options.config.format === 'json' && options.config.table.evolveSchema;
    const landing = (this.landing = new RecordLanding(options.config.table, this.inferring, { now: this.now, deadLetter: (rec, error) => this.deadLetter(rec, error) }));
    this.batchRoutes = new BatchRoutes(options.decode, options.router);
    this.retry = {
      config: options.config,
      events: options.events,
      log: options.log,
      now: this.now,
      failure: () => this.failure,
      stopSignal: this.stopped.signal,
    };
    this.loop = new RecordLoop<TableState>({
      positions: this.positions,
      tables: this.state,
      router: options.router,
      byField: this.byField,
      inferring: this.inferring,
      decode: (bytes) => this.o.decode(bytes),
      renamed: (t, frame) => landing.renamed(t, frame),
      inferrerOf: (t) => (t.inferrer ??= landing.inferrerFor(t.open.schema)),
      landDirect: (t, rec, frame) => landing.landDirect(t, rec, frame),
      land: (t, rec, frame) => landing.land(t, rec, frame),
      deadLetter: (rec, error) => this.deadLetter(rec, error),
      processOne: (rec, key, records, index, first, grown) => this.processOne(rec, key, records, index, first, grown),
      touch: (rec, key) => this.touch(rec, key),
      settled: () => this.ledger.settled(),
      dropTakenPast: async (key, offset) => {
        for (const t of this.state.values()) if (t.offsets.nextWanted(key) > offset) await this.flusher.rewindTable(t, t.pending?.ranges ?? []);
      },
    });
    this.groupOffsets = new GroupOffsets({
      offsetOf: (key) => (this.positions.isAssigned(key) ? this.ledger.groupOffset(key) : undefined),
      send: (offsets) => this.o.source.commitOffsets(offsets),
      onError: (err) => this.o.log?.warn(`group offset commit failed: ${err.message}`),
    });
    this.flusher = new TableFlusher({
      ...this.retry,
      tables: this.state,
      ledger: this.ledger,
      positions: this.positions,
      catalog: options.catalog,
      encoder: options.encoder,
      deadLetters: options.deadLetters,
      groupOffsets: this.groupOffsets,
      seek: (tp, offset) => this.o.source.seek(tp, offset),
      committedOffsets: (open) => this.committedOffsets(open),
      reload: (open) => this.tables.reload(open),
    });
    this.handover = new HandoverCheck({
      tables: this.state,
      reload: (t) => this.tables.reload(t.open),
      committedOffsets: (open) => this.committedOffsets(open),
      fence: (t, err) => this.flusher.fence(t, err),
    });
  }

  /** stop() or abort() has begun. */
  private get stopping(): boolean {
    return this.stopped.signal.aborted;
  }

  /** Resolves with the error that stops this worker (a fatal error, never on a clean stop). */
  whenFailed(): Promise<Error> {
    return this.failed;
  }

  /** Joins the group and runs until stop() or a fatal error (rejects with it). */
  async start(): Promise<void> {
    await this.o.source.start({
      onAssigned: (parts) => this.serial(() => this.assign(parts)),
      onRevoked: (parts) => this.serial(() => this.revoke(parts)),
      onBatch: (records, stale) => this.serial(() => this.process(records, stale)),
    });
    const tick = Math.max(100, Math.min(1000, Math.floor(this.o.config.commit.intervalMs / 4)));
    this.timer = setInterval(() => {
      void this.serial(async () => {
        await this.handover.tick();
        await this.flusher.flushDue();
      }).catch(() => undefined);
    }, tick);
    this.timer.unref();
  }

  /** Stops at once without flushing or leaving the group: what a crash looks like (tests). */
  abort(): void {
    this.stopped.abort();
    if (this.timer) clearInterval(this.timer);
    this.fail(new ConnectorStoppedError(this.o.config.name, 'aborted'));
  }

  /** Flushes and commits everything buffered, then leaves the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopped.abort();
    if (this.timer) clearInterval(this.timer);
    try {
      if (!this.failure) await this.serial(() => this.flusher.flushAll());
      await this.groupOffsets.sent();
    } finally {
      await this.o.source.stop();
    }
    if (this.failure) throw this.failure;
  }

  /** The error that stopped this worker, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Tables whose writes or commits are failing now (an outage of the object store or the catalog). */
  failingTables(): string[] {
    return [...this.state.values()].filter((t) => t.outage !== undefined).map((t) => t.open.name);
  }

  /** Bytes of rows held in memory (rows already written as row groups of open files not counted). */
  bufferedBytes(): number {
    let n = 0;
    for (const t of this.state.values()) n += t.batch.memoryBytes;
    return n;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        return await fn();
      } catch (err) {
        this.fail(err as Error);
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err instanceof ConnectorStoppedError ? err : new ConnectorStoppedError(this.o.config.name, err.message, { cause: err });
    this.o.events?.error?.({ kind: 'fatal', error: err });
    this.o.log?.warn(this.failure.message);
    if (this.timer) clearInterval(this.timer);
    // open data files of rows that will not be committed: nothing may be left of them
    for (const t of this.state.values()) void this.flusher.dropFiles(t).catch(() => undefined);
    this.signalFailed(this.failure);
  }

  // ---- assignment ----

  private async assign(parts: TopicPartition[]): Promise<Map<string, StartPosition>> {
    const out = new Map<string, StartPosition>();
    await this.openConnectorTables();
    for (const tp of parts) {
      const key = tpKey(tp);
      const start = this.ledger.assigned(key, await this.tablesFedBy(tp));
      this.positions.assign(tp, start, key);
      out.set(key, start ?? this.o.config.kafka.startFrom);
    }
    this.handover.assigned(parts.map((tp) => ({ key: tpKey(tp), tp })));
    this.o.log?.info(`assigned ${parts.map((p) => `${p.topic}[${p.partition}]`).join(', ')}`);
    this.o.events?.rebalanced?.({ change: 'assigned', partitions: parts.length });
    return out;
  }

  /** The tables records of a partition can go to, as far as they can be known up front (opened; those that exist). */
  private async tablesFedBy(tp: TopicPartition): Promise<string[]> {
    const names = new Set<string>();
    const cfg = this.o.config;
    if (cfg.route.by === 'field') {
      for (const n of Object.values(cfg.route.tables)) names.add(n);
    } else {
      names.add(this.o.router.tableFor(tp.topic, {}));
    }
    // Field routing: every open table carries every partition (see touch).
    for (const [n, t] of this.state) if (cfg.route.by === 'field' || t.offsets.inUse()) names.add(n);
    const out: string[] = [];
    for (const n of names) if (this.state.has(n) || (await this.loadState(n))) out.push(n);
    return out;
  }

  /**
   * Field routing with a {value} table name: the tables the template names that already carry
   * this connector's offsets are opened up front, so a fresh worker knows how far every
   * partition was read (where to start, which dead letters were already sent).
   */
  private async openConnectorTables(): Promise<void> {
    const cfg = this.o.config;
    if (cfg.route.by !== 'field' || !cfg.table.name.includes('{value}')) return;
    const dot = cfg.table.name.lastIndexOf('.');
    const namespace = cfg.table.name.slice(0, dot).split('.');
    if (dot < 0 || namespace.some((n) => n.includes('{'))) return;
    const pattern = new RegExp(
      `^${cfg.table.name
        .slice(dot + 1)
        .split(/\{value\}|\{topic\}/)
        .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[a-z0-9_]+')}$`,
    );
    let ids: { namespace: string[]; name: string }[];
    try {
      ids = await catalogCall(this.retry, `listing the tables of ${namespace.join('.')}`, () => this.o.catalog.listTables(namespace));
    } catch (err) {
      if (!(await this.o.catalog.namespaceExists(namespace).catch(() => true))) return; // no table yet
      throw err;
    }
    for (const id of ids) {
      const name = [...id.namespace, id.name].join('.');
      if (!pattern.test(id.name) || this.state.has(name)) continue;
      const t = await this.loadState(name);
      if (t && !t.offsets.holdsOffsets()) {
        // not (yet) this connector's
        this.state.delete(name);
        this.ledger.close(name);
      }
    }
  }

  private async loadState(name: string, incoming?: Schema): Promise<TableState | undefined> {
    const open = await catalogCall(this.retry, `loading table ${name}`, () => (incoming === undefined ? this.tables.load(name) : this.tables.open(name, incoming)));
    if (!open) return undefined;
    const t: TableState = {
      open,
      batch: this.newBatch(open),
      files: undefined,
      offsets: this.ledger.open(name, this.committedOffsets(open)),
      firstBufferedAt: undefined,
      knownSchemas: new Set(),
      schemaIdOf: new Map(),
      schemaIds: new Set(),
      incompatible: new Map(),
      inferrer: undefined,
      pending: undefined,
      offsetsMovedAt: undefined,
      outage: undefined,
      timestamps: [],
    };
    this.state.set(name, t);
    return t;
  }

  /** The table's offsets for this connector as loaded (committed-offsets.ts); a notice is logged, unknown offsets stop the connector. */
  private committedOffsets(open: OpenTable): OffsetsMap {
    try {
      const resolved = resolveOffsets(open.table.metadata, this.o.config.name);
      if (resolved.notice !== undefined) this.o.log?.warn(`table ${open.name}: ${resolved.notice}`);
      return resolved.offsets;
    } catch (err) {
      throw new ConnectorStoppedError(this.o.config.name, `table ${open.name}: ${errorMessageOf(err)}`, { cause: err });
    }
  }

  private async revoke(parts: TopicPartition[]): Promise<void> {
    this.o.events?.rebalanced?.({ change: 'revoked', partitions: parts.length });
    // Commit what we hold for them while we still own them; a new owner that got there first
    // fences us, which is safe.
    // A commit refused for good, or an outage past its budget, stops the connector now (the rows
    // are read again on restart); anything else is logged, and what is left is rewound below.
    await this.flusher.flushAll().catch((err) => {
      if (kindOf(err) === 'fatal') throw err;
      this.o.log?.warn(`flush on revoke failed: ${(err as Error).message}`);
    });
    await this.groupOffsets.sent(); // while the group still says we own them
    for (const tp of parts) {
      const key = tpKey(tp);
      this.positions.revoke(key);
      this.paused.delete(key);
      this.ledger.revoked(key);
      this.handover.revoked(key);
    }
    // A flush that failed left rows behind, perhaps of the partitions just forgotten: a later
    // commit would carry them with no range for their partition, and the new owner would land
    // them again. What is left is dropped; the partitions kept are read again.
    for (const t of this.state.values()) if (holdsRows(t)) await this.flusher.rewindTable(t, t.pending?.ranges ?? []);
  }

  // ---- records ----

  private async process(records: SourceRecord[], stale?: () => boolean): Promise<void> {
    // sought (a rewind) while this batch waited its turn: its records come again from there
    if (stale?.()) return;
    // Once stop() or abort() has begun, a batch fetched in between is not taken: the final flush
    // may already have run, so its rows would be buffered (and open files started) with nothing
    // left to commit or abort them. It is not committed anywhere, so the next owner re-reads it.
    if (this.stopping) return;
    if (records.length > 0) this.o.events?.consumed?.({ topic: records[0].topic, count: records.length });
    // A fetch batch holds one partition's records; any batch is taken as runs of one partition.
    for (let from = 0; from < records.length;) {
      const first = records[from];
      let end = from + 1;
      while (end < records.length && records[end].partition === first.partition && records[end].topic === first.topic) end++;
      await this.loop.processRun(records, from, end);
      from = end;
    }
    await this.flusher.writeRowGroups();
    await this.flusher.flushDue();
    await this.applyBackpressure();
  }

  /**
   * Every record read from p moves p's offset in the tables p feeds, whatever became of it (a
   * row elsewhere, a dead letter), so a partition whose records all fail still advances.
   * With topic routing the topic's table is known; with field routing, any table may get p's
   * next record, so every open table is fed by p. Records that only advance offsets start the
   * topic's table's commit clock; under field routing a slower clock (OFFSETS_ONLY_INTERVALS
   * commit intervals), so idle tables do not commit an empty snapshot every interval.
   */
  private touch(rec: SourceRecord, key: string): void {
    const byField = this.byField;
    const staticTable = byField ? undefined : this.o.router.tableFor(rec.topic, {});
    for (const [name, t] of this.state) {
      if (!byField && name !== staticTable && !t.offsets.isFedBy(key)) continue;
      t.offsets.read(rec, rec.offset, key);
      if (name === staticTable) t.firstBufferedAt ??= this.now();
      else t.offsetsMovedAt ??= this.now();
    }
  }

  /**
   * Field routing: a table opened for a record is fed by every partition from now on (touch), and
   * is told where each assigned partition stands now, as touch() would have told it had it been
   * open when the partition's last records were read. Else a partition that went quiet before the
   * table appeared would never be in its offsets map. It holds none of this connector's offsets
   * (those tables are opened up front), so this only starts its range of p where p is.
   */
  private joinedLate(t: TableState): void {
    for (const [key, tp] of this.positions.assigned()) {
      const at = this.positions.position(key);
      if (at === undefined || t.offsets.committedOffset(key) !== undefined) continue;
      t.offsets.read(tp, at, key);
      t.offsetsMovedAt ??= this.now();
    }
  }

  /**
   * A record the run could not take at once: decoded (a bad record is a dead letter before any
   * table or schema work), routed, its table opened or created, its schema reconciled, other
   * tables flushed first where p's offsets need it, then appended, its bookkeeping told at once.
   * `first`: the run's decode attempt; `grown`: takeAtOnce already added the record to t's
   * inferrer, which grew.
   */
  private async processOne(rec: SourceRecord, key: string, batch: SourceRecord[], index: number, first?: FirstAttempt, grown = false): Promise<void> {
    const cfg = this.o.config;
    let decoded: RecordFrame;
    let tableNameOf: string;
    try {
      if (rec.value === null) throw new RouteError('record has no value (a tombstone)');
      decoded = await this.decodeWithRetry(rec.value, first);
      tableNameOf = this.o.router.tableFor(rec.topic, decoded.value); // reads (decodes) the value
    } catch (err) {
      return this.deadLetter(rec, err as Error);
    }

    let t = this.state.get(tableNameOf);
    if (!t) {
      let schema = decoded.schema;
      if (!schema && cfg.format === 'json') {
        // A new table's columns come from every record of this batch bound for it, not just
        // the first: one integral amount should not make the column a long.
        const inf = this.landing.inferrerFor(undefined);
        const e = inf.add(decoded.value);
        if (e) return this.deadLetter(rec, e);
        for (const v of await this.batchRoutes.valuesAfter(batch, index, tableNameOf)) {
          try {
            inf.add(v);
          } catch {
            // that record's own turn will send it to the dead letters
          }
        }
        schema = inf.schema();
      }
      t = (await this.loadState(tableNameOf, schema))!;
      if (this.byField) this.joinedLate(t);
    }
    if (t.offsets.alreadyHas(key, rec.offset)) return; // this table already has it

    // a plain JSON key of a column another engine renamed goes to the renamed column
    if (!decoded.schema) this.landing.renamed(t, decoded);
    // schema: reconcile the writer schema (registry) or grow the inferred one (plain JSON)
    if (decoded.schema) {
      const bad = t.incompatible.get(decoded.schema);
      if (bad) return this.deadLetter(rec, bad);
      if (!t.knownSchemas.has(decoded.schema)) {
        const ok = await this.reconcile(t, decoded.schema, rec, decoded.schemaId);
        if (!ok) return this.deadLetter(rec, t.incompatible.get(decoded.schema)!);
        t = this.state.get(tableNameOf)!;
      }
    } else if (this.inferring) {
      t.inferrer ??= this.landing.inferrerFor(t.open.schema);
      const before = t.inferrer.changes;
      const e = grown ? undefined : t.inferrer.add(decoded.value);
      if (e) return this.deadLetter(rec, e);
      if (grown || t.inferrer.changes !== before) {
        const ok = await this.reconcile(t, t.inferrer.schema(), rec);
        if (!ok) return this.deadLetter(rec, [...t.incompatible.values()].pop()!);
        t = this.state.get(tableNameOf)!;
      }
    }

    if (t.offsets.wouldStartNewRows(key)) {
      // At most one table holds rows of a partition it has no offset for, and no two tables hold
      // such rows of partitions the other has read: neither could commit before the other (see
      // flushTable), one would move a partition past the other's rows.
      for (const name of this.ledger.toCommitFirst(t.offsets, key)) await this.flusher.flushTable(this.state.get(name)!);
    }
    // A flush above (reconcile commits the rows buffered under the old schema; another table
    // commits first) may have been fenced: the table's offsets were reloaded and may now cover
    // this record (another worker landed it), or p was rewound to re-read rows the fence
    // dropped. Either way the record is not taken here.
    if (this.positions.rewound(key) || t.offsets.alreadyHas(key, rec.offset)) return;
    // A table asked above to commit first could not (a catalog error; its batch is kept for a
    // retry): taking the record now would make two tables hold new rows of p, or two tables each
    // wait for the other's commit, and one could commit p past the other's rows. It is read
    // again once the other has committed.
    if (!this.ledger.mayStartNewRows(t.offsets, key)) {
      this.positions.retryFrom(key, rec.offset);
      this.o.source.seek(rec, rec.offset);
      return;
    }
    if (!this.landing.land(t, rec, decoded)) return;
    if (decoded.schemaId !== undefined) t.schemaIds.add(decoded.schemaId);
    t.offsets.take(rec, rec.offset, key);
  }

  /** Makes the table's schema take `incoming` (the schema of `rec`); false when the change is incompatible (dead letters). */
  private async reconcile(t: TableState, incoming: Schema, rec: SourceRecord, schemaId?: number): Promise<boolean> {
    const cfg = this.o.config;
    // A writer schema with a field named like a metadata column, or one that breaks a schema
    // rule: its records are dead letters, before any file or catalog request. (An inferred
    // JSON schema was checked record by record by its inferrer; it holds the metadata columns.)
    const inferred = schemaId === undefined && cfg.format === 'json';
    if (!inferred) {
      const renames = this.landing.renamesOf(t);
      const renamed = renames && renamedFieldOf(incoming, renames);
      if (renamed) {
        t.incompatible.set(incoming, renamed);
        return false;
      }
      const broken = schemaRuleBroken(incoming, cfg.table.evolveSchema ? this.landing.limits : UNLIMITED, this.landing.reserved, cfg.table.evolveSchema ? t.open.schema : incoming);
      if (broken) {
        t.incompatible.set(incoming, broken);
        return false;
      }
    }
    if (!cfg.table.evolveSchema) {
      t.knownSchemas.add(incoming);
      if (schemaId !== undefined) t.schemaIdOf.set(incoming, schemaId);
      return true; // values that do not fit the table become dead letters one by one
    }
    // Data buffered under the old schema is committed first: a file has one schema. When that
    // commit failed (or a table that must commit first could not), the rows left cannot join a
    // batch of the new schema: they are dropped and read again (the record in hand too).
    await this.flusher.flushTable(t, true);
    if (holdsRows(t)) await this.flusher.rewindTable(t, t.pending?.ranges ?? []);
    try {
      const { table, changes } = await catalogCall(this.retry, `evolving the schema of table ${t.open.name}`, () => this.tables.evolve(t.open, incoming));
      if (changes.length > 0) {
        this.o.log?.info(`table ${t.open.name}: schema evolved: ${changes.map((c) => `${c.kind} ${c.path}`).join(', ')}`);
      }
      t.open = table;
      await this.flusher.dropFiles(t);
      t.batch = this.newBatch(table);
      t.inferrer = undefined;
      t.knownSchemas.add(incoming);
      if (schemaId !== undefined) t.schemaIdOf.set(incoming, schemaId);
      return true;
    } catch (err) {
      // the catalog refusing the change is the records' fault too (catalog-refusal.ts)
      const refused = catalogRefusal(err);
      if (kindOf(refused ?? err) !== 'bad-record') throw err;
      if (refused) {
        // the records that asked for it are dead letters; the inferrer forgets the change
        this.o.log?.warn(`table ${t.open.name}: ${refused.message}; the record at ${rec.topic}[${rec.partition}] offset ${rec.offset} goes to the dead letters`);
        t.inferrer = undefined;
        t.incompatible.set(incoming, refused);
        return false;
      }
      if (cfg.errors.onIncompatibleSchema === 'stop') {
        const schema = schemaId !== undefined ? `schema id ${schemaId}` : cfg.format === 'json' ? 'schema inferred from JSON' : 'writer schema';
        throw new ConnectorStoppedError(cfg.name, `table ${t.open.name} cannot ${changeOf(err)} (${schema}) [errors.onIncompatibleSchema is stop]`, { at: rec, cause: err });
      }
      t.incompatible.set(incoming, err as Error);
      return false;
    }
  }

  private deadLetter(rec: SourceRecord, error: Error): void {
    // Below the highest offset a table holds for the partition, the dead letter was sent (and
    // flushed) before that table's commit: a re-read must not send it twice.
    if (this.ledger.deadLetterSent(tpKey(rec), rec.offset)) return;
    this.o.deadLetters.add(rec, error); // throws ConnectorStoppedError-like errors for tolerance none
    this.o.events?.deadLetter?.({ record: rec, error });
    this.o.events?.error?.({ kind: 'bad-record', error });
  }

  // ---- flushing ----

  private newBatch(open: OpenTable): PartitionedBatch {
    return new PartitionedBatch(open.name, open.schema, open.spec, {
      extraColumns: this.landing.metadataColumns,
      rowGroupBytes: rowGroupBytesOf(open.table.metadata.properties ?? {}),
      writeBufferBytes: this.o.config.table.writeBufferMaxBytes,
    });
  }

  private async applyBackpressure(): Promise<void> {
    const limit = this.o.config.bufferMaxBytes;
    if (this.bufferedBytes() <= limit) {
      if (this.paused.size > 0 && this.bufferedBytes() <= limit / 2) {
        const parts = [...this.paused].map((k) => this.positions.partition(k)).filter((x): x is TopicPartition => x !== undefined);
        this.paused.clear();
        this.o.source.resume(parts);
      }
      return;
    }
    // Over the bound: flush the largest buffers; if that is not enough, pause everything.
    const bySize = [...this.state.values()].sort((a, b) => b.batch.memoryBytes - a.batch.memoryBytes);
    for (const t of bySize) {
      if (this.bufferedBytes() <= limit / 2) break;
      await this.flusher.flushTable(t);
    }
    if (this.bufferedBytes() > limit) {
      const parts = [...this.positions.assigned()].map(([, tp]) => tp);
      for (const p of parts) this.paused.add(tpKey(p));
      this.o.source.pause(parts);
    }
  }

  /** The registry being down is not the record's fault: wait for it (bounded), then stop. */
  private async decodeWithRetry(bytes: Uint8Array, first?: FirstAttempt): Promise<RecordFrame> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt === 1 && first !== undefined) {
          if ('error' in first) throw first.error;
          return await first.frame;
        }
        return await this.o.decode(bytes);
      } catch (err) {
        if (kindOf(err) !== 'retryable' || attempt >= 8) throw err;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** attempt)));
      }
    }
  }
}

/** "change column amount from string to long (Iceberg only widens …)", or the error's message. */
function changeOf(err: unknown): string {
  if (!(err instanceof IncompatibleSchemaChangeError)) return `take the change: ${errorMessageOf(err)}`;
  const change = err.from === err.to ? `take column ${err.path}` : `change column ${err.path} from ${err.from} to ${err.to}`;
  return `${change} (${err.why ?? 'Iceberg only widens int → long, float → double and decimal precision'})`;
}
