// Writer benchmark: plain records → RecordBatchBuilder → encodeParquet → file, on one core.
//
//   npm run bench:writer            (ROWS=1000000 by default; ROWS=200000 for a quick run)
//
// Prints rows/s and MB/s for the whole path (build + encode + write) and for encoding alone,
// the machine, and the file size next to what PyArrow writes for the same rows with zstd
// (bench/pyarrow_rewrite.py reads our file and writes it again with pyarrow; needs
// FLOE_TEST_PYTHON pointing at a Python with pyarrow, otherwise that figure is skipped).
// The last line is one JSON object with every figure.
//
//   SPLIT=1000 npm run bench:writer  (the cost of splitting 250,000 rows into 1,000 partitions,
//                                     column by column: batch/split-rows.ts)
//   FILES=1000 npm run bench:writer  (the cost of a data file: FILES partitions of FILE_ROWS=43
//                                     rows each, a commit of a table partitioned by bucket(FILES))
//
// Builds the rows into a PartitionedBatch, then times what RollingDataFiles.write + finish
// cost per file (encode in the encoder pool, or inline; local files with fsync), in CPU µs,
// user and system apart (system: mostly the file system creating the file), ITERS times,
// the modes interleaved.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordBatchBuilder } from '../src/batch/record-batch.ts';
import type { Schema } from '../src/iceberg/types.ts';
import { encodeParquet } from '../src/parquet/encode.ts';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const ZSTD_LEVEL = Number(process.env.ZSTD_LEVEL ?? 3);

export const eventSchema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'event_id', required: true, type: 'uuid' },
    { id: 2, name: 'ts', required: true, type: 'timestamptz' },
    { id: 3, name: 'user_id', required: true, type: 'long' },
    { id: 4, name: 'session_id', required: true, type: 'string' },
    { id: 5, name: 'event_type', required: true, type: 'string' },
    { id: 6, name: 'page', required: true, type: 'string' },
    { id: 7, name: 'referrer', required: false, type: 'string' },
    { id: 8, name: 'country', required: false, type: 'string' },
    { id: 9, name: 'device', required: false, type: 'string' },
    { id: 10, name: 'price', required: false, type: 'decimal(10, 2)' },
    { id: 11, name: 'quantity', required: false, type: 'int' },
    { id: 12, name: 'duration_ms', required: false, type: 'double' },
    { id: 13, name: 'is_mobile', required: true, type: 'boolean' },
    { id: 14, name: 'tags', required: false, type: { type: 'list', 'element-id': 16, element: 'string', 'element-required': true } },
    {
      id: 15,
      name: 'properties',
      required: false,
      type: { type: 'map', 'key-id': 17, key: 'string', 'value-id': 18, value: 'string', 'value-required': false },
    },
  ],
};

/** Deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const EVENT_TYPES = ['page_view', 'click', 'add_to_cart', 'purchase', 'search', 'scroll', 'login', 'logout'];
const COUNTRIES = 'US DE FR GB JP BR IN CA ES IT NL SE PL MX AU KR CN RU TR AR ZA NG EG ID TH VN PH CH AT BE'.split(' ');
const DEVICES = ['iphone', 'ipad', 'android-phone', 'android-tablet', 'mac', 'windows', 'linux', 'chromebook', 'tv', 'console', 'watch', 'other'];
const CATEGORIES = ['shoes', 'shirts', 'books', 'garden', 'kitchen', 'toys', 'audio', 'phones', 'laptops', 'sports'];
const TAGS = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
const UTM = ['google', 'newsletter', 'facebook', 'direct', 'partner'];

export function generateEvents(n: number, seed = 42, start = 0): Record<string, unknown>[] {
  const r = rng(seed);
  const hex = (k: number) => {
    let s = '';
    for (let i = 0; i < k; i++) s += ((r() * 16) | 0).toString(16);
    return s;
  };
  const base = Date.UTC(2026, 10, 21, 0, 0, 0);
  const out: Record<string, unknown>[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const mobile = r() < 0.6;
    const tagCount = (r() * 4) | 0;
    const tags: string[] = [];
    for (let t = 0; t < tagCount; t++) tags.push(TAGS[(r() * TAGS.length) | 0]);
    const props: Record<string, string | null> = { utm_source: UTM[(r() * UTM.length) | 0] };
    if (r() < 0.5) props.ab_group = r() < 0.5 ? 'A' : 'B';
    if (r() < 0.2) props.coupon = null;
    const purchase = r() < 0.3;
    const record = {
      event_id: `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
      ts: new Date(base + i * 3 + ((r() * 1000) | 0)).toISOString(),
      user_id: (r() * 2_000_000) | 0,
      session_id: `sess-${((i / 20) | 0).toString(36)}-${(i % 7).toString(36)}`,
      event_type: EVENT_TYPES[(r() * EVENT_TYPES.length) | 0],
      page: `https://shop.example.com/${CATEGORIES[(r() * CATEGORIES.length) | 0]}/item/${(r() * 5000) | 0}`,
      referrer: r() < 0.3 ? null : `https://www.ref${(r() * 200) | 0}.example.org/`,
      country: COUNTRIES[(r() * COUNTRIES.length) | 0],
      device: DEVICES[(r() * DEVICES.length) | 0],
      price: purchase ? Math.round(r() * 50000) / 100 : null,
      quantity: purchase ? 1 + ((r() * 5) | 0) : null,
      duration_ms: Math.round(r() * 1e6) / 100,
      is_mobile: mobile,
      tags,
      properties: props,
    };
    // through JSON, as a decoder would hand records over: flat strings, plain objects
    out[k] = JSON.parse(JSON.stringify(record));
  }
  return out;
}

const CHUNK = 1000;

function cpuMs(c: NodeJS.CpuUsage): number {
  return (c.user + c.system) / 1000;
}

/**
 * CPU nanoseconds per iteration of a fixed reference loop: a yardstick for how fast this
 * machine (and how busy its other tenants) was during the run. Best of 5.
 */
function referenceLoopNs(): number {
  const a = new Float64Array(1 << 20);
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < 10; k++)
      for (let i = 0; i < a.length; i++) {
        a[i] = i * 0.5;
        sink += a[i];
      }
    best = Math.min(best, (cpuMs(process.cpuUsage(c0)) * 1e6) / (10 * a.length));
  }
  return sink > 0 ? +best.toFixed(2) : best;
}

