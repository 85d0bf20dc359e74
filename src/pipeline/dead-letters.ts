// Records that cannot land go to the dead-letter topic: the original key and value bytes
// untouched, the original headers carried over, and floe.* headers that say what went wrong
// and where the record came from.
//
// Ordering with the Iceberg commit (the exactly-once contract for dead letters): the pipeline
// calls `flush()` and waits for it BEFORE it commits the snapshot whose offsets map covers the
// dead-lettered records. A crash before the flush leaves both the dead letters and the offsets
// unwritten, so the records are read again; a crash between the flush and the commit re-reads
// and re-sends them. A dead letter can therefore be duplicated, never lost. (Kafka offers no
// atomic write across a topic and an Iceberg table; duplicates carry the same
// floe.original.topic/partition/offset headers, so a consumer of the dead-letter topic can drop
// them.) Outside that crash window each bad record is sent once: every partition's offsets
// move in some table's offsets map past its dead letters (pipeline/worker.ts), and a record
// read again below the highest offset a table holds for its partition is not sent again, so
// clean stops and restarts send no duplicates. Still at least once: a rebalance whose old
// owner's last commit is fenced by the new owner (the new owner re-reads what the old one had
// sent), and a connector with no table at all yet (every record so far was bad): there is no
// offsets map to record progress in, so a restart reads those records again.
//
// A dead letter larger than the dead-letter topic's max.message.bytes (read at start,
// cli/preflight.ts) could never be sent: it goes without its value, then without its key, then
// without the original headers, as far as needed, and the floe.error.dropped header says what
// was left out (the record itself is still in its topic, at floe.original.*). A registry that
// refuses floe's credentials (RegistryAuthError) is no record's fault: `add` rethrows it and the
// connector stops.
//
// The producer is a small interface so this file does not depend on the Kafka client: the
// adapter in src/kafka/ turns `DeadLetterMessage` into its client's message shape.
import { kindOf } from '../errors.ts';
import { ConnectorStoppedError } from './connector-stopped.ts';
import type { Counter } from 'prom-client';

/** A header of a produced message; a null value is a header with no value (Kafka allows it). */
export type DeadLetterHeader = [key: string, value: Buffer | null];

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** In order; a key may repeat (Kafka headers are a list, not a map). */
  headers: DeadLetterHeader[];
  /** Unset: the producer's partitioner decides (by key). */
  partition?: number;
}

/** What the dead-letter queue needs from a Kafka producer. `send` resolves once the broker acknowledged every message. */
export interface DeadLetterProducer {
  send(topic: string, messages: DeadLetterMessage[]): Promise<void>;
}

/** Headers as the Kafka clients hand them out: a list or Map of pairs, or an object (values may be arrays). */
export type RecordHeaders =
  Iterable<readonly [string | Uint8Array, Uint8Array | string | null | undefined]> | Record<string, Uint8Array | string | null | undefined | readonly (Uint8Array | string)[]>;

/** The consumed record, as far as the dead-letter queue needs it. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: bigint | number;
  /** The record's Kafka timestamp in milliseconds since the epoch. */
  timestampMs?: bigint | number;
  key: Uint8Array | null | undefined;
  value: Uint8Array | null | undefined;
  headers?: RecordHeaders;
}

export const HEADER_ERROR_CLASS = 'floe.error.class';
export const HEADER_ERROR_REASON = 'floe.error.reason';
export const HEADER_ERROR_MESSAGE = 'floe.error.message';
export const HEADER_ORIGINAL_TOPIC = 'floe.original.topic';
export const HEADER_ORIGINAL_PARTITION = 'floe.original.partition';
export const HEADER_ORIGINAL_OFFSET = 'floe.original.offset';
export const HEADER_ORIGINAL_TIMESTAMP = 'floe.original.timestamp';
export const HEADER_CONNECTOR = 'floe.connector';
/** What was left out of a dead letter too large for the topic: "value=N,key=N,headers=N" (bytes). */
export const HEADER_ERROR_DROPPED = 'floe.error.dropped';

const FLOE_HEADERS = new Set([
  HEADER_ERROR_CLASS,
  HEADER_ERROR_REASON,
  HEADER_ERROR_MESSAGE,
  HEADER_ORIGINAL_TOPIC,
  HEADER_ORIGINAL_PARTITION,
  HEADER_ORIGINAL_OFFSET,
  HEADER_ORIGINAL_TIMESTAMP,
  HEADER_CONNECTOR,
  HEADER_ERROR_DROPPED,
]);

