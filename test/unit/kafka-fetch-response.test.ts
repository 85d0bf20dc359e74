// fetch-response.ts: Fetch responses of every version floe reads (4–17), written here field by
// field, split into small chunks as a socket delivers them, read by floe and, as the oracle, by
// @platformatic/kafka's own readers (fetchV4 … fetchV17 parseResponse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as kafka from '@platformatic/kafka';
import { compressionsAlgorithmsByBitmask, createRecordsBatch, Reader, ResponseError, Writer } from '@platformatic/kafka';
import { DynamicBuffer } from '@platformatic/dynamic-buffer';
import { FETCH_MAX_VERSION, FETCH_MIN_VERSION, readFetchResponse, type FetchResponseOf } from '../../src/kafka/fetch-response.ts';
import { convertBatches, type Decompress } from '../../src/kafka/fetched-records.ts';
import { FloeError } from '../../src/errors.ts';
import { rng } from '../helpers/rng.ts';

const decompress: Decompress = (codec, data) => (compressionsAlgorithmsByBitmask as Record<number, { decompressSync(d: Buffer): Buffer }>)[codec]!.decompressSync(data);

interface PartitionSpec {
  index: number;
  errorCode: number;
  aborted: { producerId: bigint; firstOffset: bigint }[] | null;
  records: Buffer | null;
  preferred: number;
  currentLeader?: [number, number];
}

function recordsOf(r: () => number, first: bigint, codec: 'none' | 'zstd' | 'gzip'): Buffer {
  const parts: Buffer[] = [];
  let offset = first;
  for (let b = 0; b < 1 + Math.floor(r() * 3); b++) {
    const n = 1 + Math.floor(r() * 50);
    const msgs = Array.from({ length: n }, (_, i) => ({
      key: r() < 0.5 ? null : Buffer.from(`k${i}`),
      value: Buffer.from(`value ${offset + BigInt(i)} ${'x'.repeat(Math.floor(r() * 300))}`),
      timestamp: BigInt(1_700_000_000_000 + i),
    }));
    const bytes = Buffer.from(createRecordsBatch(msgs as never, { compression: codec } as never).dynamicBuffer.buffer);
    bytes.writeBigInt64BE(offset, 0);
    parts.push(bytes);
    offset += BigInt(n);
  }
  const all = Buffer.concat(parts);
  // sometimes a last batch cut off by the fetch size
  return r() < 0.3 ? all.subarray(0, all.length - 1 - Math.floor(r() * 40)) : all;
}

function tagged(w: Writer, fields: [number, Buffer][]): void {
  w.appendUnsignedVarInt(fields.length);
  for (const [tag, data] of fields) w.appendUnsignedVarInt(tag).appendUnsignedVarInt(data.length).append(data);
}

function responseBytes(v: number, topErrorCode: number, topics: { name: string; id: string; partitions: PartitionSpec[] }[], r: () => number): Buffer {
  const flexible = v >= 12;
  const w = Writer.create().appendInt32(7);
  if (v >= 7) w.appendInt16(topErrorCode).appendInt32(4242);
  w.appendArray(
    topics,
    (w, t) => {
      if (v >= 13) w.appendUUID(t.id);
      else w.appendString(t.name, flexible);
      w.appendArray(
        t.partitions,
        (w, p) => {
          w.appendInt32(p.index).appendInt16(p.errorCode).appendInt64(1000n).appendInt64(990n);
          if (v >= 5) w.appendInt64(3n);
          w.appendArray(p.aborted, (w, a) => w.appendInt64(a.producerId).appendInt64(a.firstOffset), flexible, flexible);
          if (v >= 11) w.appendInt32(p.preferred);
          if (flexible) {
            w.appendUnsignedVarInt(p.records === null ? 0 : p.records.length + 1);
          } else {
            w.appendInt32(p.records === null ? -1 : p.records.length);
          }
          if (p.records && p.records.length > 0) w.append(p.records);
          if (flexible) {
            const fields: [number, Buffer][] = [];
            if (p.currentLeader) {
              const b = Buffer.alloc(8);
              b.writeInt32BE(p.currentLeader[0], 0);
              b.writeInt32BE(p.currentLeader[1], 4);
              fields.push([1, b]);
            }
            // a tag no reader knows: skipped
            if (r() < 0.5) fields.push([9, Buffer.from('future')]);
            tagged(w, fields);
          }
        },
        flexible,
        false,
      );
    },
    flexible,
    flexible,
  );
  if (flexible) {
    if (v >= 16 && r() < 0.5) {
      const ep = Writer.create().appendArray([{ nodeId: 3, host: 'b3', port: 9093, rack: null }], (w, e) => w.appendInt32(e.nodeId).appendString(e.host).appendInt32(e.port).appendString(e.rack));
      tagged(w, [[0, Buffer.from(ep.dynamicBuffer.buffer)]]);
    } else tagged(w, []);
  }
  return Buffer.from(w.dynamicBuffer.buffer);
}

/** The bytes as a socket hands them over: a few chunks of random sizes. */
function chunked(b: Buffer, r: () => number): Reader {
  const chunks: Buffer[] = [];
  for (let at = 0; at < b.length;) {
    const n = Math.min(b.length - at, 1 + Math.floor(r() * 700));
    chunks.push(b.subarray(at, at + n));
    at += n;
  }
  return Reader.from(new DynamicBuffer(chunks));
}

type LibraryParse = (c: number, k: number, v: number, r: Reader) => unknown;
const libraryParse = (v: number): LibraryParse => (kafka as unknown as Record<string, { parseResponse: LibraryParse }>)[`fetchV${v}`]!.parseResponse;

