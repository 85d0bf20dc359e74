// One table's group commit: rows of concurrent append requests join one buffer and are committed
// together as one snapshot, when the oldest has waited commit.intervalMs or the buffer holds
// commit.maxRows rows or commit.maxBytes bytes. A request's promise settles only after the
// snapshot holding its rows is committed (or the commit failed: nothing of it is acknowledged).
//
// Rows are checked when they arrive, against the schema as it will be written (inferred and
// evolved by the JSON connector's rules, or the table's fixed schema): a request with bad rows
// is refused at once (partial=false) or keeps only its good rows (partial=true). Rows the
// inferrer would take without a change are told apart cheaply first (schema-fit.ts). Values the
// batch builder cannot coerce are found when the group is built: such a request is taken out of
// the group (or its bad rows, with partial=true) and the rest is built again.
//
// Building while rows arrive: when the table exists and its schema already holds everything
// inferred, a request's rows are appended to the group's column batch as they arrive, and the
// request keeps only its body (re-read on demand), not its parsed rows. That batch is used at the
// commit only when it is what building the group then would give: every request of the group was
// appended without an error, to the table's schema and spec as the commit has them, and no request
// left the group. Otherwise the group is built at the commit from the requests as above (their
// rows read again from their bodies), so answers never depend on which way a group was built.
//
// Idempotency keys (idempotency-ledger.ts): a key the table already holds is answered from the
// table; a key already waiting in this buffer shares that request's answer; and the commit itself
// checks the keys again on the table as reloaded for each attempt (another server may have landed
// one meanwhile), taking those requests out and committing the rest.
import type { Catalog } from '../catalog/catalog.ts';
import { appendFiles } from '../commit/append.ts';
import type { IngestCommit, IngestIdempotency, IngestTableSettings } from '../config/ingest-config.ts';
import { FloeError, kindOf } from '../errors.ts';
import { PartitionSpecError } from '../iceberg/partition-spec.ts';
import type { OpenTable } from '../pipeline/tables.ts';
import { TableManager } from '../pipeline/tables.ts';
import { JsonSchemaInferrer } from '../schema/infer-json.ts';
import type { ParquetEncoder } from '../writer/data-file-writer.ts';
import { PartitionedBatch } from '../batch/partitioned-batch.ts';
import { writeDataFiles } from '../writer/fanout-writer.ts';
import type { PartitionSpec } from '../iceberg/table-metadata.ts';
import type { Schema } from '../iceberg/types.ts';
import { KEYS_WINDOW_PROPERTY, KeyLedger, snapshotKeysSummary } from './idempotency-ledger.ts';
import type { KeyRecord } from './idempotency-ledger.ts';
import { IngestError } from './ingest-error.ts';
import type { ParsedBody, RowProblem } from './request-body.ts';
import { SchemaFit } from './schema-fit.ts';

export interface AppendRequest extends ParsedBody {
  key?: string;
  partial: boolean;
  /** The body's size, for the buffer's byte count. */
  bytes: number;
  /**
   * The body parsed again (the same ParsedBody): given, a request whose rows were built as they
   * arrived lets go of its parsed rows and reads them again only if its group must be rebuilt.
   */
  reread?: () => ParsedBody;
}

export interface AppendResult {
  /** The snapshot holding the rows; undefined when no row was committed. */
  snapshotId: bigint | undefined;
  rows: number;
  rejected: RowProblem[];
  /** Answered from the table (or from the same key's request in flight). */
  duplicate: boolean;
}

export interface CommitEvent {
  table: string;
  rows: number;
  requests: number;
  files: number;
  /** From the group's start to its commit, and its parts: building the batch, writing the files, the catalog commit. */
  ms: number;
  /** The rows were built as they arrived (else at the commit: buildMs). */
  builtOnArrival: boolean;
  buildMs: number;
  writeMs: number;
  commitMs: number;
}

export interface TableBufferOptions {
  name: string;
  catalog: Catalog;
  settings: IngestTableSettings;
  commit: IngestCommit;
  idempotency: IngestIdempotency;
  encoder?: ParquetEncoder;
  /** Shared count of buffered bytes over every table (limits.maxBufferedBytes). */
  buffered: { bytes: number };
  onCommitted?: (e: CommitEvent) => void;
  now?: () => number;
  /** Build rows as they arrive when the table allows (default true; false: always at the commit). */
  buildOnArrival?: boolean;
}

