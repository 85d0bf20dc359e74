// Kafka's Fetch response (API key 1, versions 4 to 17) read with each partition's records left
// as batches of bytes (fetched-records.ts), not as an object per record. @platformatic/kafka's
// own reader (apis/consumer/fetch-v*.js) parses every record into objects before the first is
// handed out; floe's fetch loop sends its Fetch requests through connections whose Fetch
// responses are read here instead (fetch-connections.ts). The response keeps the library's
// shape, field for field, so the library's consumer (fetch sessions, preferred replicas, retries,
// the read_committed filter) works on it as on its own: only `records` holds FetchedBatch[].
// Errors are raised as the library's readers raise them (a ResponseError naming each failing
// partition), which its retry logic reads.
import { Reader, ResponseError } from '@platformatic/kafka';
import { readRecordBatches, type Decompress, type FetchedBatch } from './fetched-records.ts';
import { FloeError } from '../errors.ts';

export const FETCH_API_KEY = 1;
export const FETCH_MIN_VERSION = 4;
export const FETCH_MAX_VERSION = 17;

export interface FetchedPartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** flexible versions (12 and later) only, as the library has them */
  divergingEpoch?: { epoch: number; endOffset: bigint };
  currentLeader?: { leaderId: number; leaderEpoch: number };
  snapshotId?: { endOffset: bigint; epoch: number };
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  preferredReadReplica: number;
  /** null: the broker sent no records field; [] none */
  records: FetchedBatch[] | null;
}

export interface FetchResponseOf {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  /** topic ids from v13 on, topic names before */
  responses: { topicId: string; partitions: FetchedPartition[] }[];
  nodeEndpoints: { nodeId: number; host: string; port: number; rack: string | null }[];
}

/** Reads a Fetch response body of version `apiVersion` (4–17); throws ResponseError as the library does. */
export function readFetchResponse(apiKey: number, apiVersion: number, reader: Reader, decompress: Decompress): FetchResponseOf {
  if (apiVersion < FETCH_MIN_VERSION || apiVersion > FETCH_MAX_VERSION)
    throw new FloeError('fatal', `kafka: Fetch v${apiVersion} is not read by floe (v${FETCH_MIN_VERSION} to v${FETCH_MAX_VERSION})`);
  const flexible = apiVersion >= 12;
  const errors: [string, [number, null]][] = [];
  const throttleTimeMs = reader.readInt32();
  let errorCode = 0;
  let sessionId = 0;
  if (apiVersion >= 7) {
    errorCode = reader.readInt16();
    if (errorCode !== 0) errors.push(['', [errorCode, null]]);
    sessionId = reader.readInt32();
  }
  const response: FetchResponseOf = {
    throttleTimeMs,
    errorCode,
    sessionId,
    responses: reader.readArray(
      (r, i) => {
        const topicId = apiVersion >= 13 ? r.readUUID() : r.readString(flexible);
        // a partition's own tagged fields are read by readPartition
        return { topicId, partitions: r.readArray((r, j) => readPartition(r, apiVersion, flexible, decompress, errors, i, j, topicId), flexible, false) };
      },
      flexible,
      flexible,
    ),
    nodeEndpoints: [],
  };
  if (flexible) {
    readTaggedFields(reader, (tag, r) => {
      if (tag === 0) response.nodeEndpoints = r.readArray((r) => ({ nodeId: r.readInt32(), host: r.readString(), port: r.readInt32(), rack: r.readNullableString() }));
    });
  }
  if (errors.length > 0) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  return response;
}

function readPartition(r: Reader, apiVersion: number, flexible: boolean, decompress: Decompress, errors: [string, [number, null]][], i: number, j: number, topic: string): FetchedPartition {
  const p: FetchedPartition = {
    partitionIndex: r.readInt32(),
    errorCode: r.readInt16(),
    highWatermark: r.readInt64(),
    lastStableOffset: r.readInt64(),
    logStartOffset: apiVersion >= 5 ? r.readInt64() : -1n,
    abortedTransactions: r.readNullableArray((r) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() }), flexible, flexible),
    preferredReadReplica: apiVersion >= 11 ? r.readInt32() : -1,
    records: null,
  };
  if (p.errorCode !== 0) errors.push([`/responses/${i}/partitions/${j}`, [p.errorCode, null]]);
  // flexible versions: COMPACT_RECORDS (length + 1, 0 = null); before: INT32 length, -1 = null
  const size = flexible ? r.readUnsignedVarInt() - 1 : r.readInt32();
  if (size >= 0) {
    // the socket's pieces as they are: a batch straddling two is read across them, not copied whole
    try {
      p.records = size === 0 ? [] : readRecordBatches(r.buffer.subarray(r.position, r.position + size).buffers, decompress);
    } catch (e) {
      if (!(e instanceof FloeError)) throw e;
      throw new FloeError(e.kind, `${e.message} (topic ${apiVersion >= 13 ? 'id ' : ''}${topic}, partition ${p.partitionIndex})`, { cause: e });
    }
    r.skip(size);
  }
  if (flexible) {
    p.divergingEpoch = { epoch: -1, endOffset: -1n };
    p.currentLeader = { leaderId: -1, leaderEpoch: -1 };
    p.snapshotId = { endOffset: -1n, epoch: -1 };
    readTaggedFields(r, (tag, t) => {
      if (tag === 0) p.divergingEpoch = { epoch: t.readInt32(), endOffset: t.readInt64() };
      else if (tag === 1) p.currentLeader = { leaderId: t.readInt32(), leaderEpoch: t.readInt32() };
      else if (tag === 2) p.snapshotId = { endOffset: t.readInt64(), epoch: t.readInt32() };
    });
  }
  return p;
}

/** A flexible version's tagged fields: each known one read from its own bytes, the rest skipped. */
function readTaggedFields(r: Reader, read: (tag: number, field: Reader) => void): void {
  const count = r.readUnsignedVarInt();
  for (let k = 0; k < count; k++) {
    const tag = r.readUnsignedVarInt();
    const size = r.readUnsignedVarInt();
    if (size > r.remaining) throw new RangeError(`kafka: Fetch response tagged field ${tag} of ${size} bytes runs past the response`);
    read(tag, Reader.from(r.buffer.slice(r.position, r.position + size)));
    r.skip(size);
  }
}
