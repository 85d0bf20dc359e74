// Fetched record batches (Kafka's v2 log format) → floe's KafkaRecord list for one partition.
// Two steps, both pure and unit-tested:
//   - readRecordBatches: the batches of a partition's records bytes, each with its header read
//     and its records section (decompressed) kept as bytes; a last batch cut off by the fetch
//     size is left out, as the broker may send one;
//   - convertBatches: the records of those batches, read straight from the bytes: records before
//     the fetch offset dropped (a fetch returns whole batches, so the first may start earlier),
//     control batches (transaction markers) skipped, and, under read_committed, records of
//     aborted transactions dropped.
// A record's key and value are views of the fetched bytes, not copies. Per record: the
// KafkaRecord, its offset, and those views (headers: one shared empty list when it has none).
import type { KafkaHeader, KafkaRecord } from './types.ts';
import { FloeError } from '../errors.ts';

/** One v2 record batch of a fetch response. */
export interface FetchedBatch {
  firstOffset: bigint;
  attributes: number;
  lastOffsetDelta: number;
  /** ms since the epoch */
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  /** the number of records the header announces */
  recordCount: number;
  /** the records section, decompressed: the pieces it lies in (one, mostly) */
  body: Buffer[];
  /**
   * A control batch's one record, its key only (the marker type); empty for other batches.
   * @platformatic/kafka's read_committed filter reads `records[0].key` of control batches.
   */
  records: { key: Buffer | null }[];
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** Decompresses a batch's records section; `codec` is the attributes' low 3 bits (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
export type Decompress = (codec: number, data: Buffer) => Buffer;

const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const CODEC_MASK = 0x07;
/** baseOffset .. recordsCount */
const BATCH_HEADER = 61;
/** baseOffset + batchLength: the bytes before what batchLength counts */
const LOG_OVERHEAD = 12;

/** Bytes that are not a record batch: floe cannot tell which records they held, so it stops (nothing is skipped). */
function corrupt(message: string): FloeError {
  return new FloeError('fatal', `kafka: ${message}`);
}

/**
 * Bytes as the socket handed them over: pieces, read as one run. A record batch may straddle
 * two pieces; a header or a record that does is copied out, the rest is read where it lies.
 */
export type Pieces = readonly Buffer[];

/** The whole batches of a partition's records bytes (in pieces, or one buffer), in order. */
export function readRecordBatches(bytes: Buffer | Pieces, decompress: Decompress): FetchedBatch[] {
  const pieces = Buffer.isBuffer(bytes) ? [bytes] : bytes;
  let total = 0;
  for (const p of pieces) total += p.length;
  const batches: FetchedBatch[] = [];
  const cur = { piece: 0, at: 0 }; // where the next batch starts: pieces[piece][at]
  let left = total;
  while (left >= LOG_OVERHEAD) {
    const head = take(pieces, { ...cur }, Math.min(BATCH_HEADER, left));
    const size = LOG_OVERHEAD + head.readInt32BE(8);
    if (size > left) break; // cut off by the fetch size: fetched again from its start
    if (size < BATCH_HEADER) throw corrupt(`a record batch of ${size} bytes is shorter than its header`);
    const magic = head[16];
    if (magic !== 2) throw corrupt(`record batch format ${magic} is not supported (only v2, Kafka 0.11 and later)`);
    const attributes = head.readInt16BE(21);
    const recordCount = head.readInt32BE(57);
    skip(pieces, cur, BATCH_HEADER);
    let body = span(pieces, cur, size - BATCH_HEADER);
    const codec = attributes & CODEC_MASK;
    if (codec !== 0) body = [decompress(codec, body.length === 1 ? body[0]! : Buffer.concat(body))];
    const batch: FetchedBatch = {
      firstOffset: head.readBigInt64BE(0),
      attributes,
      lastOffsetDelta: head.readInt32BE(23),
      firstTimestamp: int64Number(head, 27),
      maxTimestamp: int64Number(head, 35),
      producerId: head.readBigInt64BE(43),
      recordCount,
      body,
      records: [],
    };
    if ((attributes & CONTROL) !== 0 && recordCount > 0) batch.records = [{ key: controlKey(body) }];
    batches.push(batch);
    left -= size;
  }
  return batches;
}

/** n bytes from cur on as one buffer (a view where they lie in one piece, else a copy); cur moves past them. */
function take(pieces: Pieces, cur: { piece: number; at: number }, n: number): Buffer {
  const p = pieces[cur.piece]!;
  if (cur.at + n <= p.length) {
    const b = p.subarray(cur.at, cur.at + n);
    cur.at += n;
    if (cur.at === p.length && cur.piece + 1 < pieces.length) {
      cur.piece++;
      cur.at = 0;
    }
    return b;
  }
  return Buffer.concat(span(pieces, cur, n));
}

/** n bytes from cur on as views of the pieces they lie in; cur moves past them. */
function span(pieces: Pieces, cur: { piece: number; at: number }, n: number): Buffer[] {
  const out: Buffer[] = [];
  while (n > 0) {
    const p = pieces[cur.piece]!;
    const k = Math.min(n, p.length - cur.at);
    if (k === 0 && cur.piece + 1 >= pieces.length) throw corrupt('a record batch runs past the fetched bytes');
    if (k > 0) out.push(p.subarray(cur.at, cur.at + k));
    n -= k;
    cur.at += k;
    if (cur.at === p.length && cur.piece + 1 < pieces.length) {
      cur.piece++;
      cur.at = 0;
    }
  }
  return out;
}

function skip(pieces: Pieces, cur: { piece: number; at: number }, n: number): void {
  while (n > 0) {
    const p = pieces[cur.piece]!;
    const k = Math.min(n, p.length - cur.at);
    n -= k;
    cur.at += k;
    if (cur.at === p.length && cur.piece + 1 < pieces.length) {
      cur.piece++;
      cur.at = 0;
    }
  }
}

export interface ConvertResult {
  records: KafkaRecord[];
  /**
   * where the next fetch starts: after the last batch seen (control and aborted batches
   * included), never before `fetchOffset`
   */
  nextOffset: bigint;
}

const decoder = new TextDecoder();
const NO_HEADERS: KafkaHeader[] = Object.freeze([]) as unknown as KafkaHeader[];

/**
 * @param aborted the fetch response's aborted transactions for this partition (read_committed),
 *   or null/empty under read_uncommitted
 */
export function convertBatches(topic: string, partition: number, fetchOffset: bigint, batches: readonly FetchedBatch[], aborted: readonly AbortedTransaction[] | null): ConvertResult {
  const records: KafkaRecord[] = [];
  let nextOffset = fetchOffset;
  // aborted transactions in order of their first offset; a producer id is "open aborted" from
  // its first offset until its abort marker
  const pending = aborted && aborted.length > 0 ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1)) : [];
  const openAborted = new Set<bigint>();
  let pi = 0;
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (lastOffset < fetchOffset) continue;
    while (pi < pending.length && pending[pi]!.firstOffset <= lastOffset) openAborted.add(pending[pi++]!.producerId);
    if (lastOffset + 1n > nextOffset) nextOffset = lastOffset + 1n;
    if ((batch.attributes & CONTROL) !== 0) {
      // a control batch holds one marker; an abort marker (type 0) closes the producer's aborted txn
      const key = batch.records[0]?.key;
      if (key && key.length >= 4) {
        const type = (key[2]! << 8) | key[3]!;
        if (type === 0) openAborted.delete(batch.producerId);
      }
      continue;
    }
    if ((batch.attributes & TRANSACTIONAL) !== 0 && openAborted.has(batch.producerId)) continue;
    readRecordsOf(batch, topic, partition, fetchOffset, records);
  }
  return { records, nextOffset };
}