interface Pending {
  /** Its accepted rows (req.rows and req.indexes); req.rows is empty while `released`. */
  req: AppendRequest;
  /** Accepted rows. */
  count: number;
  /** Its rows were appended to the group's arrival batch. */
  onArrival: boolean;
  /** Its rows were let go (built on arrival): read them again from req.reread. */
  released: boolean;
  /** Every row the body parsed to was accepted (req.indexes, let go too, are the body's own). */
  everyRow: boolean;
  rejected: RowProblem[];
  /** Its rows refused when it arrived (rejected is these and those the builder refused). */
  refusedOnArrival: RowProblem[];
  accepted: number;
  settled: boolean;
  resolve(r: AppendResult): void;
  reject(e: unknown): void;
}

/** The column batch of the group waiting for its commit, built as its requests arrive. */
interface ArrivalBatch {
  batch: PartitionedBatch;
  schema: Schema;
  spec: PartitionSpec;
  /** False once a request of the group was not (or not wholly) appended: the group is built at the commit. */
  ok: boolean;
}

/** The commit found keys the table already holds (another server landed them). */
class KeysCommitted extends FloeError {
  readonly found: Map<string, KeyRecord>;
  constructor(found: Map<string, KeyRecord>) {
    super('conflict', `${found.size} idempotency keys are already in the table`);
    this.found = found;
  }
}

export class TableBuffer {
  readonly name: string;
  private readonly o: TableBufferOptions;
  private readonly tables: TableManager;
  private readonly now: () => number;
  private open: OpenTable | undefined;
  private loading: Promise<void> | undefined;
  /** ready() has resolved: append() need not wait for it. */
  private loaded = false;
  private inferrer: JsonSchemaInferrer | undefined;
  /** inferrer.changes when the table's schema last took the inferred one. */
  private evolvedAt = 0;
  private pending: Pending[] = [];
  /** The pending group's rows as built so far (undefined: no request yet). */
  private arrival: ArrivalBatch | undefined;
  /** The last group's arrival batch, drained: the next group's, when the schema and spec are the same. */
  private spare: PartitionedBatch | undefined;
  /** Tells the rows the inferrer would take unchanged, for inferrer.changes = fitAt. */
  private fit: SchemaFit | undefined;
  private fitAt = -1;
  private pendingRows = 0;
  private pendingBytes = 0;
  private firstAt = 0;
  private readonly inFlight = new Map<string, Promise<AppendResult>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private flushNow = false;

  constructor(options: TableBufferOptions) {
    this.o = options;
    this.name = options.name;
    this.now = options.now ?? Date.now;
    const s = options.settings;
    this.tables = new TableManager(options.catalog, {
      table: {
        name: options.name,
        partitionBy: s.partitionBy,
        autoCreate: s.autoCreate,
        evolveSchema: s.evolveSchema,
        kafkaMetadataColumns: false,
        kafkaHeadersColumn: false,
        properties: s.properties,
        maxNestingDepth: s.maxNestingDepth,
        maxColumns: s.maxColumns,
      },
    });
  }

  /** Rows waiting for a commit (not those being committed). */
  get bufferedRows(): number {
    return this.pendingRows;
  }

