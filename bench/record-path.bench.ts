// Record path benchmark: the per-record CPU work between Kafka and a committed file, offline,
// on the `events` record (schemas/events.avsc, 16 fields, ~283 bytes framed):
//
//   Confluent Avro frame → ConfluentDecoder (registry answered from memory) → RecordBatchBuilder
//   .append → finish → encodeParquet (zstd) → file
//
//   taskset -c 1 node_modules/.bin/node bench/record-path.bench.ts
//   ROWS=200000 (rows per round), ROUNDS=5, ZSTD_LEVEL=3, META=1 (add the Kafka metadata
//   columns and merge their values into each record the way the worker does), REUSE=1 (one
//   builder for all files, as if PartitionedBatch kept its builders across flushes), DIRECT=1
//   (RecordBatchBuilder.appendAvro: frames straight into the columns, no decode stage; with
//   META=1 the metadata columns are extra columns filled from a scratch array, as the worker does)
//   FORMAT=json: the same events as plain JSON text (eventToJson), decodePlainJson, the table's
//   schema inferred from the first 5000 records; DIRECT=1 is RecordBatchBuilder.appendJson
//
// Records are decoded and appended in chunks of 1000 (decode a chunk, then append it), so both
// stages see records fresh in cache, as a consumer would; each stage is timed on its own with
// the process's CPU time (user + system, every thread) and wall time. One round = ROWS records
// into one new builder, then one file. Rounds are repeated; best and median are printed.
// The last line is one JSON object with every figure.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordBatchBuilder } from '../src/batch/record-batch.ts';
import { ConfluentDecoder, decodePlainJson, plainJsonFrame } from '../src/decode/record-decoder.ts';
import { inferJsonSchema } from '../src/schema/infer-json.ts';
import type { DecodedRecord } from '../src/decode/record-decoder.ts';
import type { RecordFrame } from '../src/decode/record-frame.ts';
import type { SchemaLookup } from '../src/decode/schema-registry.ts';
import { encodeFrame } from '../src/decode/wire-format.ts';
import type { Schema } from '../src/iceberg/types.ts';
import { encodeParquet } from '../src/parquet/encode.ts';
import { kafkaMetadataValues, withKafkaMetadataColumns } from '../src/schema/kafka-metadata.ts';
import { EVENTS_AVRO_SCHEMA, encodeEventAvro, eventToJson, sampleEvent } from '../schemas/events-sample.ts';

const ROWS = Number(process.env.ROWS ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ZSTD_LEVEL = Number(process.env.ZSTD_LEVEL ?? 3);
const META = process.env.META === '1';
/** Keep one builder across rounds (finish() restarts it at the last batch's capacity) instead of a new one per file. */
const REUSE = process.env.REUSE === '1';
const DIRECT = process.env.DIRECT === '1';
const JSON_FORMAT = process.env.FORMAT === 'json';
const text = new TextEncoder();
const META_COLUMNS = ['_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp'];
let kept: RecordBatchBuilder | undefined;
const CHUNK = 1000;

const lookup: SchemaLookup = {
  resolve: async (id) => ({ id, schema: EVENTS_AVRO_SCHEMA, schemaType: 'AVRO', references: [], dependencies: [] }),
};

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

interface Stage {
  cpuUs: number;
  wallMs: number;
}
const zero = (): Stage => ({ cpuUs: 0, wallMs: 0 });

interface Round {
  decode: Stage;
  meta: Stage;
  append: Stage;
  encode: Stage;
  write: Stage;
  fileBytes: number;
}

function makeFrames(n: number, from: number): Uint8Array[] {
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) out[i] = JSON_FORMAT ? text.encode(eventToJson(sampleEvent(from + i))) : encodeFrame(1, encodeEventAvro(sampleEvent(from + i)));
  return out;
}