/** The records of one data batch at or after fetchOffset, appended to `out`. */
function readRecordsOf(batch: FetchedBatch, topic: string, partition: number, fetchOffset: bigint, out: KafkaRecord[]): void {
  const logAppend = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const first = batch.firstOffset;
  // records whose offset delta is below this are before the fetch offset
  const skipBelow = fetchOffset > first ? Number(fetchOffset - first) : 0;
  const pieces = batch.body;
  let piece = 0;
  let b = pieces[0] ?? EMPTY;
  let at = 0; // where the next record starts in b
  for (let n = 0; n < batch.recordCount; n++) {
    if (at === b.length && piece + 1 < pieces.length) {
      b = pieces[++piece]!;
      at = 0;
    }
    // the record where it lies, or (straddling two pieces) a copy of it
    let rb = b;
    pos = at;
    let length = -1;
    if (at + 5 <= b.length) length = varint(b);
    let end = pos + length;
    if (length < 0 || end > b.length) {
      const cur = { piece, at };
      const len = varintAcross(pieces, cur);
      if (len < 0 || !hasBytes(pieces, cur, len)) throw corrupt(`a record of ${topic}[${partition}] at ${first} runs past its batch`);
      rb = take(pieces, cur, len);
      piece = cur.piece;
      b = pieces[piece]!;
      at = cur.at;
      pos = 0;
      end = len;
    } else {
      at = end;
    }
    pos++; // attributes (unused)
    const timestampDelta = varlong(rb);
    const offsetDelta = varint(rb);
    if (offsetDelta < skipBelow) continue;
    const key = bytesField(rb, end);
    const value = bytesField(rb, end);
    const headerCount = varint(rb);
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      headers = [];
      for (let h = 0; h < headerCount; h++) {
        const k = bytesField(rb, end);
        headers.push([k === null ? '' : decoder.decode(k), bytesField(rb, end)]);
      }
    }
    if (pos !== end) throw corrupt(`a record of ${topic}[${partition}] at ${first} does not end where its length says`);
    out.push({
      topic,
      partition,
      offset: first + BigInt(offsetDelta),
      timestamp: logAppend ? batch.maxTimestamp : batch.firstTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
}

const EMPTY = Buffer.alloc(0);

/** the record readers' cursor into the buffer they read (one thread, no re-entry) */
let pos = 0;

/** The key of a control batch's one record (its marker type). */
function controlKey(body: Buffer[]): Buffer | null {
  const cur = { piece: 0, at: 0 };
  const len = varintAcross(body, cur);
  if (len < 0 || !hasBytes(body, cur, len)) throw corrupt('a control record runs past its batch');
  const rb = take(body, cur, len);
  pos = 1; // attributes
  varlong(rb);
  varint(rb);
  return bytesField(rb, len);
}

/** A zigzag varint at cur that may straddle pieces; cur moves past it. */
function varintAcross(pieces: Pieces, cur: { piece: number; at: number }): number {
  let v = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    let p = pieces[cur.piece]!;
    if (cur.at === p.length && cur.piece + 1 < pieces.length) {
      p = pieces[++cur.piece]!;
      cur.at = 0;
    }
    const c = p[cur.at++];
    if (c === undefined) throw corrupt('a record batch ends inside a number');
    v |= (c & 0x7f) << shift;
    if (c < 0x80) return (v >>> 1) ^ -(v & 1);
  }
  throw corrupt('a varint longer than 5 bytes');
}

/** Whether n bytes are left from cur on. */
function hasBytes(pieces: Pieces, cur: { piece: number; at: number }, n: number): boolean {
  let left = pieces[cur.piece]!.length - cur.at;
  for (let i = cur.piece + 1; left < n && i < pieces.length; i++) left += pieces[i]!.length;
  return left >= n;
}

/** A zigzag varint of up to 32 bits at pos. */
function varint(b: Buffer): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    const c = b[pos++];
    if (c === undefined) throw corrupt('a record batch ends inside a number');
    v |= (c & 0x7f) << shift;
    if (c < 0x80) break;
    shift += 7;
    if (shift > 28) throw corrupt('a varint longer than 5 bytes');
  }
  return (v >>> 1) ^ -(v & 1);
}

/** A zigzag varlong at pos, as a number (exact up to 2^53: a timestamp delta). */
function varlong(b: Buffer): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const c = b[pos++];
    if (c === undefined) throw corrupt('a record batch ends inside a number');
    v += (c & 0x7f) * scale;
    if (c < 0x80) return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    scale *= 128;
  }
  throw corrupt('a varlong longer than 10 bytes');
}

/** A length-prefixed byte field (length -1: null) at pos, as a view of b; it must end by `end`. */
function bytesField(b: Buffer, end: number): Buffer | null {
  const len = varint(b);
  if (len < 0) return null;
  const start = pos;
  pos += len;
  if (pos > end) throw corrupt('a record field runs past its record');
  return b.subarray(start, pos);
}

/** A big-endian int64 as a number (exact up to 2^53: a timestamp in ms). */
function int64Number(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 0x1_0000_0000 + b.readUInt32BE(at + 4);
}
