// Worker path benchmark: what ConnectorWorker adds per record on top of decode + append +
// encode, offline. An in-memory source (below) hands the worker fetch batches of Confluent Avro
// frames of the `events` record (schemas/events.avsc), one partition per batch, round-robin;
// the worker decodes (ConfluentDecoder, registry answered from memory), routes, buffers and
// commits to an embedded SQL catalog on a temp dir (inline zstd encoder, as a 1-core floe).
//
//   taskset -c 1 node_modules/.bin/node bench/worker-path.bench.ts
//   ROWS=200000 (records per round), ROUNDS=5, PARTITIONS=4, BATCH=500 (records per fetch
//   batch), META=1 (kafkaMetadataColumns; 0 = off), MAX_ROWS=ROWS+1 (commit.maxRows: by default
//   everything is flushed once, at stop), DIRECT=1 (the decoder hands lazy frames, ConfluentDecoder
//   .frame, which the batch appends straight from their bytes; 0 = decoded objects, then append)
//
//   FORMAT=json: the same events as plain JSON text (eventToJson), format json, the table's
//   schema inferred (evolveSchema); DIRECT=1 hands lazy frames (plainJsonFrame), which a batch
//   with appendJson takes straight from their text; 0 = decodePlainJson objects. The baseline
//   is decodePlainJson → append on the schema inferred from the first 2000 records.
//   TABLES=N (JSON only): each event also carries `"tenant": "tNN"` (NN = i % N, as in the
//   end-to-end many-tables case) and the worker routes by that field into N tables; the
//   baseline appends the same records into one table.
//
// A round: a fresh worker, a fresh table, ROWS records through it, then stop() (flush and
// commit). Process CPU time (user + system) is taken around the onBatch calls ("ingest":
// decode, route, bookkeeping, append; with MAX_ROWS < ROWS also the flushes) and around stop()
// ("flush": encode, write, commit). The baseline runs the same frames through ConfluentDecoder
// → RecordBatchBuilder.append (the table's schema without metadata columns) in the same process
// ("decode+append"), then encodeParquet ("encode"). Worker overhead per record = ingest −
// decode+append (the metadata columns count as overhead). Best and median of the rounds are
// printed; the last line is one JSON object.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RecordBatchBuilder } from '../src/batch/record-batch.ts';
import { SqlCatalog } from '../src/catalog/sql-catalog.ts';
import { parseConnectorConfig } from '../src/config/connector-config.ts';
import { ConfluentDecoder, decodePlainJson, plainJsonFrame } from '../src/decode/record-decoder.ts';
import { inferJsonSchema } from '../src/schema/infer-json.ts';
import type { DecodedRecord } from '../src/decode/record-decoder.ts';
import type { SchemaLookup } from '../src/decode/schema-registry.ts';
import { encodeFrame } from '../src/decode/wire-format.ts';
import { encodeParquet } from '../src/parquet/encode.ts';
import type { RecordSource, SourceHandlers, SourceRecord } from '../src/pipeline/source.ts';
import type { TopicPartition } from '../src/commit/offsets-map.ts';
import { ConnectorWorker } from '../src/pipeline/worker.ts';
import { createRouter } from '../src/route/router.ts';
import { EVENTS_AVRO_SCHEMA, encodeEventAvro, eventToJson, sampleEvent } from '../schemas/events-sample.ts';

const ROWS = Number(process.env.ROWS ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PARTITIONS = Number(process.env.PARTITIONS ?? 4);
const BATCH = Number(process.env.BATCH ?? 500);
const META = (process.env.META ?? '1') === '1';
const MAX_ROWS = Number(process.env.MAX_ROWS ?? ROWS + 1);
const DIRECT = (process.env.DIRECT ?? '1') === '1';
const JSON_FORMAT = process.env.FORMAT === 'json';
const TABLES = Number(process.env.TABLES ?? 0);
if (TABLES > 0 && !JSON_FORMAT) throw new Error('TABLES: FORMAT=json only');
const text = new TextEncoder();

const lookup: SchemaLookup = {
  resolve: async (id) => ({ id, schema: EVENTS_AVRO_SCHEMA, schemaType: 'AVRO', references: [], dependencies: [] }),
};

const cpuUs = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** Fetch batches per partition, delivered round-robin, each awaited (as the Kafka loop does). */
class BenchSource implements RecordSource {
  handlers: SourceHandlers | undefined;
  async start(h: SourceHandlers): Promise<void> {
    this.handlers = h;
  }
  seek(): void {
    throw new Error('bench source: unexpected seek (fenced?)');
  }
  pause(): void {}
  resume(): void {}
  async commitOffsets(): Promise<void> {}
  async stop(): Promise<void> {
    await this.handlers!.onRevoked(parts());
  }
}

const parts = (): TopicPartition[] => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'events', partition }));

