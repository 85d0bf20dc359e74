// One `floe run` child process pinned to one core or a list of them (taskset), watched from outside: the table's
// snapshots (polled from the catalog every `pollMs`: which snapshot was current when), the
// process's CPU time and memory from /proc. Stopped with SIGTERM.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { catalogFromConfig } from '../../src/cli/run.ts';
import { snapshotLineage } from '../../src/commit/lineage.ts';
import { snapshotOffsets } from '../../src/commit/offsets-map.ts';
import type { OffsetsMap } from '../../src/commit/offsets-map.ts';
import { loadConnectorConfig } from '../../src/config/connector-config.ts';
import type { Snapshot } from '../../src/iceberg/table-metadata.ts';
import { cpuByThread, cpuSeconds, memory, systemCpuSeconds } from './proc.ts';
import type { StackEnv } from './stack.ts';

const repo = path.resolve(import.meta.dirname, '../..');

export interface FloeRunOptions {
  dir: string;
  name: string;
  topic: string;
  format: 'avro' | 'json';
  catalog: 'sql' | 'rest';
  env: StackEnv;
  commitIntervalMs: number;
  /** the CPU(s) the child is pinned to (taskset -c: 1, or a list such as "0,1"); undefined: not pinned */
  cpu: number | string | undefined;
  /** the connector file's `workers` (group members on worker threads); absent: the key is left out (1) */
  workers?: number;
  /** table.partitionBy, e.g. ["bucket(1000, id)"] */
  partitionBy?: string[];
  /** route.by: field on this field, into one table per value (`<table>_{value}`); the values to watch */
  route?: { field: string; values: string[] };
  /** extra top-level lines for the connector file (e.g. "bufferMaxBytes: 67108864") */
  extraConfig?: string[];
  pollMs: number;
  /** node --cpu-prof into this directory */
  profileDir?: string;
  /** the connector file's kafka.fetch (bytes); absent: the key is left out (floe's defaults) */
  fetch?: { maxBytes?: number; maxBytesPerPartition?: number };
  /** extra node flags for the child, e.g. --max-old-space-size=256 */
  nodeArgs?: string[];
  /** preload memory-probe.ts: process.memoryUsage() of the child once a second */
  memoryProbe?: boolean;
  log: (line: string) => void;
}

export interface SeenSnapshot {
  id: bigint;
  sequence: number;
  timestampMs: number;
  /** when the poller first saw this snapshot or a later one as current (Date.now()) */
  observedMs: number;
  addedRecords: number;
  addedFiles: number;
  offsets: OffsetsMap;
  /** the table it belongs to (several with route) */
  table: string;
  /** the Kafka partitions whose records it added (floe.kafka-ranges), as "topic:partition" joined by ","; with several group members, which member wrote it */
  partitions: string;
}

/**
 * The sustained rate of a run over a backlog, summed over its writers (a table and a group
 * member; one member: the table). A writer's rate is the records of its snapshots but the last
 * over the time from `startMs` (floe's assignment) to the latest of them; a writer with one
 * snapshot counts its records over the time to it. A member is told by its partitions
 * (floe.kafka-ranges): partitions named together in a snapshot of a table are one member's.
 *
 * Why not every record over the time to the last commit: floe commits on its interval, so the
 * records read after the last full interval wait up to one interval for their commit while floe
 * has nothing more to read. On a run of a few intervals (1M records at 300k/s is ~3 s, against
 * 2 s commits) that wait is a third of the figure, and it moves in steps of the interval. Every
 * snapshot but a writer's last covers an interval its member was busy for (the backlog was there
 * from the start), with its commit's own work; the last holds the tail. Rates are taken per
 * writer and summed because writers commit at times of their own: routed tables' intervals are
 * staggered, so one end time for all would count some tables' records up to their last commit
 * but one and the time up to another table's. A rebalance that moves partitions between
 * members joins them into one writer, whose last snapshot alone is left out: that only lowers
 * the figure.
 *
 * undefined: no writer has two snapshots (the run is too short to tell).
 */