/** `floe.error.message` is cut to this many UTF-8 bytes (an ellipsis marks the cut). */
export const MAX_ERROR_MESSAGE_BYTES = 4096;

/** The error's class name: its `name` when set, else its constructor's name. */
export function errorClassOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name && error.name !== 'Error') return error.name;
    const ctor = error.constructor?.name;
    return ctor || 'Error';
  }
  return typeof error === 'object' && error !== null ? 'UnknownError' : `thrown ${typeof error}`;
}

/** The error's short code: a string `reason` (DecodeError) or `code` property, if it has one of at most 64 characters. */
export function errorReasonOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  for (const k of ['reason', 'code'] as const) {
    const v = (error as Record<string, unknown>)[k];
    if (typeof v === 'string' && v.length > 0 && v.length <= 64) return v;
  }
  return undefined;
}

/** The error's message, with the messages of its causes appended ("...; caused by: ..."). */
export function errorMessageOf(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('; caused by: ');
}

/** Cut a string to at most `maxBytes` of UTF-8, on a character boundary, ending in "…" when cut. */
export function truncateUtf8(s: string, maxBytes: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= maxBytes) return b;
  const ellipsis = Buffer.from('…', 'utf8');
  let end = Math.max(0, maxBytes - ellipsis.length);
  // step back over UTF-8 continuation bytes (10xxxxxx) so no character is split
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return Buffer.concat([b.subarray(0, end), ellipsis]);
}

function toBuffer(b: Uint8Array | string): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function headerKey(k: string | Uint8Array): string {
  return typeof k === 'string' ? k : toBuffer(k).toString('utf8');
}

/** The original headers as a list of pairs, in order (object values that are arrays become repeated keys). */
export function normalizeHeaders(h: RecordHeaders | undefined): DeadLetterHeader[] {
  const out: DeadLetterHeader[] = [];
  if (h === undefined || h === null) return out;
  if (typeof (h as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of h as Iterable<readonly [string | Uint8Array, Uint8Array | string | null | undefined]>) {
      out.push([headerKey(k), v === null || v === undefined ? null : toBuffer(v)]);
    }
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, Uint8Array | string | null | undefined | readonly (Uint8Array | string)[]>)) {
    if (Array.isArray(v)) for (const x of v as readonly (Uint8Array | string)[]) out.push([k, toBuffer(x)]);
    else out.push([k, v === null || v === undefined ? null : toBuffer(v as Uint8Array | string)]);
  }
  return out;
}

/**
 * The dead-letter message for a record: key and value as they were, the original headers
 * (minus any floe.error.* / floe.original.* / floe.connector a replayed dead letter carried,
 * which the new values replace), then the floe.* headers. `floe.error.reason` is present only
 * when the error has a short code; `floe.original.timestamp` only when the record had one.
 */
export function deadLetterMessage(connector: string, record: SourceRecord, error: unknown): DeadLetterMessage {
  const headers: DeadLetterHeader[] = normalizeHeaders(record.headers).filter(([k]) => !FLOE_HEADERS.has(k));
  const put = (k: string, v: string | Buffer): void => {
    headers.push([k, typeof v === 'string' ? Buffer.from(v, 'utf8') : v]);
  };
  put(HEADER_ERROR_CLASS, errorClassOf(error));
  const reason = errorReasonOf(error);
  if (reason !== undefined) put(HEADER_ERROR_REASON, reason);
  put(HEADER_ERROR_MESSAGE, truncateUtf8(errorMessageOf(error), MAX_ERROR_MESSAGE_BYTES));
  put(HEADER_ORIGINAL_TOPIC, record.topic);
  put(HEADER_ORIGINAL_PARTITION, String(record.partition));
  put(HEADER_ORIGINAL_OFFSET, String(record.offset));
  if (record.timestampMs !== undefined) put(HEADER_ORIGINAL_TIMESTAMP, String(record.timestampMs));
  put(HEADER_CONNECTOR, connector);
  return {
    key: record.key === null || record.key === undefined ? null : toBuffer(record.key),
    value: record.value === null || record.value === undefined ? null : toBuffer(record.value),
    headers,
  };
}

function messageBytes(m: DeadLetterMessage): number {
  let n = 70 + (m.key?.length ?? 0) + (m.value?.length ?? 0); // ~record overhead in a v2 batch
  for (const [k, v] of m.headers) n += 8 + Buffer.byteLength(k) + (v?.length ?? 0);
  return n;
}