/** Records of each partition, cut into fetch batches, in the order a round delivers them. */
function makeBatches(frames: Uint8Array[]): SourceRecord[][] {
  const perPart: SourceRecord[][] = parts().map(() => []);
  frames.forEach((value, i) => {
    const p = i % PARTITIONS;
    perPart[p].push({ topic: 'events', partition: p, offset: BigInt(perPart[p].length), timestamp: 1767225600000 + i, key: null, value, headers: [] });
  });
  const cut = perPart.map((recs) => Array.from({ length: Math.ceil(recs.length / BATCH) }, (_, b) => recs.slice(b * BATCH, (b + 1) * BATCH)));
  const out: SourceRecord[][] = [];
  for (let b = 0; cut.some((c) => b < c.length); b++) for (const c of cut) if (b < c.length) out.push(c[b]);
  return out;
}

interface WorkerRound {
  ingestUs: number;
  flushUs: number;
  wallMs: number;
  rows: number;
}

async function workerRound(dir: string, round: number, batches: SourceRecord[][]): Promise<WorkerRound> {
  const yaml = `
name: bench${round}
kafka: { brokers: ["127.0.0.1:9"] }
schemaRegistry: { url: "http://127.0.0.1:9" }
format: ${JSON_FORMAT ? 'json' : 'avro'}
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: "bench.events_${round}${TABLES > 0 ? '_{value}' : ''}", kafkaMetadataColumns: ${META} }
${TABLES > 0 ? 'route: { by: field, field: tenant }' : ''}
commit: { intervalMs: 3600000, maxRows: ${MAX_ROWS} }
errors: { tolerance: none }
`;
  const config = parseConnectorConfig(yaml, 'bench.yaml', {});
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const dec = new ConfluentDecoder(lookup);
  const source = new BenchSource();
  let rows = 0;
  const w = new ConnectorWorker({
    config,
    catalog,
    source,
    decode: JSON_FORMAT ? (DIRECT ? plainJsonFrame : (b) => ({ value: decodePlainJson(b) })) : DIRECT ? (b) => dec.frame(b) : (b) => dec.decode(b),
    router: createRouter(config.table.name, config.route),
    deadLetters: {
      add: (_r, e) => {
        throw e;
      },
      flush: async () => {},
    },
    events: { committed: (i) => (rows += i.rows) },
  });
  await w.start();
  await source.handlers!.onAssigned(parts());
  const wall = performance.now();
  const c = cpuUs();
  for (const b of batches) await source.handlers!.onBatch(b);
  const c2 = cpuUs();
  await w.stop();
  const out = { ingestUs: c2 - c, flushUs: cpuUs() - c2, wallMs: performance.now() - wall, rows };
  await catalog.close();
  return out;
}