  /** Loads the table once (it may not exist yet). */
  private ready(): Promise<void> {
    this.loading ??= (async () => {
      this.open = await this.tables.load(this.name);
      const s = this.o.settings;
      if (!s.schema && s.evolveSchema) {
        this.inferrer = new JsonSchemaInferrer(this.open?.schema, { limits: { maxDepth: s.maxNestingDepth, maxColumns: s.maxColumns } });
        this.evolvedAt = this.inferrer.changes;
      }
      this.loaded = true;
    })().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  /** Adds a request's rows; resolves once they are committed (or rejects: nothing acknowledged). */
  async append(req: AppendRequest): Promise<AppendResult> {
    if (!this.loaded) await this.ready();
    const s = this.o.settings;
    if (!this.open && !s.autoCreate) throw new IngestError(404, 'bad-record', `table ${this.name} does not exist and autoCreate is false`);
    if (req.key !== undefined) {
      const waiting = this.inFlight.get(req.key);
      if (waiting) return waiting.then((r) => ({ ...r, duplicate: true }));
      const held = await this.heldKey(req.key);
      if (held) return { snapshotId: held.snapshotId, rows: held.rows, rejected: [], duplicate: true };
      // a request with the same key may have come in while this one looked in the table
      const came = this.inFlight.get(req.key);
      if (came) return came.then((r) => ({ ...r, duplicate: true }));
    }
    const problems = [...req.problems];
    // the request's own arrays while every row is good; copies from the first bad one
    let rows = req.rows;
    let indexes = req.indexes;
    const fixed = s.schema ?? (this.inferrer ? undefined : this.open?.schema);
    const columns = fixed && new Set(fixed.fields.map((f) => f.name));
    const inferrer = this.inferrer;
    let fit = inferrer && this.fitNow(inferrer);
    for (let i = 0; i < req.rows.length; i++) {
      const row = req.rows[i];
      let reason: string | undefined;
      if (columns) {
        const unknown = Object.keys(row).find((k) => !columns.has(k));
        if (unknown !== undefined) reason = `column "${unknown}" is not in the table's schema (its schema is fixed)`;
      } else if (inferrer && !fit!.fits(row)) {
        reason = inferrer.add(row)?.message;
        fit = this.fitNow(inferrer); // the row may have grown the schema
      }
      if (reason !== undefined) {
        if (rows === req.rows) {
          rows = req.rows.slice(0, i);
          indexes = req.indexes.slice(0, i);
        }
        problems.push({ index: req.indexes[i], reason });
      } else if (rows !== req.rows) {
        rows.push(row);
        indexes.push(req.indexes[i]);
      }
    }
    problems.sort((a, b) => a.index - b.index);
    if (problems.length > 0 && !req.partial) throw rowsRefused(problems);
    if (rows.length === 0) return { snapshotId: undefined, rows: 0, rejected: problems, duplicate: false };
    const promise = new Promise<AppendResult>((resolve, reject) => {
      const p: Pending = {
        req: { ...req, rows, indexes, problems: [] },
        count: rows.length,
        onArrival: false,
        released: false,
        everyRow: rows === req.rows,
        rejected: problems,
        refusedOnArrival: problems,
        accepted: 0,
        settled: false,
        resolve,
        reject,
      };
      if (this.pending.length === 0) this.firstAt = this.now();
      p.onArrival = this.buildOnArrival(rows);
      if (p.onArrival && req.reread) {
        p.req.rows = [];
        if (p.everyRow) p.req.indexes = [];
        p.released = true;
      }
      this.pending.push(p);
      this.pendingRows += rows.length;
      this.pendingBytes += req.bytes;
      this.o.buffered.bytes += req.bytes;
    });
    if (req.key !== undefined) {
      const key = req.key;
      this.inFlight.set(key, promise);
      promise.then(
        () => this.inFlight.delete(key),
        () => this.inFlight.delete(key),
      );
    }
    this.poke();
    return promise;
  }

  /** The SchemaFit of the inferrer as it is now. */
  private fitNow(inferrer: JsonSchemaInferrer): SchemaFit {
    if (!this.fit || this.fitAt !== inferrer.changes) {
      this.fit = new SchemaFit(inferrer.schema());
      this.fitAt = inferrer.changes;
    }
    return this.fit;
  }

  /**
   * Appends a request's accepted rows to the pending group's column batch; false when they are
   * not all there (the table does not exist or does not hold the inferred schema yet, a row did
   * not fit, or the group is to be built at the commit anyway).
   */
  private buildOnArrival(rows: Record<string, unknown>[]): boolean {
    const open = this.open;
    const ready = open !== undefined && this.o.buildOnArrival !== false && (!this.inferrer || this.inferrer.changes === this.evolvedAt);
    // a group starts built on arrival or not at all (undefined)
    if (this.pending.length === 0) {
      const spare = this.spare;
      this.spare = undefined;
      const batch = ready && (spare && spare.schema === open.schema && spare.spec === open.spec ? spare : new PartitionedBatch(open.name, open.schema, open.spec));
      this.arrival = batch ? { batch, schema: open.schema, spec: open.spec, ok: true } : undefined;
    }
    const a = this.arrival;
    if (!a || !a.ok) return false;
    if (!ready || open.schema !== a.schema || open.spec !== a.spec) {
      a.ok = false;
      return false;
    }
    try {
      for (let i = 0; i < rows.length; i++) a.batch.append(rows[i]);
    } catch {
      a.ok = false; // the commit builds the group and names the row's problem
      return false;
    }
    return true;
  }

  /**
   * The commit that holds the key, on the table as loaded last; a hit is checked again on the
   * table as it is now (another engine may have rolled main back past it since).
   */
  private async heldKey(key: string): Promise<KeyRecord | undefined> {
    if (!this.open || !KeyLedger.of(this.open.table.metadata).lookup(key)) return undefined;
    this.open = await this.tables.reload(this.open);
    return KeyLedger.of(this.open.table.metadata).lookup(key);
  }

  /** Commits everything buffered now; resolves when the buffer is empty. */
  async flush(): Promise<void> {
    this.flushNow = true;
    for (let i = 0; i < 1000 && (this.pending.length > 0 || this.running); i++) {
      this.poke();
      await this.running;
    }
  }

  private full(): boolean {
    return this.pendingRows >= this.o.commit.maxRows || this.pendingBytes >= this.o.commit.maxBytes;
  }

  /** Starts the commit loop unless it runs or a timer waits for a group that is not full. */
  private poke(): void {
    if (this.running) return; // the loop looks at the buffer again after its commit
    if (this.timer && !this.full() && !this.flushNow) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.pending.length > 0 && !this.timer) this.poke();
    });
  }

  private async run(): Promise<void> {
    while (this.pending.length > 0) {
      const wait = this.firstAt + this.o.commit.intervalMs - this.now();
      if (wait > 0 && !this.full() && !this.flushNow) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.poke();
        }, wait);
        return;
      }
      const group = this.pending;
      const arrival = this.arrival;
      this.o.buffered.bytes -= this.pendingBytes;
      this.pending = [];
      this.arrival = undefined;
      this.pendingRows = 0;
      this.pendingBytes = 0;
      await this.commitGroup(group, arrival);
    }
    this.flushNow = false;
  }

  /** Opens (or creates) the table and makes its schema take the inferred one. */
  private async tableForCommit(): Promise<OpenTable> {
    const s = this.o.settings;
    if (!this.open) {
      const changes = this.inferrer?.changes ?? 0;
      const schema = s.schema ?? this.inferrer!.schema();
      try {
        this.open = await this.tables.open(this.name, schema);
      } catch (err) {
        // the rows so far cannot make this table (a partition column they do not have)
        if (err instanceof PartitionSpecError) throw new IngestError(400, 'bad-record', `cannot create table ${this.name}: ${err.message}`, { cause: err });
        throw err;
      }
      this.evolvedAt = changes;
      if (this.inferrer) this.evolvedAt = -1; // it may have been created by another writer: reconcile once
    }
    if (this.inferrer && this.inferrer.changes !== this.evolvedAt) {
      const changes = this.inferrer.changes;
      const { table } = await this.tables.evolve(this.open, this.inferrer.schema());
      this.open = table;
      this.evolvedAt = changes;
    }
    return this.open;
  }

  /**
   * The group's rows as built on arrival, when that is what build() would give now: every request
   * of the group there, built to the table's schema and spec as they are now.
   */
  private builtOnArrival(open: OpenTable, group: Pending[], arrival: ArrivalBatch | undefined): { batch: PartitionedBatch; kept: Pending[] } | undefined {
    if (!arrival?.ok || arrival.schema !== open.schema || arrival.spec !== open.spec || !group.every((p) => p.onArrival)) return undefined;
    for (const p of group) p.accepted = p.count;
    return { batch: arrival.batch, kept: group };
  }

  /** A request's accepted rows, read again from its body if they were let go. */
  private rowsOf(p: Pending): Record<string, unknown>[] {
    if (!p.released) return p.req.rows;
    const again = p.req.reread!();
    let rows = again.rows;
    if (p.everyRow) p.req.indexes = again.indexes;
    else {
      // the accepted rows are those at p.req.indexes, in order
      const want = p.req.indexes;
      rows = [];
      for (let i = 0, j = 0; i < again.rows.length && j < want.length; i++) {
        if (again.indexes[i] === want[j]) {
          rows.push(again.rows[i]);
          j++;
        }
      }
    }
    if (rows.length !== p.count) throw new FloeError('fatal', `the body of a request to ${this.name} reads differently the second time`);
    p.req.rows = rows;
    p.released = false;
    return rows;
  }

  /** Builds the group's rows into partitioned batches; requests with rows that do not fit leave (partial=false). */
  private build(open: OpenTable, group: Pending[]): { batch: PartitionedBatch; kept: Pending[] } {
    const batch = new PartitionedBatch(open.name, open.schema, open.spec);
    const kept: Pending[] = [];
    let refused = false;
    for (const p of group) {
      const bad: RowProblem[] = [];
      let accepted = 0;
      const rows = this.rowsOf(p);
      const indexes = p.req.indexes;
      for (let i = 0; i < rows.length; i++) {
        try {
          batch.append(rows[i]);
          accepted++;
        } catch (err) {
          if (kindOf(err) !== 'bad-record') throw err;
          bad.push({ index: indexes[i], reason: (err as Error).message });
        }
      }
      if (bad.length > 0 && !p.req.partial) {
        refused = true;
        this.settle(p, undefined, rowsRefused([...p.refusedOnArrival, ...bad].sort((a, b) => a.index - b.index)));
        continue;
      }
      p.accepted = accepted;
      // built again (a request left the group, a later attempt): its builder-refused rows are found again
      p.rejected = bad.length > 0 ? [...p.refusedOnArrival, ...bad].sort((a, b) => a.index - b.index) : p.refusedOnArrival;
      kept.push(p);
    }
    // the refused requests' good rows are in the batch: build it again without them
    return refused ? this.build(open, kept) : { batch, kept };
  }

  private async commitGroup(group: Pending[], arrival: ArrivalBatch | undefined): Promise<void> {
    const started = this.now();
    try {
      let live = group;
      for (let attempt = 1; live.length > 0; attempt++) {
        const open = await this.tableForCommit();
        const buildStart = this.now();
        // a later attempt has fewer requests: build it
        const onArrival = attempt === 1 ? this.builtOnArrival(open, live, arrival) : undefined;
        const built = onArrival ?? this.build(open, live);
        const buildMs = this.now() - buildStart;
        live = built.kept;
        const keys = new Map<string, number>();
        for (const p of live) if (p.req.key !== undefined && p.accepted > 0) keys.set(p.req.key, p.accepted);
        const rows = live.reduce((n, p) => n + p.accepted, 0);
        if (rows === 0) {
          for (const p of live) this.settle(p, { snapshotId: undefined, rows: 0, rejected: p.rejected, duplicate: false });
          return;
        }
        const writeStart = this.now();
        const parts = built.batch.drain();
        // an arrival batch, drained, starts the next group's (its builders sized, its code compiled)
        if (onArrival) this.spare = built.batch;
        const files = await writeDataFiles(open.table, open.schema, open.spec, parts, { encoder: this.o.encoder });
        const commitStart = this.now();
        try {
          const result = await appendFiles(this.o.catalog, open.id, files, {
            specId: open.spec['spec-id'],
            deleteFilesOnAbort: true,
            prepare: (table, snapshotId) => {
              const ledger = KeyLedger.of(table.metadata);
              const found = new Map<string, KeyRecord>();
              for (const k of keys.keys()) {
                const r = ledger.lookup(k);
                if (r) found.set(k, r);
              }
              if (found.size > 0) throw new KeysCommitted(found);
              const summary: Record<string, string> = { ...snapshotKeysSummary(keys), 'floe.ingest.requests': String(live.length) };
              const properties: Record<string, string> = {};
              if (keys.size > 0 || table.metadata.properties?.[KEYS_WINDOW_PROPERTY] !== undefined) {
                properties[KEYS_WINDOW_PROPERTY] = ledger.withCommit(snapshotId, this.now(), keys, this.o.idempotency);
              }
              return { summary, properties };
            },
          });
          this.open = { ...open, table: result.table };
          const snapshotId = result.snapshot['snapshot-id'];
          for (const p of live) this.settle(p, { snapshotId, rows: p.accepted, rejected: p.rejected, duplicate: false });
          const now = this.now();
          this.o.onCommitted?.({
            table: this.name,
            rows,
            requests: live.length,
            files: files.length,
            ms: now - started,
            builtOnArrival: onArrival !== undefined,
            buildMs,
            writeMs: commitStart - writeStart,
            commitMs: now - commitStart,
          });
          return;
        } catch (err) {
          if (!(err instanceof KeysCommitted) || attempt >= 3) throw err;
          // another server landed some of these keys: answer them from the table, commit the rest
          for (const p of live) {
            const r = p.req.key === undefined ? undefined : err.found.get(p.req.key);
            if (r) this.settle(p, { snapshotId: r.snapshotId, rows: r.rows, rejected: [], duplicate: true });
          }
          live = live.filter((p) => !p.settled);
          this.open = await this.tables.reload(open);
        }
      }
    } catch (err) {
      for (const p of group) this.settle(p, undefined, err);
      // the next commit starts from the table as it is
      if (this.open) this.open = await this.tables.reload(this.open).catch(() => this.open);
    }
  }

  private settle(p: Pending, result: AppendResult | undefined, error?: unknown): void {
    if (p.settled) return;
    p.settled = true;
    if (result) p.resolve(result);
    else p.reject(error instanceof FloeError ? error : new FloeError('unknown-outcome', `the commit to ${this.name} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
  }
}

function rowsRefused(rows: RowProblem[]): IngestError {
  return new IngestError(400, 'bad-record', `${rows.length} row${rows.length === 1 ? '' : 's'} cannot be written`, { rows });
}