function main(): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-'));
  const file = path.join(dir, 'events.parquet');

  // warm-up on a small batch (JIT), not counted
  {
    const b = new RecordBatchBuilder(eventSchema, 'bench.events');
    for (const r of generateEvents(20000, 7)) b.append(r);
    encodeParquet(eventSchema, b.finish(), { zstdLevel: ZSTD_LEVEL });
  }

  // Records are generated (and passed through JSON, as a decoder hands them over) in chunks
  // of 1000 just before they are appended, so that they are fresh in cache as in a consumer;
  // only the appends are timed.
  let buildWall = 0;
  let buildCpu = 0;
  const builder = new RecordBatchBuilder(eventSchema, 'bench.events');
  for (let done = 0; done < ROWS; done += CHUNK) {
    const records = generateEvents(Math.min(CHUNK, ROWS - done), 42 + done, done);
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < records.length; i++) builder.append(records[i]);
    buildCpu += cpuMs(process.cpuUsage(c0));
    buildWall += performance.now() - w0;
  }
  let w0 = performance.now();
  let c0 = process.cpuUsage();
  const batch = builder.finish();
  buildCpu += cpuMs(process.cpuUsage(c0));
  buildWall += performance.now() - w0;

  w0 = performance.now();
  c0 = process.cpuUsage();
  const { bytes, metrics } = encodeParquet(eventSchema, batch, { zstdLevel: ZSTD_LEVEL });
  const encodeCpu = cpuMs(process.cpuUsage(c0));
  const encodeWall = performance.now() - w0;
  w0 = performance.now();
  c0 = process.cpuUsage();
  fs.writeFileSync(file, bytes);
  const writeCpu = cpuMs(process.cpuUsage(c0));
  const writeWall = performance.now() - w0;

  const mb = bytes.length / 1e6;
  const totalS = (buildWall + encodeWall + writeWall) / 1000;
  const totalCpuS = (buildCpu + encodeCpu + writeCpu) / 1000;
  const load = os.loadavg()[0];
  const figures: Record<string, unknown> = {
    rows: ROWS,
    columns: 15,
    leafColumns: batch.columns.length,
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    loadAverage1m: +load.toFixed(2),
    referenceLoopNs: referenceLoopNs(),
    node: process.version,
    zstdLevel: ZSTD_LEVEL,
    buildMs: Math.round(buildWall),
    encodeMs: Math.round(encodeWall),
    writeMs: Math.round(writeWall),
    buildCpuMs: Math.round(buildCpu),
    encodeCpuMs: Math.round(encodeCpu),
    writeCpuMs: Math.round(writeCpu),
    wholePathRowsPerSec: Math.round(ROWS / totalS),
    wholePathMBPerSec: +(mb / totalS).toFixed(1),
    encodeRowsPerSec: Math.round(ROWS / (encodeWall / 1000)),
    encodeMBPerSec: +(mb / (encodeWall / 1000)).toFixed(1),
    wholePathRowsPerCpuSec: Math.round(ROWS / totalCpuS),
    encodeRowsPerCpuSec: Math.round(ROWS / (encodeCpu / 1000)),
    fileBytes: bytes.length,
    recordCount: metrics['record-count'],
  };
  const python = process.env.FLOE_TEST_PYTHON;
  if (python) {
    const r = spawnSync(python, [path.join(here, 'pyarrow_rewrite.py'), file, path.join(dir, 'pyarrow.parquet')], { encoding: 'utf8' });
    if (r.status === 0) {
      const py = JSON.parse(r.stdout.trim().split('\n').pop()!);
      figures.pyarrowZstdBytes = py.zstd_bytes;
      figures.pyarrowZstdLevel = py.zstd_level;
      figures.pyarrowZstd3Bytes = py.zstd3_bytes;
      figures.pyarrowVersion = py.pyarrow;
      figures.sizeVsPyarrow = +(bytes.length / py.zstd_bytes).toFixed(3);
      figures.sizeVsPyarrowZstd3 = +(bytes.length / py.zstd3_bytes).toFixed(3);
    } else {
      figures.pyarrowNote = `pyarrow rewrite failed: ${r.stderr.trim().split('\n').pop()}`;
    }
  } else {
    figures.pyarrowNote = 'FLOE_TEST_PYTHON not set: no PyArrow size comparison';
  }
  fs.rmSync(dir, { recursive: true, force: true });

  console.log(`machine: ${figures.cpu} × ${figures.cpus}, node ${figures.node}`);
  console.log(
    `load average ${figures.loadAverage1m}, reference loop ${figures.referenceLoopNs} ns/iteration (≈1.1 on this machine when quiet; wall-clock figures suffer when the machine is busy, CPU-time figures less so)`,
  );
  console.log(`build ${figures.buildMs} ms (cpu ${figures.buildCpuMs}), encode ${figures.encodeMs} ms (cpu ${figures.encodeCpuMs}), write ${figures.writeMs} ms`);
  console.log(`whole path: ${figures.wholePathRowsPerSec} rows/s, ${figures.wholePathMBPerSec} MB/s (file MB per second)`);
  console.log(`encode only: ${figures.encodeRowsPerSec} rows/s, ${figures.encodeMBPerSec} MB/s`);
  console.log(`per CPU second: whole path ${figures.wholePathRowsPerCpuSec} rows, encode ${figures.encodeRowsPerCpuSec} rows`);
  console.log(
    `file: ${bytes.length} bytes` +
      (figures.pyarrowZstdBytes
        ? `; pyarrow zstd(level ${figures.pyarrowZstdLevel}): ${figures.pyarrowZstdBytes} (ours ${figures.sizeVsPyarrow}×), pyarrow zstd(3): ${figures.pyarrowZstd3Bytes} (ours ${figures.sizeVsPyarrowZstd3}×)`
        : `; ${figures.pyarrowNote}`),
  );
  console.log(JSON.stringify(figures));
}