function runRound(dec: ConfluentDecoder, tableSchema: Schema, frames: Uint8Array[], file: string): Round {
  const r: Round = { decode: zero(), meta: zero(), append: zero(), encode: zero(), write: zero(), fileBytes: 0 };
  const options = DIRECT && META ? { extraColumns: META_COLUMNS } : {};
  const builder = REUSE ? (kept ??= new RecordBatchBuilder(tableSchema, 'bench.events', options)) : new RecordBatchBuilder(tableSchema, 'bench.events', options);
  const values = new Array<Record<string, unknown>>(CHUNK);
  let offset = 0n;
  const direct = DIRECT ? (JSON_FORMAT ? plainJsonFrame(frames[0]) : (dec.frame(frames[0]) as RecordFrame)).direct : undefined;
  const writer = direct;
  const extras: unknown[] = ['events', 3, 0n, 0];
  for (let done = 0; writer !== undefined && done < frames.length; done += CHUNK) {
    const n = Math.min(CHUNK, frames.length - done);
    const w = performance.now();
    const c = cpuUs();
    for (let i = 0; i < n; i++) {
      let ok: boolean;
      if (META) {
        extras[2] = offset++;
        extras[3] = (1767225600000 + i) * 1000;
        ok = writer.format === 'avro' ? builder.appendAvro(writer.writer, frames[done + i], writer.offset, extras) : builder.appendJson(frames[done + i], writer.offset, extras);
      } else ok = writer.format === 'avro' ? builder.appendAvro(writer.writer, frames[done + i], writer.offset) : builder.appendJson(frames[done + i], writer.offset);
      if (!ok) throw new Error(`record ${done + i}: the direct path declined it`);
    }
    r.append.cpuUs += cpuUs() - c;
    r.append.wallMs += performance.now() - w;
  }
  for (let done = 0; writer === undefined && done < frames.length; done += CHUNK) {
    const n = Math.min(CHUNK, frames.length - done);
    let w = performance.now();
    let c = cpuUs();
    for (let i = 0; i < n; i++) values[i] = JSON_FORMAT ? decodePlainJson(frames[done + i]) : (dec.decode(frames[done + i]) as DecodedRecord).value;
    r.decode.cpuUs += cpuUs() - c;
    r.decode.wallMs += performance.now() - w;
    if (META) {
      // what the worker does per record with kafkaMetadataColumns (src/pipeline/worker.ts)
      w = performance.now();
      c = cpuUs();
      for (let i = 0; i < n; i++) {
        values[i] = {
          ...values[i],
          ...kafkaMetadataValues({ topic: 'events', partition: 3, offset: offset++, timestampMs: 1767225600000 + i, key: null, headers: [] }, {}),
        };
      }
      r.meta.cpuUs += cpuUs() - c;
      r.meta.wallMs += performance.now() - w;
    }
    w = performance.now();
    c = cpuUs();
    for (let i = 0; i < n; i++) builder.append(values[i]);
    r.append.cpuUs += cpuUs() - c;
    r.append.wallMs += performance.now() - w;
  }
  let w = performance.now();
  let c = cpuUs();
  const { bytes } = encodeParquet(tableSchema, builder.finish(), { zstdLevel: ZSTD_LEVEL });
  r.encode.cpuUs += cpuUs() - c;
  r.encode.wallMs += performance.now() - w;
  w = performance.now();
  c = cpuUs();
  fs.writeFileSync(file, bytes);
  r.write.cpuUs += cpuUs() - c;
  r.write.wallMs += performance.now() - w;
  r.fileBytes = bytes.length;
  return r;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-record-path-'));
  const file = path.join(dir, 'events.parquet');
  const t0 = performance.now();
  const frames = makeFrames(ROWS, 0);
  const warm = makeFrames(20_000, 10_000_000);
  const genMs = performance.now() - t0;
  const bytesPerFrame = frames.reduce((a, f) => a + f.length, 0) / frames.length;

  const dec = new ConfluentDecoder(lookup);
  const firstSchema = JSON_FORMAT ? inferJsonSchema(frames.slice(0, 5000).map((f) => decodePlainJson(f))).schema : (await dec.decode(frames[0])).schema;
  const tableSchema = META ? withKafkaMetadataColumns(firstSchema) : firstSchema;

  runRound(dec, tableSchema, warm, file); // JIT warm-up, not counted
  runRound(dec, tableSchema, warm, file);

  const rounds: Round[] = [];
  const loadBefore = os.loadavg()[0];
  for (let i = 0; i < ROUNDS; i++) rounds.push(runRound(dec, tableSchema, frames, file));
  const loadAfter = os.loadavg()[0];
  fs.rmSync(dir, { recursive: true, force: true });

  const stages: ('decode' | 'meta' | 'append' | 'encode' | 'write')[] = ['decode', ...(META ? (['meta'] as const) : []), 'append', 'encode', 'write'];
  const perRecordNs = (s: Stage) => (s.cpuUs * 1000) / ROWS;
  const figures: Record<string, unknown> = {
    bench: 'record-path',
    rows: ROWS,
    rounds: ROUNDS,
    bytesPerFrame: Math.round(bytesPerFrame),
    fileBytes: rounds[0].fileBytes,
    leafColumns: new RecordBatchBuilder(tableSchema, 'x').finish().columns.length,
    metadataColumns: META,
    direct: DIRECT,
    format: JSON_FORMAT ? 'json' : 'avro',
    reuseBuilder: REUSE,
    zstdLevel: ZSTD_LEVEL,
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    affinity: process.env.TASKSET ?? undefined,
    node: process.version,
    loadAverage1m: [+loadBefore.toFixed(2), +loadAfter.toFixed(2)],
    generateMs: Math.round(genMs),
  };
  console.log(`machine: ${figures.cpu} × ${figures.cpus}, node ${figures.node}; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`);
  console.log(`${ROWS} records × ${ROUNDS} rounds, ${Math.round(bytesPerFrame)} B/frame, ${figures.leafColumns} leaf columns, zstd ${ZSTD_LEVEL}, file ${rounds[0].fileBytes} B`);
  const totals: number[] = rounds.map((r) => stages.reduce((a, s) => a + perRecordNs(r[s]), 0));
  const wallTotals: number[] = rounds.map((r) => stages.reduce((a, s) => a + (r[s].wallMs * 1e6) / ROWS, 0));
  for (const s of stages) {
    const ns = rounds.map((r) => perRecordNs(r[s]));
    const best = Math.min(...ns);
    const med = median(ns);
    figures[`${s}NsBest`] = Math.round(best);
    figures[`${s}NsMedian`] = Math.round(med);
    console.log(`${s.padEnd(7)} ${best.toFixed(0).padStart(6)} ns/rec best (${Math.round(1e9 / best)} rec/s), median ${med.toFixed(0)} ns (${Math.round(1e9 / med)} rec/s)   [cpu time]`);
  }
  const bt = Math.min(...totals);
  const mt = median(totals);
  figures.totalNsBest = Math.round(bt);
  figures.totalNsMedian = Math.round(mt);
  figures.recPerCpuSecBest = Math.round(1e9 / bt);
  figures.recPerCpuSecMedian = Math.round(1e9 / mt);
  figures.recPerWallSecBest = Math.round(1e9 / Math.min(...wallTotals));
  figures.recPerWallSecMedian = Math.round(1e9 / median(wallTotals));
  figures.roundsTotalNs = totals.map((t) => Math.round(t));
  console.log(
    `total   ${bt.toFixed(0).padStart(6)} ns/rec best (${figures.recPerCpuSecBest} rec/cpu-s), median ${mt.toFixed(0)} ns (${figures.recPerCpuSecMedian} rec/cpu-s); wall best ${figures.recPerWallSecBest} rec/s, median ${figures.recPerWallSecMedian} rec/s`,
  );
  console.log(JSON.stringify(figures));
}

await main();
