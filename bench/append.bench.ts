// Append API benchmark: `floe serve` (a child process, pinned to one core with taskset when there
// is one, embedded catalog on a temp folder, group commit every INTERVAL_MS) under closed-loop
// clients: 1, 8 and 64 concurrent clients sending batches of 1, 100 and 10,000 rows (JSON
// arrays of 10-column events) for SECONDS each, each client waiting for its answer (which waits
// for the group commit) before it sends again. Then the capacity with batches of 100: 64 clients
// keeping DEPTH requests each in flight; and an open-loop run at 50 % of that rate for the
// latency target: p99 ≤ INTERVAL_MS + 500 ms.
//
//   npm run bench:append            (SECONDS=5 INTERVAL_MS=1000; CLIENTS=1,8,64 BATCHES=1,100,10000)
//   CLIENTS= BATCHES= OPEN=0 npm run bench:append     (the capacity run alone)
//   SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" ...   (node flags for the server: a profile)
//   SERVER_LOG=/tmp/serve.log ...   (the server's log lines: `committed`, with builtOnArrival)
//
// Prints one line per run (rows/s, rows per CPU second of the server, requests/s, p50/p99
// latency) and the server's peak RSS; the last line is one JSON object with every figure. Rows
// per server CPU second is the one-core rate on a machine where other processes take CPU too.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.SECONDS ?? 5);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 1000);
const CLIENTS = (process.env.CLIENTS ?? '1,8,64')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const BATCHES = (process.env.BATCHES ?? '1,100,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
/** OPEN=0 skips the open-loop latency run (a capacity-only run, e.g. under a profiler). */
const OPEN = process.env.OPEN !== '0';
/** A file that gets the server's output (its log lines: one `committed` line per group commit). */
const SERVER_LOG = process.env.SERVER_LOG;
/** Node flags for the server (e.g. --cpu-prof --cpu-prof-dir=DIR, --trace-gc with SERVER_LOG). */
const SERVER_FLAGS = (process.env.SERVER_FLAGS ?? '').split(' ').filter((f) => f !== '');
/**
 * Requests each of 64 clients keeps in flight in the capacity run: enough to keep the server's
 * core busy. With 32 (2,048 in flight) the run was bound by requests in flight × the group-commit
 * latency, not by the server (it used 0.55 of its core: 138k rows/s, 249k per CPU-second);
 * with 48, 0.8 of it; with 128 the server's concurrency limit answers 429s.
 */
const DEPTH = Number(process.env.DEPTH ?? 48);
const BIN = fileURLToPath(new URL('../bin/floe.ts', import.meta.url));

const EVENT_TYPES = ['page_view', 'click', 'add_to_cart', 'purchase', 'search', 'scroll', 'login', 'logout'];
const COUNTRIES = 'US DE FR GB JP BR IN CA ES IT NL SE PL MX AU KR'.split(' ');
const DEVICES = ['iphone', 'android', 'mac', 'windows', 'linux', 'tv'];

/** A JSON array of `n` events (deterministic by seed). */
function body(n: number, seed: number): Buffer {
  let x = seed | 0 || 1;
  const r = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const base = Date.UTC(2026, 11, 2);
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      event_id: `${(r() * 2 ** 32).toString(16)}-${(r() * 2 ** 32).toString(16)}`,
      ts: new Date(base + ((r() * 86_400_000) | 0)).toISOString(),
      user_id: (r() * 2_000_000) | 0,
      event_type: EVENT_TYPES[(r() * EVENT_TYPES.length) | 0],
      page: `/item/${(r() * 5000) | 0}`,
      country: COUNTRIES[(r() * COUNTRIES.length) | 0],
      device: DEVICES[(r() * DEVICES.length) | 0],
      duration_ms: Math.round(r() * 1e6) / 100,
      is_mobile: r() < 0.6,
      quantity: 1 + ((r() * 5) | 0),
    });
  }
  return Buffer.from(JSON.stringify(rows));
}

interface Server {
  url: URL;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(dir: string): Promise<Server> {
  const cfg = path.join(dir, 'ingest.yaml');
  writeFileSync(cfg, JSON.stringify({ warehouse: path.join(dir, 'wh'), port: 0, metricsPort: 0, commit: { intervalMs: INTERVAL_MS }, limits: { maxConcurrentRequests: 4096 } }));
  const pin = spawnSync('taskset', ['--version']).status === 0 && os.availableParallelism() > 1;
  const cmd = pin ? 'taskset' : process.execPath;
  const node = [...SERVER_FLAGS, BIN, '--log-format', 'json', 'serve', '-c', cfg];
  const args = pin ? ['-c', '0', process.execPath, ...node] : node;
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('floe serve did not start within 120 s')), 120_000);
    proc.stdout.on('data', (b: Buffer) => {
      if (SERVER_LOG) appendFileSync(SERVER_LOG, b);
      out += b.toString();
      const m = /"message":"listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
      if (out.length > 1e6) out = out.slice(-1e5);
    });
    proc.on('exit', (code) => reject(new Error(`floe serve exited (${code})`)));
  });
  return {
    url: new URL(url),
    pid: proc.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        proc.on('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

function post(agent: http.Agent, url: URL, table: string, payload: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: `/v1/tables/${table}/append`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface RunResult {
  clients: number;
  batch: number;
  mode: 'closed' | 'open';
  /** Requests each client keeps in flight. */
  depth: number;
  rowsPerSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serverCpuSec?: number;
  rowsPerCpuSec?: number;
}

/**
 * Closed loop: `clients` each keep `depth` requests in flight (send, wait for the answer, send
 * again) for SECONDS. An answer waits for its group commit, so with depth 1 a client sends about
 * one batch per commit interval: rows/s ≈ clients × batch / interval.
 */
async function closedLoop(server: Server, table: string, clients: number, batch: number, payloads: Buffer[], depth = 1): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients * depth });
  const latencies: number[] = [];
  let rows = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients * depth }, async (_, c) => {
      for (let n = 0; performance.now() < end && n < 1_000_000; n++) {
        const t = performance.now();
        const status = await post(agent, server.url, table, payloads[(c + n) % payloads.length]).catch(() => 0);
        latencies.push(performance.now() - t);
        if (status === 200) rows += batch;
        else errors++;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    clients,
    batch,
    mode: 'closed',
    depth,
    rowsPerSec: Math.round(rows / secs),
    requestsPerSec: Math.round(latencies.length / secs),
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    errors,
  };
}