/** The header of a v2 record batch: a batch of one record is this much larger than the record. */
const RECORD_BATCH_OVERHEAD = 61;

/**
 * The dead letter as it fits in a record batch of at most `maxMessageBytes` (the topic's
 * max.message.bytes): as it is when it fits, else without its value, then its key, then the
 * original (non-floe) headers, as far as needed, with floe.error.dropped saying what was left
 * out and how many bytes it had. A message of floe headers alone is sent as it is.
 */
export function fitDeadLetter(m: DeadLetterMessage, maxMessageBytes: number): DeadLetterMessage {
  const fits = (x: DeadLetterMessage) => messageBytes(x) + RECORD_BATCH_OVERHEAD <= maxMessageBytes;
  if (fits(m)) return m;
  const dropped: string[] = [];
  let out: DeadLetterMessage = { ...m, headers: [...m.headers] };
  const withDropped = (x: DeadLetterMessage): DeadLetterMessage => ({ ...x, headers: [...x.headers, [HEADER_ERROR_DROPPED, Buffer.from(dropped.join(','), 'utf8')]] });
  if (out.value !== null) {
    dropped.push(`value=${out.value.length}`);
    out = { ...out, value: null };
    if (fits(withDropped(out))) return withDropped(out);
  }
  if (out.key !== null) {
    dropped.push(`key=${out.key.length}`);
    out = { ...out, key: null };
    if (fits(withDropped(out))) return withDropped(out);
  }
  const original = out.headers.filter(([k]) => !FLOE_HEADERS.has(k));
  if (original.length > 0) {
    dropped.push(`headers=${original.reduce((n, [k, v]) => n + Buffer.byteLength(k) + (v?.length ?? 0), 0)}`);
    out = { ...out, headers: out.headers.filter(([k]) => FLOE_HEADERS.has(k)) };
  }
  return withDropped(out);
}

export interface DeadLetterQueueOptions {
  /** The connector's name (the floe.connector header; named in ConnectorStoppedError). */
  connector: string;
  /** 'all': bad records go to the dead-letter topic. 'none': the first bad record stops the connector. */
  tolerance: 'none' | 'all';
  /** What an IncompatibleSchemaChangeError does, whatever the tolerance. Default 'stop'. */
  onIncompatibleSchema?: 'stop' | 'dead-letter';
  /** What a tombstone (a record with a null value) does, whatever the tolerance. Default: dead-letter when tolerance is all, else fail. */
  tombstones?: 'dead-letter' | 'fail';
  /** Required when anything can be dead-lettered. */
  topic?: string;
  producer?: DeadLetterProducer;
  /** Messages per `send` call. Default 500. */
  maxBatchMessages?: number;
  /** Approximate bytes per `send` call (keep under the broker's message.max.bytes). Default 900 KiB, at most maxMessageBytes. */
  maxBatchBytes?: number;
  /** The dead-letter topic's max.message.bytes: larger dead letters are cut to fit (fitDeadLetter). Unset: not cut. */
  maxMessageBytes?: number;
  /** Counted once the broker acknowledged the dead letter: labels topic (the original topic) and error_class. */
  counter?: Counter<'topic' | 'error_class'>;
}

interface Pending {
  seq: number;
  message: DeadLetterMessage;
  bytes: number;
  topic: string;
  errorClass: string;
}

export interface DeadLetterStats {
  /** Records given to `add` and queued, by error class (since the queue was made). */
  byClass: Record<string, number>;
  /** Dead letters the broker acknowledged. */
  sent: number;
  /** Queued, not yet acknowledged. */
  pending: number;
  pendingBytes: number;
}