export function sustainedRecordsPerSec(snapshots: readonly SeenSnapshot[], startMs: number): { recordsPerSec: number; writers: number } | undefined {
  // a member's partitions: per table, partitions named together in a snapshot belong to one member
  const up = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    while (up.has(r) && up.get(r) !== r) r = up.get(r)!;
    up.set(x, r);
    return r;
  };
  const partsOf = (s: SeenSnapshot) => (s.partitions === '' ? [] : s.partitions.split(',').map((p) => `${s.table}\n${p}`));
  for (const s of snapshots) {
    const ps = partsOf(s);
    for (const p of ps.slice(1)) up.set(root(p), root(ps[0]));
  }
  const byWriter = new Map<string, SeenSnapshot[]>();
  for (const s of snapshots) {
    if (s.addedRecords === 0) continue;
    const ps = partsOf(s);
    const w = ps.length === 0 ? `${s.table}\n` : root(ps[0]);
    const list = byWriter.get(w);
    if (list === undefined) byWriter.set(w, [s]);
    else list.push(s);
  }
  let rate = 0;
  let sustained = false;
  for (const list of byWriter.values()) {
    list.sort((x, y) => x.sequence - y.sequence);
    const kept = list.length > 1 ? list.slice(0, -1) : list;
    const endMs = kept.reduce((m, s) => Math.max(m, s.timestampMs), -Infinity);
    if (!(endMs > startMs)) continue;
    rate += kept.reduce((n, s) => n + s.addedRecords, 0) / ((endMs - startMs) / 1000);
    if (list.length > 1) sustained = true;
  }
  return sustained ? { recordsPerSec: Math.round(rate), writers: byWriter.size } : undefined;
}

/** A run's records/s over its backlog: sustained where the run tells it, else to the last commit, with the figure to the last commit beside it. */
export interface BacklogRates {
  recordsPerSec: number;
  recordsPerSecOver: 'sustained' | 'to the last commit';
  /** every record over the seconds from the assignment to the last commit (the tail waits for the commit interval) */
  recordsPerSecToLastCommit: number;
  /** from the assignment to the last commit */
  secondsFromAssigned: number;
  /** the last commit's timestamp-ms */
  lastCommitMs: number;
}

export function backlogRates(r: FloeRunResult, records: number): BacklogRates {
  const startMs = r.assignedMs ?? r.spawnMs;
  const lastCommitMs = r.snapshots.reduce((m, s) => Math.max(m, s.timestampMs), 0);
  const fromAssigned = (lastCommitMs - startMs) / 1000;
  const toLast = Math.round(records / fromAssigned);
  const sustained = sustainedRecordsPerSec(r.snapshots, startMs);
  return {
    recordsPerSec: sustained?.recordsPerSec ?? toLast,
    recordsPerSecOver: sustained ? 'sustained' : 'to the last commit',
    recordsPerSecToLastCommit: toLast,
    secondsFromAssigned: Math.round(fromAssigned * 10) / 10,
    lastCommitMs,
  };
}

export interface FloeRunResult {
  spawnMs: number;
  /** when floe logged its partition assignment (≈ the first fetch) */
  assignedMs: number | undefined;
  snapshots: SeenSnapshot[];
  cpuSeconds: number;
  /** the part of cpuSeconds spent in the kernel (file writes, fsyncs, sockets) */
  systemCpuSeconds: number;
  /** when cpuSeconds was read (Date.now()), just before SIGTERM */
  cpuReadMs: number;
  cpuByThread: Record<string, number>;
  peakRssMB: number;
  /** from floe's /metrics just before SIGTERM: Iceberg commit attempts and their total seconds (catalog commit only; encoding and file writes come before it) */
  catalogCommits?: { count: number; seconds: number };
  /**
   * from floe's /metrics just before SIGTERM (prom-client's nodejs_gc_duration_seconds: the main
   * thread's GC pauses since the metrics started, a PerformanceObserver of 'gc' entries; worker
   * threads' isolates are not in it)
   */
  gc?: GcFigures;
  /** once a second: seconds since spawn, RSS, CPU seconds, records committed so far */
  samples: Sample[];
  /** with memoryProbe: the child's own process.memoryUsage() (MB) at its highest RSS */
  memoryAtPeak?: Record<string, Record<string, number>>;
  exitCode: number | null;
  output: string;
  /** from floe's log lines: partitions named in `assigned` lines (the topic's partition count when the group formed once; a rebalance adds the partitions it moved) and `fenced on` lines */
  groupEvents: { partitionsAssigned: number; fences: number };
}

