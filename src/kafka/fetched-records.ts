// Fetched record batches (Kafka's v2 log format, already decompressed by the client) → floe's
// KafkaRecord list for one partition: records before the fetch offset dropped (a fetch returns
// whole batches, so the first may start earlier), control batches (transaction markers) skipped,
// and, under read_committed, records of aborted transactions dropped. Pure; unit-tested.
import type { KafkaHeader, KafkaRecord } from './types.ts';

/** the parts of a v2 record batch this module reads */
export interface RawRecordBatch {
  firstOffset: bigint;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  attributes: number;
  lastOffsetDelta: number;
  producerId: bigint;
  records: RawRecord[];
}

export interface RawRecord {
  timestampDelta: bigint;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: [Uint8Array | null, Uint8Array | null][];
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

export interface ConvertResult {
  records: KafkaRecord[];
  /**
   * where the next fetch starts: after the last batch seen (control and aborted batches
   * included), never before `fetchOffset`
   */
  nextOffset: bigint;
}

const decoder = new TextDecoder();

/**
 * @param aborted the fetch response's aborted transactions for this partition (read_committed),
 *   or null/empty under read_uncommitted
 */
export function convertBatches(topic: string, partition: number, fetchOffset: bigint, batches: readonly RawRecordBatch[], aborted: readonly AbortedTransaction[] | null): ConvertResult {
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
      const marker = batch.records[0];
      if (marker?.key && marker.key.length >= 4) {
        const type = (marker.key[2]! << 8) | marker.key[3]!;
        if (type === 0) openAborted.delete(batch.producerId);
      }
      continue;
    }
    if ((batch.attributes & TRANSACTIONAL) !== 0 && openAborted.has(batch.producerId)) continue;
    const logAppend = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    const firstTimestamp = Number(batch.firstTimestamp);
    const maxTimestamp = Number(batch.maxTimestamp);
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < fetchOffset) continue;
      const headers: KafkaHeader[] = r.headers.length === 0 ? [] : r.headers.map(([k, v]): KafkaHeader => [k ? decoder.decode(k) : '', v]);
      records.push({
        topic,
        partition,
        offset,
        timestamp: logAppend ? maxTimestamp : firstTimestamp + Number(r.timestampDelta),
        key: r.key,
        value: r.value,
        headers,
      });
    }
  }
  return { records, nextOffset };
}