async function fileCost(files: number): Promise<void> {
  const rowsPerFile = Number(process.env.FILE_ROWS ?? 43);
  const iters = Number(process.env.ITERS ?? 5);
  const { PartitionedBatch } = await import('../src/batch/partitioned-batch.ts');
  const { RollingDataFiles } = await import('../src/writer/fanout-writer.ts');
  const { inlineEncoder } = await import('../src/writer/data-file-writer.ts');
  const { ParquetEncoderPool } = await import('../src/parquet/encoder-pool.ts');
  const { LocalFileIO } = await import('../src/io/local-file-io.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-file-cost-'));
  const spec = { 'spec-id': 0, fields: [{ 'source-id': 3, 'field-id': 1000, name: 'user_id_bucket', transform: `bucket[${files}]` }] };
  const table = { identifier: { namespace: ['b'], name: 't' }, metadataLocation: '', metadata: { location: dir, properties: {} }, config: {} } as never;
  const events = generateEvents(files * rowsPerFile * 2, 7);
  const io = new LocalFileIO();
  const pool = new ParquetEncoderPool({ size: 1 });
  const figures: Record<string, { cpuUs: number[]; userUs: number[]; sysUs: number[] }> = {};
  const deadline = Date.now() + 300_000;
  try {
    for (let it = 0; it < iters && Date.now() < deadline; it++) {
      for (const mode of ['pool', 'inline'] as const) {
        const batch = new PartitionedBatch('t', eventSchema, spec as never);
        for (let i = 0; i < files * rowsPerFile; i++) batch.append(events[(i + it * 997) % events.length]);
        const parts = batch.drain();
        const c0 = process.cpuUsage();
        const rolling = new RollingDataFiles(table, eventSchema, spec as never, { io, encoder: mode === 'pool' ? pool : inlineEncoder });
        await rolling.write(parts);
        const written = await rolling.finish();
        const c = process.cpuUsage(c0);
        const f = (figures[mode] ??= { cpuUs: [], userUs: [], sysUs: [] });
        f.cpuUs.push(Math.round((c.user + c.system) / written.length));
        f.userUs.push(Math.round(c.user / written.length));
        f.sysUs.push(Math.round(c.system / written.length));
        for (const w of written) fs.rmSync(w['file-path']);
      }
    }
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const out: Record<string, unknown> = { bench: 'writer-file-cost', files, rowsPerFile, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  for (const [mode, f] of Object.entries(figures)) {
    console.log(`${mode}: CPU per file ${median(f.cpuUs)} µs (user ${median(f.userUs)}, system ${median(f.sysUs)}); every run: ${f.cpuUs.join(' ')}`);
    out[mode] = { cpuUsPerFile: median(f.cpuUs), userUsPerFile: median(f.userUs), systemUsPerFile: median(f.sysUs) };
  }
  console.log(JSON.stringify(out));
}

/**
 * SPLIT=1000: the cost of splitting ROWS rows (the events) into that many partitions at hand-over
 * (splitRowsByGroup, batch/split-rows.ts), each column alone and all together: milliseconds,
 * best and median of ITERS (default 15), rows assigned to partitions at random.
 */
async function splitCost(groups: number): Promise<void> {
  const { splitRowsByGroup } = await import('../src/batch/split-rows.ts');
  const rows = Math.min(ROWS, 250_000);
  const iters = Number(process.env.ITERS ?? 15);
  const b = new RecordBatchBuilder(eventSchema, 't');
  for (const e of generateEvents(rows, 11)) b.append(e);
  const batch = b.finish();
  const r = rng(5);
  const groupOf = new Int32Array(rows);
  for (let i = 0; i < rows; i++) groupOf[i] = i < groups ? i : (r() * groups) | 0;
  const time = (columns: typeof batch.columns) => {
    const ms: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = process.hrtime.bigint();
      splitRowsByGroup(columns, rows, groupOf, groups);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((x, y) => x - y);
    return { best: Math.round(ms[0] * 10) / 10, median: Math.round(ms[Math.floor(ms.length / 2)] * 10) / 10 };
  };
  console.log(
    `machine: ${os.cpus()[0]?.model} × ${os.cpus().length}, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const out: Record<string, unknown> = { bench: 'writer-split', rows, groups, all: time(batch.columns) };
  console.log(`${rows} rows into ${groups} partitions, all ${batch.columns.length} columns: ${JSON.stringify(out.all)} ms`);
  for (const col of batch.columns) {
    const name = String(col.columnPath);
    out[name] = time([col]);
    console.log(`  ${name} (${col.kind}${col.dict ? ', dictionary' : ''}${col.rep ? ', repeated' : ''}): ${JSON.stringify(out[name])} ms`);
  }
  console.log(JSON.stringify(out));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env.SPLIT) await splitCost(Number(process.env.SPLIT));
  else if (process.env.FILES) await fileCost(Number(process.env.FILES));
  else main();
}