export interface GcFigures {
  /** all kinds' pause seconds together */
  pauseSeconds: number;
  count: number;
  /** per kind (minor = scavenge, major = mark-compact, incremental = marking steps, weakcb): count and pause seconds */
  byKind: Record<string, { count: number; seconds: number }>;
}

export interface Sample {
  s: number;
  rssMB: number;
  cpuS: number;
  committed: number;
}

/** A TCP port nobody listens on right now (for floe's metrics server). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const tableName = (name: string) => `bench.${name.replace(/[^a-z0-9_]/gi, '_')}`;

export class FloeRun {
  readonly o: FloeRunOptions;
  readonly table: string;
  /** the tables watched: `table`, or one per route value */
  readonly tables: string[];
  readonly #child: ChildProcess;
  readonly #catalog: Catalog;
  readonly spawnMs: number;
  assignedMs: number | undefined;
  #output = '';
  #lineTail = '';
  /** floe's log lines that tell of the group: partitions assigned (a rebalance moves some twice) and fences */
  readonly #groupEvents = { partitionsAssigned: 0, fences: 0 };
  #observed: { ms: number; id: bigint }[] = [];
  #lastSnapshots = new Map<string, Snapshot[]>();
  #poller: NodeJS.Timeout | undefined;
  #polling = false;
  #peakRssMB = 0;
  #samples: Sample[] = [];
  #memFile: string;
  #exited: Promise<number | null>;

  readonly #metricsPort: number;

  constructor(o: FloeRunOptions, metricsPort: number) {
    this.#metricsPort = metricsPort;
    this.o = o;
    this.table = tableName(o.name);
    this.tables = o.route ? o.route.values.map((v) => `${this.table}_${v.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`) : [this.table];
    fs.mkdirSync(o.dir, { recursive: true });
    const file = path.join(o.dir, `${o.name}.yaml`);
    const catalog =
      o.catalog === 'sql'
        ? 'catalog: { type: sql, uri: catalog.db, warehouse: wh }'
        : `catalog:
  type: rest
  uri: ${o.env.restUri}
  properties: { s3.endpoint: "${o.env.s3Endpoint}", s3.access-key-id: ${o.env.s3AccessKey}, s3.secret-access-key: ${o.env.s3SecretKey}, s3.region: ${o.env.s3Region}, s3.path-style-access: "true" }`;
    fs.writeFileSync(
      file,
      `# written by bench/e2e.bench.ts
name: ${o.name}
kafka: { brokers: ${JSON.stringify(o.env.brokers)}, groupId: ${o.name}-g, startFrom: earliest${fetchConfig(o.fetch)} }
${o.format === 'avro' ? `schemaRegistry: { url: "${o.env.registryUrl}" }\n` : ''}format: ${o.format}
${catalog}
topics: [${o.topic}]
table: { name: ${o.route ? `"${this.table}_{value}"` : this.table}${o.partitionBy ? `, partitionBy: ${JSON.stringify(o.partitionBy)}` : ''} }
${o.route ? `route: { by: field, field: ${o.route.field} }\n` : ''}${(o.extraConfig ?? []).map((l) => `${l}\n`).join('')}commit: { intervalMs: ${o.commitIntervalMs} }
errors: { tolerance: none }
metricsPort: ${metricsPort}
${o.workers === undefined ? '' : `workers: ${o.workers}\n`}`,
    );
    this.#catalog = catalogFromConfig(loadConnectorConfig(file).catalog, o.dir);
    const probe = o.memoryProbe ? ['--import', path.join(import.meta.dirname, 'memory-probe.ts')] : [];
    const node = [process.execPath, ...probe, ...(o.nodeArgs ?? []), ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : []), path.join(repo, 'bin/floe.ts'), 'run', '-c', file];
    const argv = o.cpu === undefined ? node : ['taskset', '-c', String(o.cpu), ...node];
    this.spawnMs = Date.now();
    this.#memFile = path.join(o.dir, `${o.name}.memory.jsonl`);
    this.#child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: o.dir, env: { ...process.env, FLOE_BENCH_MEM_FILE: this.#memFile } });
    const onData = (d: Buffer) => {
      const text = d.toString();
      this.#output = (this.#output + text).slice(-20_000);
      if (this.assignedMs === undefined && /\bassigned\b/.test(this.#output)) this.assignedMs = Date.now();
      // whole lines only (a chunk may end inside one)
      const lines = (this.#lineTail + text).split('\n');
      this.#lineTail = lines.pop() ?? '';
      for (const line of lines) {
        if (/\bassigned\b/.test(line)) this.#groupEvents.partitionsAssigned += line.match(/\[\d+\]/g)?.length ?? 0;
        if (/\bfenced on\b/.test(line)) this.#groupEvents.fences++;
      }
    };
    this.#child.stdout!.on('data', onData);
    this.#child.stderr!.on('data', onData);
    this.#exited = new Promise((resolve) => this.#child.on('exit', (code) => resolve(code)));
    this.#poller = setInterval(() => void this.#poll(), o.pollMs);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get output(): string {
    return this.#output;
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const m = memory(this.pid);
      if (m) this.#peakRssMB = Math.max(this.#peakRssMB, m.peakRssMB);
      const s = (Date.now() - this.spawnMs) / 1000;
      if (m && s >= (this.#samples.at(-1)?.s ?? -1) + 1) {
        const committed = this.o.route
          ? this.snapshots().reduce((n, x) => n + x.addedRecords, 0)
          : [...(this.snapshots().at(-1)?.offsets.get(this.o.topic)?.values() ?? [])].reduce((a, b) => a + Number(b), 0);
        this.#samples.push({ s: Math.round(s * 10) / 10, rssMB: m.rssMB, cpuS: cpuSeconds(this.pid) ?? NaN, committed });
      }
      for (const table of this.tables) {
        const id = parseTableName(table);
        if (!(await this.#catalog.tableExists(id))) continue;
        const md = (await this.#catalog.loadTable(id)).metadata;
        const now = Date.now();
        const current = md['current-snapshot-id'];
        if (table === this.table && current !== undefined && current !== null && current !== -1n && this.#observed.at(-1)?.id !== current) this.#observed.push({ ms: now, id: current });
        this.#lastSnapshots.set(table, md.snapshots ?? []);
      }
    } catch {
      // the table is being created, or a metadata file is being replaced: next poll
    } finally {
      this.#polling = false;
    }
  }

  /**
   * The snapshots so far, oldest first, each with when it (or a later one) was first seen
   * current (`table`'s only); with route, those of every table watched, by timestamp.
   */
  snapshots(): SeenSnapshot[] {
    if (this.o.route) return this.tables.flatMap((t) => this.#tableSnapshots(t)).sort((a, b) => a.timestampMs - b.timestampMs);
    return this.#tableSnapshots(this.table);
  }

  #tableSnapshots(table: string): SeenSnapshot[] {
    const snaps = [...(this.#lastSnapshots.get(table) ?? [])].sort((a, b) => a['sequence-number'] - b['sequence-number']);
    const seqOf = new Map(snaps.map((s) => [s['snapshot-id'], s['sequence-number']]));
    return snaps.map((s) => {
      const seq = s['sequence-number'];
      const seen = this.#observed.find((o) => (seqOf.get(o.id) ?? -1) >= seq);
      return {
        id: s['snapshot-id'],
        sequence: seq,
        timestampMs: s['timestamp-ms'],
        observedMs: seen?.ms ?? NaN,
        addedRecords: Number(s.summary['added-records'] ?? 0),
        addedFiles: Number(s.summary['added-data-files'] ?? 0),
        offsets: snapshotOffsets(s, this.o.name),
        table,
        partitions: (snapshotLineage(s)?.ranges ?? [])
          .map((r) => `${r.topic}:${r.partition}`)
          .sort()
          .join(','),
      };
    });
  }

  async #metrics(): Promise<{ catalogCommits?: { count: number; seconds: number }; gc?: GcFigures }> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.#metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
      const byKind: GcFigures['byKind'] = {};
      for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="([a-z]+)"\} ([0-9.e+-]+)$/gm)) {
        const k = (byKind[m[2]] ??= { count: 0, seconds: 0 });
        if (m[1] === 'count') k.count = Number(m[3]);
        else k.seconds = Math.round(Number(m[3]) * 1000) / 1000;
      }
      const kinds = Object.values(byKind);
      return {
        catalogCommits: { count: sum('floe_commit_duration_seconds_count'), seconds: Math.round(sum('floe_commit_duration_seconds_sum') * 100) / 100 },
        gc: kinds.length === 0 ? undefined : { pauseSeconds: Math.round(kinds.reduce((a, k) => a + k.seconds, 0) * 1000) / 1000, count: kinds.reduce((a, k) => a + k.count, 0), byKind },
      };
    } catch {
      return {};
    }
  }

  /** Per thread, its last memory-probe line at or before the moment of the highest RSS. */
  #memoryAtPeak(): Record<string, Record<string, number>> | undefined {
    if (!this.o.memoryProbe || !fs.existsSync(this.#memFile)) return undefined;
    type Line = { thread: string; s: number; rss: number } & Record<string, number>;
    const lines = fs
      .readFileSync(this.#memFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
    const peak = lines.reduce<Line | undefined>((a, b) => (a === undefined || b.rss > a.rss ? b : a), undefined);
    if (!peak) return undefined;
    const out: Record<string, Record<string, number>> = {};
    for (const l of lines) {
      if (l.s > peak.s + 0.5) continue;
      const { thread, ...rest } = l;
      out[thread] = rest;
    }
    return out;
  }

  /** Resolves once the current snapshot's offsets reach `ends` for every partition. */
  async waitForOffsets(ends: Map<number, bigint>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.snapshots().at(-1);
      const m = last?.offsets.get(this.o.topic);
      if (m && [...ends].every(([p, end]) => (m.get(p) ?? 0n) >= end) && this.#observed.at(-1)?.id === last!.id) return;
      if (this.#child.exitCode !== null) throw new Error(`floe run exited (${this.#child.exitCode}) before reaching the end offsets:\n${this.#output.slice(-3000)}`);
      if (Date.now() > deadline) {
        const have = m ? [...m.values()].reduce((a, b) => a + b, 0n) : 0n;
        const want = [...ends.values()].reduce((a, b) => a + b, 0n);
        throw new Error(`floe run did not commit all records within ${timeoutMs} ms (${have} of ${want}):\n${this.#output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
  }

  /** Resolves once the snapshots of the tables watched added `records` rows in all (route: the offsets of no one table cover them all). */
  async waitForRecords(records: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const have = this.snapshots().reduce((n, x) => n + x.addedRecords, 0);
      if (have >= records) return;
      if (this.#child.exitCode !== null) throw new Error(`floe run exited (${this.#child.exitCode}) before committing ${records} records:\n${this.#output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`floe run did not commit all records within ${timeoutMs} ms (${have} of ${records}):\n${this.#output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
  }

  /** Reads CPU and memory, stops the child with SIGTERM (SIGKILL after 30 s). */
  async stop(): Promise<FloeRunResult> {
    await this.#poll();
    const { catalogCommits, gc } = await this.#metrics();
    const cpu = cpuSeconds(this.pid) ?? NaN;
    const sys = systemCpuSeconds(this.pid) ?? NaN;
    const cpuReadMs = Date.now();
    const threads = cpuByThread(this.pid);
    const m = memory(this.pid);
    if (m) this.#peakRssMB = Math.max(this.#peakRssMB, m.peakRssMB);
    clearInterval(this.#poller);
    this.#child.kill('SIGTERM');
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    const exitCode = await this.#exited;
    clearTimeout(killer);
    await this.#catalog.close?.();
    return {
      spawnMs: this.spawnMs,
      assignedMs: this.assignedMs,
      snapshots: this.snapshots(),
      cpuSeconds: Math.round(cpu * 100) / 100,
      systemCpuSeconds: Math.round(sys * 100) / 100,
      cpuReadMs,
      catalogCommits,
      gc,
      cpuByThread: threads,
      peakRssMB: this.#peakRssMB,
      samples: this.#samples,
      memoryAtPeak: this.#memoryAtPeak(),
      exitCode,
      output: this.#output,
      groupEvents: { ...this.#groupEvents },
    };
  }
}

/** `, fetch: { maxBytes: N, ... }` for the kafka line of the connector file, or nothing. */
function fetchConfig(f: FloeRunOptions['fetch']): string {
  const keys = Object.entries(f ?? {}).filter(([, v]) => v !== undefined && v > 0);
  return keys.length === 0 ? '' : `, fetch: { ${keys.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}