async function baselineRound(batches: SourceRecord[][]): Promise<{ appendUs: number; encodeUs: number }> {
  const dec = new ConfluentDecoder(lookup);
  // the schema lookup (or inference), outside the timing
  const schema = JSON_FORMAT
    ? inferJsonSchema(
        batches
          .flat()
          .slice(0, 2000)
          .map((r) => decodePlainJson(r.value!)),
      ).schema
    : (await dec.decode(batches[0][0].value!)).schema;
  const decode = JSON_FORMAT ? decodePlainJson : (b: Uint8Array) => (dec.decode(b) as DecodedRecord).value;
  const builder = new RecordBatchBuilder(schema, 'bench.events');
  let appendUs = 0;
  let encodeUs = 0;
  let c = cpuUs();
  for (const b of batches) {
    for (const r of b) builder.append(decode(r.value!));
    if (builder.rowCount >= MAX_ROWS) {
      const c2 = cpuUs();
      appendUs += c2 - c;
      encodeParquet(schema, builder.finish(), { zstdLevel: 3 });
      c = cpuUs();
      encodeUs += c - c2;
    }
  }
  const c2 = cpuUs();
  appendUs += c2 - c;
  if (builder.rowCount > 0) encodeParquet(schema, builder.finish(), { zstdLevel: 3 });
  encodeUs += cpuUs() - c2;
  return { appendUs, encodeUs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-worker-path-'));
  const json = (i: number): string => {
    const j = eventToJson(sampleEvent(i));
    return TABLES > 0 ? `${j.slice(0, -1)},"tenant":"t${String(i % TABLES).padStart(2, '0')}"}` : j;
  };
  const frames = Array.from({ length: ROWS }, (_, i) => (JSON_FORMAT ? text.encode(json(i)) : encodeFrame(1, encodeEventAvro(sampleEvent(i)))));
  const batches = makeBatches(frames);
  const warm = makeBatches(frames.slice(0, 40_000));
  await workerRound(dir, 1000, warm); // JIT warm-up, not counted
  await baselineRound(warm);

  const loadBefore = os.loadavg()[0];
  const ns = (us: number) => (us * 1000) / ROWS;
  const ingest: number[] = [];
  const flush: number[] = [];
  const worker: number[] = [];
  const wallRate: number[] = [];
  const append: number[] = [];
  const encode: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await workerRound(dir, i, batches);
    if (r.rows !== ROWS) throw new Error(`round ${i}: ${r.rows} rows committed, expected ${ROWS}`);
    ingest.push(ns(r.ingestUs));
    flush.push(ns(r.flushUs));
    worker.push(ns(r.ingestUs + r.flushUs));
    wallRate.push((ROWS * 1000) / r.wallMs);
    const b = await baselineRound(batches);
    append.push(ns(b.appendUs));
    encode.push(ns(b.encodeUs));
  }
  const loadAfter = os.loadavg()[0];
  fs.rmSync(dir, { recursive: true, force: true });

  const overhead = ingest.map((w, i) => w - append[i]);
  const best = (xs: number[]) => Math.round(Math.min(...xs));
  const med = (xs: number[]) => Math.round(median(xs));
  const f = {
    bench: 'worker-path',
    rows: ROWS,
    rounds: ROUNDS,
    partitions: PARTITIONS,
    batch: BATCH,
    maxRows: MAX_ROWS,
    metadataColumns: META,
    direct: DIRECT,
    format: JSON_FORMAT ? 'json' : 'avro',
    tables: TABLES > 0 ? TABLES : 1,
    node: process.version,
    loadAverage1m: [+loadBefore.toFixed(2), +loadAfter.toFixed(2)],
    ingestNsBest: best(ingest),
    ingestNsMedian: med(ingest),
    decodeAppendNsBest: best(append),
    decodeAppendNsMedian: med(append),
    overheadNsBest: best(overhead),
    overheadNsMedian: med(overhead),
    flushNsBest: best(flush),
    flushNsMedian: med(flush),
    encodeNsBest: best(encode),
    encodeNsMedian: med(encode),
    workerNsBest: best(worker),
    workerNsMedian: med(worker),
    recPerCpuSecBest: Math.round(1e9 / Math.min(...worker)),
    recPerCpuSecMedian: Math.round(1e9 / median(worker)),
    recPerWallSecBest: Math.round(Math.max(...wallRate)),
    recPerWallSecMedian: Math.round(median(wallRate)),
    ingestNs: ingest.map(Math.round),
    decodeAppendNs: append.map(Math.round),
    flushNs: flush.map(Math.round),
  };
  console.log(
    `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}; ${ROWS} records × ${ROUNDS} rounds, ${PARTITIONS} partitions, batches of ${BATCH}, maxRows ${MAX_ROWS}, metadata columns ${META}, direct ${DIRECT}, format ${JSON_FORMAT ? 'json' : 'avro'}${TABLES > 0 ? `, routed to ${TABLES} tables` : ''}`,
  );
  console.log(`ingest         ${f.ingestNsBest} ns/rec best, ${f.ingestNsMedian} median (worker onBatch: decode, route, bookkeeping, append)`);
  console.log(`decode+append  ${f.decodeAppendNsBest} ns/rec best, ${f.decodeAppendNsMedian} median (baseline, no worker)`);
  console.log(`overhead       ${f.overheadNsBest} ns/rec best, ${f.overheadNsMedian} median (ingest − decode+append, per round)`);
  console.log(`flush          ${f.flushNsBest} ns/rec best, ${f.flushNsMedian} median (stop: encode, write, commit); baseline encode ${f.encodeNsBest} / ${f.encodeNsMedian}`);
  console.log(
    `worker total   ${f.workerNsBest} ns/rec best, ${f.workerNsMedian} median: ${f.recPerCpuSecBest} / ${f.recPerCpuSecMedian} rec/cpu-s; wall ${f.recPerWallSecBest} / ${f.recPerWallSecMedian} rec/s`,
  );
  console.log(JSON.stringify(f));
}

await main();