function parseBoth<T>(read: () => T): { value?: T; error?: unknown } {
  try {
    return { value: read() };
  } catch (error) {
    return { error };
  }
}

interface LibraryPartition {
  records: { firstOffset: bigint; records: { offsetDelta: number; key: Buffer | null; value: Buffer | null }[] }[] | null;
  [k: string]: unknown;
}

/** A response with each partition's records as [offset, key, value] lists, for comparing the two readers. */
function normalize(resp: unknown, ours: boolean): unknown {
  const x = resp as { responses: { topicId: string; partitions: LibraryPartition[] }[]; nodeEndpoints?: unknown[] };
  return {
    ...x,
    // the library's consumer sets it where its reader of the version has none
    nodeEndpoints: x.nodeEndpoints ?? [],
    responses: x.responses.map((t) => ({
      ...t,
      partitions: t.partitions.map((p) => {
        let records: unknown = null;
        if (p.records !== null) {
          records = ours
            ? convertBatches('t', 0, 0n, (p as unknown as FetchResponseOf['responses'][0]['partitions'][0]).records!, null).records.map((r) => [
                r.offset,
                r.key ? [...r.key] : null,
                r.value ? [...r.value] : null,
              ])
            : p.records.flatMap((b) => b.records.map((r) => [b.firstOffset + BigInt(r.offsetDelta), r.key?.length ? [...r.key] : null, r.value ? [...r.value] : null]));
        }
        return { ...p, records };
      }),
    })),
  };
}

test(`every Fetch version from ${FETCH_MIN_VERSION} to ${FETCH_MAX_VERSION} reads as the library reads it`, () => {
  let checked = 0;
  for (let v = FETCH_MIN_VERSION; v <= FETCH_MAX_VERSION; v++) {
    for (let seed = 1; seed <= 6; seed++) {
      const r = rng(v * 100 + seed);
      const topics = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, ti) => ({
        name: `topic-${ti}`,
        id: `00000000-0000-4000-8000-00000000000${ti}`,
        partitions: Array.from({ length: 1 + Math.floor(r() * 4) }, (_, pi): PartitionSpec => {
          const kind = r();
          return {
            index: pi,
            // a partition error now and then (its records then absent)
            errorCode: seed === 6 && pi === 0 ? 6 : 0,
            aborted: r() < 0.3 ? [{ producerId: 5n, firstOffset: 2n }] : r() < 0.5 ? null : [],
            records: kind < 0.15 ? null : kind < 0.3 ? Buffer.alloc(0) : recordsOf(r, BigInt(Math.floor(r() * 1e6)), (['none', 'zstd', 'gzip'] as const)[Math.floor(r() * 3)]!),
            preferred: r() < 0.2 ? 2 : -1,
            currentLeader: r() < 0.3 ? [1, 17] : undefined,
          };
        }),
      }));
      const bytes = responseBytes(v, seed === 5 && v >= 7 ? 58 : 0, topics, r);
      const lib = parseBoth(() => libraryParse(v)(1, 1, v, chunked(bytes, rng(seed))));
      const ours = parseBoth(() => readFetchResponse(1, v, chunked(bytes, rng(seed + 1)), decompress));
      if (lib.error !== undefined) {
        assert.ok(lib.error instanceof ResponseError, `v${v} seed ${seed}: the library failed otherwise: ${String(lib.error)}`);
        assert.ok(ours.error instanceof ResponseError, `v${v} seed ${seed}: floe did not fail as the library did`);
        assert.deepEqual(Object.keys((ours.error as ResponseError).errors ?? {}).length, Object.keys((lib.error as ResponseError).errors ?? {}).length);
        assert.deepEqual(normalize((ours.error as ResponseError).response, true), normalize((lib.error as ResponseError).response, false), `v${v} seed ${seed} (error response)`);
      } else {
        assert.equal(ours.error, undefined, `v${v} seed ${seed}: ${String(ours.error)}`);
        assert.deepEqual(normalize(ours.value, true), normalize(lib.value, false), `v${v} seed ${seed}`);
      }
      checked++;
    }
  }
  assert.equal(checked, (FETCH_MAX_VERSION - FETCH_MIN_VERSION + 1) * 6);
});

test('a version outside 4–17 is refused by name', () => {
  assert.throws(() => readFetchResponse(1, 3, Reader.from(Buffer.alloc(8)), decompress), /Fetch v3 is not read by floe/);
  assert.throws(() => readFetchResponse(1, 18, Reader.from(Buffer.alloc(8)), decompress), /Fetch v18/);
});

test('records floe cannot read stop with a fatal error naming the topic and partition', () => {
  const batch = Buffer.from(createRecordsBatch([{ key: null, value: Buffer.from('x'), timestamp: 1n }] as never, {} as never).dynamicBuffer.buffer);
  batch[16] = 1; // magic: the message format before Kafka 0.11
  const bytes = responseBytes(17, 0, [{ name: 't', id: '00000000-0000-4000-8000-000000000009', partitions: [{ index: 4, errorCode: 0, aborted: null, records: batch, preferred: -1 }] }], () => 0.9);
  assert.throws(
    () => readFetchResponse(1, 17, Reader.from(bytes), decompress),
    (e: unknown) => e instanceof FloeError && e.kind === 'fatal' && /record batch format 1 is not supported .*\(topic id 00000000-0000-4000-8000-000000000009, partition 4\)/.test(e.message),
  );
});