/** Open loop: requests of `batch` rows sent at a fixed rate (rows/s), whatever the answers, for SECONDS. */
async function openLoop(server: Server, table: string, rate: number, batch: number, payloads: Buffer[]): Promise<RunResult> {
  // enough sockets for every request in flight (each waits about one commit interval): none queues in the client
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });
  const perSec = rate / batch;
  const total = Math.max(1, Math.round(perSec * SECONDS));
  const latencies: number[] = [];
  let rows = 0;
  let errors = 0;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const at = started + (i * 1000) / perSec;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    sends.push(
      post(agent, server.url, table, payloads[i % payloads.length])
        .catch(() => 0)
        .then((status) => {
          latencies.push(performance.now() - t);
          if (status === 200) rows += batch;
          else errors++;
        }),
    );
  }
  await Promise.all(sends);
  const secs = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    clients: 0,
    batch,
    mode: 'open',
    depth: 0,
    rowsPerSec: Math.round(rows / secs),
    requestsPerSec: Math.round(latencies.length / secs),
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    errors,
  };
}

/** CPU seconds the process used so far (user + system, all its threads), from /proc. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** A run, with the server's CPU seconds during it and rows per CPU second (the one-core rate, whatever else runs). */
async function measured(pid: number, run: () => Promise<RunResult>): Promise<RunResult> {
  const before = cpuSeconds(pid);
  const started = performance.now();
  const r = await run();
  const after = cpuSeconds(pid);
  if (before !== undefined && after !== undefined && after > before) {
    const secs = (performance.now() - started) / 1000;
    r.serverCpuSec = Math.round((after - before) * 100) / 100;
    r.rowsPerCpuSec = Math.round((r.rowsPerSec * secs) / (after - before));
  }
  return r;
}

function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'floe-bench-append-'));
const server = await startServer(dir).catch((err: unknown) => {
  rmSync(dir, { recursive: true, force: true });
  throw err;
});
const results: RunResult[] = [];
try {
  const payloads = new Map(BATCHES.map((b) => [b, Array.from({ length: b >= 10_000 ? 2 : 8 }, (_, i) => body(b, i + 1))]));
  // warm-up (creates the table, JIT)
  await closedLoop(server, 'bench.events', 4, 100, payloads.get(100) ?? [body(100, 1)]);
  for (const batch of BATCHES) {
    for (const clients of CLIENTS) {
      const r = await measured(server.pid, () => closedLoop(server, 'bench.events', clients, batch, payloads.get(batch)!));
      results.push(r);
      console.log(
        `closed  clients=${clients} batch=${batch}: ${r.rowsPerSec} rows/s (${r.rowsPerCpuSec ?? '?'} per server CPU-s), ${r.requestsPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}`,
      );
    }
  }
  // capacity: 64 clients with DEPTH requests each in flight (batches of 100)
  const capacityRun = await measured(server.pid, () => closedLoop(server, 'bench.events', 64, 100, payloads.get(100) ?? [body(100, 1)], DEPTH));
  results.push(capacityRun);
  console.log(
    `capacity clients=64×${DEPTH} in flight batch=100: ${capacityRun.rowsPerSec} rows/s (${capacityRun.rowsPerCpuSec ?? '?'} per server CPU-s), p50 ${capacityRun.p50Ms} ms, p99 ${capacityRun.p99Ms} ms, errors ${capacityRun.errors}`,
  );
  if (OPEN && capacityRun.rowsPerSec > 0) {
    const r = await measured(server.pid, () => openLoop(server, 'bench.events', capacityRun.rowsPerSec / 2, 100, payloads.get(100) ?? [body(100, 1)]));
    results.push(r);
    console.log(`open    at 50% of ${capacityRun.rowsPerSec} rows/s, batch=100: ${r.rowsPerSec} rows/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (target ≤ ${INTERVAL_MS + 500} ms), errors ${r.errors}`);
  }
} finally {
  const rss = peakRssMb(server.pid);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  const open = results.find((r) => r.mode === 'open');
  const capacityRun = results.find((r) => r.depth === DEPTH && r.clients === 64 && r.batch === 100);
  console.log(`server peak RSS: ${rss ?? '?'} MB`);
  console.log(
    JSON.stringify({
      bench: 'append',
      seconds: SECONDS,
      intervalMs: INTERVAL_MS,
      cpus: os.availableParallelism(),
      loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
      capacityRowsPerSecBatch100: capacityRun?.rowsPerSec ?? null,
      capacityRowsPerServerCpuSecBatch100: capacityRun?.rowsPerCpuSec ?? null,
      capacityInFlight: 64 * DEPTH,
      targetRowsPerSec: 200_000,
      openLoopP99Ms: open?.p99Ms ?? null,
      targetP99Ms: INTERVAL_MS + 500,
      peakRssMb: rss ?? null,
      runs: results,
    }),
  );
}
