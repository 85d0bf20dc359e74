// How a record becomes a row of one of a connector worker's tables (worker.ts, record-loop.ts):
// appended to the table's batch, straight from its bytes where the batch can (batch/
// append-frame.ts), with the Kafka metadata columns the connector adds (kafkaMetadataColumns),
// the keys of columns another engine renamed moved to the renamed column, and a top-level key
// named like a metadata column refused; or, for a record the table cannot take, a dead letter
// with the reason.
//
// The rule: a record lands whole or not at all (a batch whose append fails is unchanged), and
// every landed row has its Kafka timestamp noted and its table's commit clock started.
//
// Hot path (land and landDirect run per record): one scratch array for the metadata values,
// renames cached per table metadata, nothing else allocated per record.
import { appendDirect, appendFrame } from '../batch/append-frame.ts';
import type { ConnectorConfig } from '../config/connector-config.ts';
import type { RecordFrame } from '../decode/record-frame.ts';
import { kindOf } from '../errors.ts';
import type { Schema } from '../iceberg/types.ts';
import { JsonSchemaInferrer } from '../schema/infer-json.ts';
import { KAFKA_HEADERS, KAFKA_KEY, KAFKA_OFFSET, KAFKA_PARTITION, KAFKA_TIMESTAMP, KAFKA_TOPIC } from '../schema/kafka-metadata.ts';
import { applyRenames, renamesOf } from '../schema/renamed-columns.ts';
import type { Renames } from '../schema/renamed-columns.ts';
import type { SchemaRuleError } from '../schema/errors.ts';
import { reservedKeyOf } from '../schema/schema-rules.ts';
import type { SchemaLimits } from '../schema/schema-rules.ts';
import type { SourceRecord } from './source.ts';
import type { TableState } from './table-state.ts';

/** What landing needs of the worker. */
export interface RecordLandingHost {
  now(): number;
  /** The record goes to the dead-letter topic with this reason. */
  deadLetter(rec: SourceRecord, error: Error): void;
}

export class RecordLanding {
  /** The Kafka metadata columns the batches take as extras (empty without kafkaMetadataColumns). */
  readonly metadataColumns: readonly string[];
  /** Top-level names a producer's record may not use: the metadata columns. */
  readonly reserved: ReadonlySet<string>;
  /** Limits of the schemas this connector writes (schema-rules.ts). */
  readonly limits: SchemaLimits;
  private readonly host: RecordLandingHost;
  private readonly table: ConnectorConfig['table'];
  /** Scratch array for one record's metadata values (the builder copies them at once). */
  private readonly metadata: unknown[] = [];
  private readonly renamesByMetadata = new WeakMap<object, Renames | null>();
  /** What appendFrame checks a plain JSON value for when the table takes the metadata columns (a key named like one: a dead letter). */
  private readonly vetKeys: ((value: Record<string, unknown>) => Error | undefined) | undefined;

  /** `inferring`: plain JSON whose table schema grows with the records (an inferrer refuses reserved keys itself). */
  constructor(table: ConnectorConfig['table'], inferring: boolean, host: RecordLandingHost) {
    this.host = host;
    this.table = table;
    this.metadataColumns = table.kafkaMetadataColumns
      ? [KAFKA_TOPIC, KAFKA_PARTITION, KAFKA_OFFSET, KAFKA_TIMESTAMP, ...(table.kafkaKeyColumn ? [KAFKA_KEY] : []), ...(table.kafkaHeadersColumn ? [KAFKA_HEADERS] : [])]
      : [];
    this.reserved = new Set(this.metadataColumns);
    this.limits = { maxDepth: table.maxNestingDepth, maxColumns: table.maxColumns };
    // an inferrer refuses such keys itself (schema-rules.ts)
    this.vetKeys = inferring ? undefined : (value) => this.reservedKeyOf(value);
  }

  /** Columns another engine renamed in the table, from its schema history (cached per metadata). */
  renamesOf(t: TableState): Renames | undefined {
    const m = t.open.table.metadata;
    let r = this.renamesByMetadata.get(m);
    if (r === undefined) this.renamesByMetadata.set(m, (r = renamesOf(m.schemas, m['current-schema-id']) ?? null));
    return r ?? undefined;
  }

  /** A JSON schema inferrer seeded with a table's schema, under this connector's schema rules. */
  inferrerFor(base: Schema | undefined): JsonSchemaInferrer {
    return new JsonSchemaInferrer(base, { limits: this.limits, reserved: this.reserved });
  }

  /** A plain JSON value's keys of columns another engine renamed moved to the renamed column; false when the value does not decode. */
  renamed(t: TableState, frame: RecordFrame): boolean {
    const renames = this.renamesOf(t);
    if (!renames) return true;
    try {
      applyRenames(frame.value, renames);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Appends the record to t's batch (appendFrame: straight from its bytes where the batch can)
   * and notes its timestamp: true; false when it is a dead letter instead (a bad-record error).
   */
  land(t: TableState, rec: SourceRecord, frame: RecordFrame): boolean {
    try {
      if (this.metadataColumns.length > 0) appendFrame(t.batch, frame, this.metadataOf(rec), frame.schema === undefined ? this.vetKeys : undefined);
      else appendFrame(t.batch, frame);
    } catch (err) {
      if (kindOf(err) !== 'bad-record') throw err;
      this.host.deadLetter(rec, err as Error);
      return false;
    }
    this.landed(t, rec);
    return true;
  }

  /**
   * Appends a plain JSON record straight from its text (appendDirect) when t's batch has the
   * table's schema (no inferred change waits) and the record fits it as it is: true, its row
   * landed; false, nothing changed.
   */
  landDirect(t: TableState, rec: SourceRecord, frame: RecordFrame): boolean {
    if (t.batch.schema !== t.open.schema || !appendDirect(t.batch, frame, this.metadataColumns.length > 0 ? this.metadataOf(rec) : undefined)) return false;
    this.landed(t, rec);
    return true;
  }

  /** A row of the record is in t's batch: its timestamp noted, the table's commit clock started. */
  private landed(t: TableState, rec: SourceRecord): void {
    t.firstBufferedAt ??= this.host.now();
    t.timestamps.push(rec.timestamp);
  }

  /** A record (plain JSON, no inferrer) with a top-level key named like a metadata column: why it is a dead letter. */
  private reservedKeyOf(value: unknown): SchemaRuleError | undefined {
    return typeof value === 'object' && value !== null ? reservedKeyOf(value, this.reserved) : undefined;
  }

  /** The record's Kafka metadata column values, in metadataColumns order (a shared scratch array). */
  private metadataOf(rec: SourceRecord): unknown[] {
    const m = this.metadata;
    const t = this.table;
    m[0] = rec.topic;
    m[1] = rec.partition;
    m[2] = rec.offset;
    const micros = rec.timestamp * 1000;
    m[3] = Number.isSafeInteger(micros) ? micros : BigInt(rec.timestamp) * 1000n;
    let i = 4;
    if (t.kafkaKeyColumn === 'binary') m[i++] = rec.key ?? null;
    else if (t.kafkaKeyColumn === 'string') m[i++] = rec.key ? Buffer.from(rec.key.buffer, rec.key.byteOffset, rec.key.byteLength).toString('utf8') : null;
    if (t.kafkaHeadersColumn) m[i] = new Map(rec.headers);
    return m;
  }
}