export class DeadLetterQueue {
  readonly connector: string;
  readonly tolerance: 'none' | 'all';
  readonly onIncompatibleSchema: 'stop' | 'dead-letter';
  readonly tombstones: 'dead-letter' | 'fail';
  readonly topic: string | undefined;
  #producer: DeadLetterProducer | undefined;
  #maxMessages: number;
  #maxBytes: number;
  #maxMessageBytes: number | undefined;
  #counter: Counter<'topic' | 'error_class'> | undefined;
  #queue: Pending[] = [];
  #pendingBytes = 0;
  #seq = 0;
  #sent = 0;
  #byClass = new Map<string, number>();
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: DeadLetterQueueOptions) {
    this.connector = options.connector;
    this.tolerance = options.tolerance;
    this.onIncompatibleSchema = options.onIncompatibleSchema ?? 'stop';
    this.tombstones = options.tombstones ?? (this.tolerance === 'all' ? 'dead-letter' : 'fail');
    this.topic = options.topic;
    this.#producer = options.producer;
    this.#maxMessages = options.maxBatchMessages ?? 500;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#maxBytes = Math.min(options.maxBatchBytes ?? 900 * 1024, options.maxMessageBytes === undefined ? Infinity : Math.max(1, options.maxMessageBytes - RECORD_BATCH_OVERHEAD));
    this.#counter = options.counter;
    if (!(this.#maxMessages >= 1) || !(this.#maxBytes >= 1)) throw new RangeError('maxBatchMessages and maxBatchBytes must be at least 1');
    const canDeadLetter = this.tolerance === 'all' || this.onIncompatibleSchema === 'dead-letter' || this.tombstones === 'dead-letter';
    if (canDeadLetter && (!this.topic || !this.#producer)) {
      throw new TypeError(`connector ${this.connector}: a dead-letter topic and producer are required when records can be dead-lettered`);
    }
  }

  /**
   * Queue a record that cannot land. Throws ConnectorStoppedError instead when the
   * configuration says to stop on this error. An error whose kind is not `bad-record` is no
   * record's fault (the registry is down: retry; it refused floe's credentials: stop) and is
   * rethrown as it is.
   */
  add(record: SourceRecord, error: unknown): void {
    if (kindOf(error) !== 'bad-record') throw error;
    const errorClass = errorClassOf(error);
    const reason = errorReasonOf(error);
    const schemaChange = reason === 'incompatible-schema';
    const tombstone = record.value === null || record.value === undefined;
    const stopWhy = tombstone
      ? this.tombstones === 'fail'
        ? 'errors.tombstones is fail'
        : undefined
      : schemaChange
        ? this.onIncompatibleSchema === 'stop'
          ? 'errors.onIncompatibleSchema is stop'
          : undefined
        : this.tolerance === 'none'
          ? 'errors.tolerance is none'
          : undefined;
    if (stopWhy !== undefined) {
      const detail = truncateUtf8(error instanceof Error ? error.message : String(error), MAX_ERROR_MESSAGE_BYTES).toString('utf8');
      throw new ConnectorStoppedError(this.connector, `${errorClass}${reason ? ` (${reason})` : ''}: ${detail} [${stopWhy}]`, { at: record, errorClass, reason, cause: error });
    }
    const built = deadLetterMessage(this.connector, record, error);
    const message = this.#maxMessageBytes === undefined ? built : fitDeadLetter(built, this.#maxMessageBytes);
    const bytes = messageBytes(message);
    this.#queue.push({ seq: this.#seq++, message, bytes, topic: record.topic, errorClass });
    this.#pendingBytes += bytes;
    this.#byClass.set(errorClass, (this.#byClass.get(errorClass) ?? 0) + 1);
  }

  /** Dead letters queued and not yet acknowledged. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Approximate bytes held by queued dead letters (for the pipeline's buffer accounting). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  stats(): DeadLetterStats {
    return { byClass: Object.fromEntries(this.#byClass), sent: this.#sent, pending: this.#queue.length, pendingBytes: this.#pendingBytes };
  }

  /**
   * Send every dead letter added before this call, in order, in batches; resolves once the
   * broker acknowledged them all. On a failed send the rejection propagates and the unsent
   * dead letters stay queued (a later flush sends them; batches already acknowledged are not
   * sent again). Concurrent calls run one after another.
   */
  flush(): Promise<void> {
    const upTo = this.#seq;
    const run = this.#flushing.then(() => this.#sendUpTo(upTo));
    this.#flushing = run.catch(() => {});
    return run;
  }

  async #sendUpTo(upTo: number): Promise<void> {
    while (this.#queue.length > 0 && this.#queue[0].seq < upTo) {
      let n = 0;
      let bytes = 0;
      while (n < this.#queue.length && this.#queue[n].seq < upTo && n < this.#maxMessages) {
        const b = this.#queue[n].bytes;
        if (n > 0 && bytes + b > this.#maxBytes) break;
        bytes += b;
        n++;
      }
      const batch = this.#queue.slice(0, n);
      await this.#producer!.send(
        this.topic!,
        batch.map((p) => p.message),
      );
      this.#queue.splice(0, n);
      this.#pendingBytes -= bytes;
      this.#sent += n;
      if (this.#counter) for (const p of batch) this.#counter.inc({ topic: p.topic, error_class: p.errorClass });
    }
  }
}
