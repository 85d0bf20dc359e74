// End-to-end benchmark: Kafka → floe run → committed Iceberg snapshots.
//
//   npm run bench [-- --quick] [-- --lag-gb 1 --json-records 1000000 --rate 20000 --fresh-seconds 30 ...]
//
// Brings up Kafka and the registry with scripts/stack (setup + start; stops at the end only
// what it started), then:
//   1. pre-fills a topic with the 15-field sample event as Confluent-framed Avro (schema
//      registered in the registry; ~283 B), enough records for --lag-gb of lag (default 1 GB),
//      and one with the same events as JSON (~515 B), as many as --lag-gb of lag too. Topics that
//      already hold exactly the records asked for are reused.
//   2. ceiling: src/kafka/source.ts reading each topic and doing nothing else
//      (bench/kafka-consume.bench.ts --child floe), pinned to one core.
//   3. end to end: `floe run` pinned to the same one core (with no core to spare it encodes
//      Parquet inline: src/cli/worker-count.ts encoderOnThread), embedded SQL catalog on a local warehouse (--catalog rest: REST + S3),
//      from the earliest offset until the table's offsets map covers every record. records/s is
//      the sustained rate: per writer (a table and a group member), the records of every snapshot
//      but its last over the time from the moment floe logged its assignment (≈ the first fetch)
//      to the latest of those snapshots' timestamp-ms, summed over the writers
//      (bench/e2e/floe-run.ts sustainedRecordsPerSec: the last snapshot holds the tail, which
//      waits up to a commit interval with nothing left to read). Every record over the time to
//      the last commit, and from process spawn, are printed too. CPU seconds from
//      /proc/<pid>/stat (all threads); peak RSS = VmHWM while the whole lag waited.
//   3b. `workers: 2` (src/cli/workers.ts: two group members on worker threads in one process):
//      the Avro run again, pinned to 2 cores (the one above and one more), same figures;
//      targets.twoWorkersSpeedup = its records/s over the one-worker Avro records/s (one core).
//   4. freshness: a fresh topic, records produced at --rate for --fresh-seconds, each request
//      stamped with its send time (CreateTime); latency = visible − produce time, where visible
//      is when the benchmark's catalog poller (every --poll-ms) first saw a snapshot covering
//      the offset (the snapshot's own timestamp-ms is reported beside it).
//   5. many partitions and tables (bench/e2e/many.ts): the same JSON records (the event plus a
//      100-value `tenant` field, --many-records, default 1M) into one unpartitioned table, one
//      partitioned by bucket(1000, id), and 100 tables routed by tenant, back to back on the
//      same core; targets.manyPartitions = records/s of bucket(1000) over the unpartitioned
//      table's (>= 0.7), targets.manyTables the same for 100 tables. `--only many` runs just this.
// Flags (defaults): --quick (100k records each, no 1 GB lag, 5 s of freshness at 5k/s),
// --lag-gb (1), --avro-records (1M, or more for --lag-gb), --json-records (1M, or more for --lag-gb), --partitions (12),
// --e2e-commit-interval-ms (2000; the connector default is 10000, and peak RSS follows the rows
// per commit), --commit-interval-ms (1000, freshness), --rate (20000), --fresh-seconds (30),
// --poll-ms (100), --catalog sql|rest (sql), --cpu N (the last), --no-pin,
// --runs ceiling,avro,json,workers2,fresh,many (all; workers2 needs avro for its speedup), --only R (= --runs R),
// --running-stack (use the stack of `source scripts/stack/env.sh` as it is: neither started nor stopped),
// --many-records (1M, 100k quick), --many-cases single,bucket1000,tables100, --many-repeat N (rounds
// of the cases, alternated; medians reported: bench/e2e/many.ts), --floe-node-args "--max-old-space-size=256",
// --fetch-max-bytes N, --fetch-max-bytes-per-partition N (the connector files' kafka.fetch, bytes;
// absent: floe's defaults), --memory-probe (each thread's process.memoryUsage() at the highest RSS), --profile (node
// --cpu-prof of the Avro and JSON runs and of the many cases, summarised; slows them), --keep-profiles DIR (the
// .cpuprofile files copied there, for DevTools, before the work folder goes), --cleanup (delete the benchmark topics).
// A private stack beside the shared one: FLOE_STACK_DIR=/tmp/x FLOE_STACK_KAFKA_PORT=19092
// FLOE_STACK_KAFKA_CONTROLLER_PORT=19093 FLOE_STACK_REGISTRY_PORT=18081 npm run bench
// Readable lines on stderr; the LAST stdout line is one JSON object with every figure and the
// target verdicts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchemaRegistryClient } from '../src/decode/schema-registry.ts';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { EVENTS_AVRO_SCHEMA } from '../schemas/events-sample.ts';
import { consumeCeiling } from './e2e/ceiling.ts';
import type { CeilingResult } from './e2e/ceiling.ts';
import { summariseProfiles } from './e2e/cpu-profile.ts';
import { EventPayloads } from './e2e/events.ts';
import { backlogRates, FloeRun, freePort } from './e2e/floe-run.ts';
import type { BacklogRates, FloeRunResult, GcFigures } from './e2e/floe-run.ts';
import { freshness, produceSteadily } from './e2e/freshness.ts';
import { manyPartitionsAndTables } from './e2e/many.ts';
import type { ManyCase, ManyResult } from './e2e/many.ts';
import { prefill } from './e2e/prefill.ts';
import type { PrefillResult } from './e2e/prefill.ts';
import { BenchProducer } from './e2e/producer.ts';
import { runningStack, startStack } from './e2e/stack.ts';
import type { Component } from './e2e/stack.ts';

const repo = path.resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function opt(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}
const num = (name: string, fallback: number) => {
  const v = Number(opt(name, String(fallback)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: not a number: ${opt(name, '')}`);
  return v;
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;
const load = () => os.loadavg().map((l) => round(l, 2));

const quick = flag('quick');
const cfg = {
  quick,
  lagGB: num('lag-gb', quick ? 0 : 1),
  avroRecords: num('avro-records', 0),
  jsonRecords: num('json-records', 0),
  partitions: num('partitions', 12),
  e2eCommitIntervalMs: num('e2e-commit-interval-ms', 2000),
  commitIntervalMs: num('commit-interval-ms', 1000),
  rate: num('rate', quick ? 5000 : 20_000),
  freshSeconds: num('fresh-seconds', quick ? 5 : 30),
  pollMs: num('poll-ms', 100),
  catalog: opt('catalog', 'sql') as 'sql' | 'rest',
  runs: opt('only', opt('runs', 'ceiling,avro,json,workers2,fresh,many')).split(','),
  manyRecords: num('many-records', quick ? 100_000 : 1_000_000),
  manyCases: opt('many-cases', 'single,bucket1000,tables100').split(',') as ManyCase[],
  manyRepeat: num('many-repeat', 1),
  profile: flag('profile') || opt('keep-profiles', '') !== '',
  keepProfiles: opt('keep-profiles', ''),
  memoryProbe: flag('memory-probe'),
  floeNodeArgs: opt('floe-node-args', '').split(' ').filter(Boolean),
  /** kafka.fetch of every connector file; 0: not set (floe's defaults) */
  fetchMaxBytes: num('fetch-max-bytes', 0),
  fetchMaxBytesPerPartition: num('fetch-max-bytes-per-partition', 0),
  cleanup: flag('cleanup'),
};
if (cfg.catalog !== 'sql' && cfg.catalog !== 'rest') throw new Error(`--catalog: sql or rest, not ${cfg.catalog}`);
const cores = os.availableParallelism();
const pin = !flag('no-pin');
const floeCpu = pin ? num('cpu', cores - 1) : undefined;
const fetchSizes = cfg.fetchMaxBytes || cfg.fetchMaxBytesPerPartition ? { maxBytes: cfg.fetchMaxBytes, maxBytesPerPartition: cfg.fetchMaxBytesPerPartition } : undefined;

function machineInfo() {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores, memGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version, platform: `${os.type()} ${os.release()}` };
}

function diskFreeGB(dir: string): number {
  const r = spawnSync('df', ['-Pk', dir], { encoding: 'utf8' });
  const cols = r.stdout.trim().split('\n').pop()?.split(/\s+/) ?? [];
  return round(Number(cols[3]) / 1024 / 1024, 1);
}

/** The bench driver (producers, pollers) stays off the core floe is pinned to. */
function pinSelf(): void {
  if (floeCpu === undefined || cores < 2) return;
  const others = Array.from({ length: cores }, (_, i) => i)
    .filter((c) => c !== floeCpu)
    .join(',');
  spawnSync('taskset', ['-a', '-p', '-c', others, String(process.pid)], { stdio: 'ignore' });
}

interface E2eFigures {
  format: 'avro' | 'json';
  records: number;
  lagGB: number;
  secondsFromAssigned: number;
  secondsFromSpawn: number;
  /** the sustained rate (floe-run.ts sustainedRecordsPerSec: every writer's snapshots but its last, from the assignment); what the targets judge */
  recordsPerSec: number;
  /** where recordsPerSec comes from: 'sustained', or 'to the last commit' when no writer made two snapshots */
  recordsPerSecOver: BacklogRates['recordsPerSecOver'];
  recordsPerSecToLastCommit: number;
  recordsPerSecFromSpawn: number;
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  ratioToCeiling: number | null;
  /** records per CPU-second over the ceiling consumer's records per CPU-second (less sensitive to load) */
  cpuRatioToCeiling: number | null;
  /** CPU seconds / wall seconds since spawn: the share of its core floe actually got */
  cpuShare: number;
  snapshots: number;
  peakRssMB: number;
  /** RSS over the run: at most 12 of the once-a-second samples */
  rssSeries: { s: number; rssMB: number; committed: number }[];
  cpuByThread: Record<string, number>;
  /** Iceberg commits (floe_commit_duration_seconds): how many, and their seconds in total */
  catalogCommits?: { count: number; seconds: number };
  /** the connector file's kafka.fetch (bytes; 0: floe's default) */
  fetch: { maxBytes: number; maxBytesPerPartition: number };
  /** the main thread's GC pauses (nodejs_gc_duration_seconds from floe's /metrics): total, count, per kind */
  gc?: GcFigures;
  /** GC pause seconds / wall seconds since spawn (same window as cpuShare) */
  gcShare?: number;
  /** GC pause seconds / CPU seconds of the process (less sensitive to load) */
  gcShareOfCpu?: number;
  memoryAtPeak?: Record<string, Record<string, number>>;
  exitCode: number | null;
}

function e2eFigures(format: 'avro' | 'json', records: number, lagGB: number, r: FloeRunResult, ceiling: CeilingResult | undefined): E2eFigures {
  const { lastCommitMs, ...rates } = backlogRates(r, records);
  const fromSpawn = (lastCommitMs - r.spawnMs) / 1000;
  const rps = rates.recordsPerSec;
  return {
    format,
    records,
    lagGB: round(lagGB, 2),
    ...rates,
    secondsFromSpawn: round(fromSpawn, 1),
    recordsPerSecFromSpawn: Math.round(records / fromSpawn),
    cpuSeconds: r.cpuSeconds,
    recordsPerCpuSecond: Math.round(records / r.cpuSeconds),
    ratioToCeiling: ceiling && !ceiling.error ? round(rps / ceiling.recordsPerSec, 2) : null,
    cpuRatioToCeiling: ceiling?.recordsPerCpuSecond ? round(records / r.cpuSeconds / ceiling.recordsPerCpuSecond, 2) : null,
    cpuShare: round(r.cpuSeconds / ((r.cpuReadMs - r.spawnMs) / 1000), 2),
    snapshots: r.snapshots.length,
    peakRssMB: r.peakRssMB,
    rssSeries: r.samples.filter((_, i, all) => i % Math.ceil(all.length / 12) === 0 || i === all.length - 1).map(({ s, rssMB, committed }) => ({ s, rssMB, committed })),
    cpuByThread: r.cpuByThread,
    ...(r.catalogCommits ? { catalogCommits: r.catalogCommits } : {}),
    fetch: { maxBytes: cfg.fetchMaxBytes, maxBytesPerPartition: cfg.fetchMaxBytesPerPartition },
    ...(r.gc ? { gc: r.gc, gcShare: round(r.gc.pauseSeconds / ((r.cpuReadMs - r.spawnMs) / 1000), 3), gcShareOfCpu: round(r.gc.pauseSeconds / r.cpuSeconds, 3) } : {}),
    ...(r.memoryAtPeak ? { memoryAtPeak: r.memoryAtPeak } : {}),
    exitCode: r.exitCode,
  };
}

async function endOffsets(brokers: string[], topic: string): Promise<Map<number, bigint>> {
  const admin = await KafkaAdmin.connect({ brokers });
  try {
    return await admin.endOffsets(topic);
  } finally {
    await admin.close();
  }
}

async function main(): Promise<void> {
  pinSelf();
  const loadStart = load();
  const machine = machineInfo();
  log(`machine: ${machine.cpu}, ${cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.platform}`);
  log(`load average at start: ${loadStart.join(' ')}`);
  log(`floe and the ceiling consumer run on cpu ${floeCpu ?? '(not pinned)'}; this driver on the others`);
  const stackDir = process.env.FLOE_STACK_DIR ?? path.join(repo, '.stack');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-e2e-'));
  const disk = { stackDir, stackFreeGB: diskFreeGB(fs.existsSync(stackDir) ? stackDir : repo), workDir: work, workFreeGB: diskFreeGB(work) };
  log(`disk free: ${disk.stackFreeGB} GB at ${stackDir} (Kafka's data), ${disk.workFreeGB} GB at ${work} (warehouses)`);

  const avroProbe = new EventPayloads('avro', 0, 2000);
  // at least --avro-records (default 1M, 100k quick), and enough for --lag-gb of lag
  const avroRecords = Math.max(cfg.avroRecords || (quick ? 100_000 : 1_000_000), Math.ceil((cfg.lagGB * 1e9) / avroProbe.averageBytes()));
  // the same for JSON: both formats wait as a backlog of --lag-gb, so neither run is a few commit intervals long
  const jsonRecords = Math.max(cfg.jsonRecords || (quick ? 100_000 : 1_000_000), Math.ceil((cfg.lagGB * 1e9) / new EventPayloads('json', 0, 2000).averageBytes()));
  const needGB = ((avroRecords * 283 + jsonRecords * 515) / 1e9) * 1.3 + 1;
  if (disk.stackFreeGB < needGB) {
    fs.rmSync(work, { recursive: true, force: true });
    throw new Error(`not enough disk: ${disk.stackFreeGB} GB free at ${stackDir}, the topics need ~${round(needGB, 1)} GB`);
  }

  const components: Component[] = ['kafka', 'registry', ...(cfg.catalog === 'rest' ? (['s3', 'rest'] as Component[]) : [])];
  log(`stack: ${components.join(' ')}`);
  let stack: ReturnType<typeof startStack>;
  try {
    stack = flag('running-stack') ? runningStack() : startStack(components, log);
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
  if (stack.started.length > 0) log(`stack: started ${stack.started.join(', ')} (stopped again at the end)`);
  const { env } = stack;
  const runs = new Set(cfg.runs);
  const result: Record<string, unknown> = { bench: 'e2e', machine: { ...machine, floeCpu, loadavgStart: loadStart }, config: { ...cfg, avroRecords, jsonRecords }, disk };
  const topics: string[] = [];
  try {
    // ---- 1. topics
    const registry = new SchemaRegistryClient({ url: env.registryUrl });
    const base = `floe-bench-e2e-p${cfg.partitions}`;
    const schemaId = await registry.register(`${base}-avro-value`, { schema: EVENTS_AVRO_SCHEMA });
    const avro = new EventPayloads('avro', schemaId);
    const json = new EventPayloads('json');
    const events = { avroBytes: round(avro.averageBytes(), 1), jsonBytes: round(json.averageBytes(), 1), fields: 16 };
    result.events = events;
    log(`event: ${events.avroBytes} B as Avro (Confluent frame, schema id ${schemaId}), ${events.jsonBytes} B as JSON`);
    const prefills: Record<string, PrefillResult> = {};
    const avroTopic = `${base}-avro-s${schemaId}-${avroRecords}`;
    const jsonTopic = `${base}-json-${jsonRecords}`;
    if (runs.has('ceiling') || runs.has('avro') || runs.has('workers2')) {
      topics.push(avroTopic);
      prefills.avro = await prefill({ brokers: env.brokers, topic: avroTopic, partitions: cfg.partitions, records: avroRecords, payloads: avro, log });
    }
    if (runs.has('ceiling') || runs.has('json')) {
      topics.push(jsonTopic);
      prefills.json = await prefill({ brokers: env.brokers, topic: jsonTopic, partitions: cfg.partitions, records: jsonRecords, payloads: json, log });
    }
    result.prefill = prefills;

    // ---- 2. ceilings
    const ceilings: Record<string, CeilingResult> = {};
    if (runs.has('ceiling')) {
      for (const [format, topic, records] of [
        ['avro', avroTopic, avroRecords],
        ['json', jsonTopic, jsonRecords],
      ] as const) {
        log(`ceiling ${format}: src/kafka/source.ts alone on ${topic}`);
        const c = consumeCeiling(topic, records, floeCpu, env.brokers);
        ceilings[format] = c;
        log(
          c.error
            ? `ceiling ${format}: FAILED: ${c.error}`
            : `ceiling ${format}: ${c.recordsPerSec} records/s (${c.mbPerSec} MB/s; first to last record; ${round(records / (c.totalMs / 1000))}/s from consumer start; ${c.recordsPerCpuSecond ?? '?'} records per CPU-second, ${c.cpuSeconds ?? '?'} s CPU)`,
        );
      }
    }
    result.ceiling = ceilings;

    // ---- 3. end to end
    const e2e: Record<string, E2eFigures> = {};
    for (const format of ['avro', 'json'] as const) {
      if (!runs.has(format)) continue;
      const topic = format === 'avro' ? avroTopic : jsonTopic;
      const records = format === 'avro' ? avroRecords : jsonRecords;
      const lagGB = (records * (format === 'avro' ? avro : json).averageBytes()) / 1e9;
      // one folder per format: each run's summary is of its own profiles
      const profileDir = cfg.profile ? path.join(work, 'profile', format) : undefined;
      log(
        `end to end ${format}: floe run on ${topic}, ${records} records (${round(lagGB, 2)} GB of lag), ${cfg.catalog} catalog, commit interval ${cfg.e2eCommitIntervalMs} ms${profileDir ? ', with --cpu-prof' : ''}`,
      );
      const run = new FloeRun(
        {
          dir: path.join(work, format),
          name: `bench-${format}-${process.pid}`,
          topic,
          format,
          catalog: cfg.catalog,
          env,
          commitIntervalMs: cfg.e2eCommitIntervalMs,
          cpu: floeCpu,
          pollMs: cfg.pollMs,
          profileDir,
          nodeArgs: cfg.floeNodeArgs,
          fetch: fetchSizes,
          memoryProbe: cfg.memoryProbe,
          log,
        },
        await freePort(),
      );
      let r: FloeRunResult;
      try {
        await run.waitForOffsets(await endOffsets(env.brokers, topic), Math.min(1_800_000, 120_000 + records / 5));
      } finally {
        r = await run.stop();
      }
      const f = e2eFigures(format, records, lagGB, r, ceilings[format]);
      e2e[format] = f;
      log(
        `end to end ${format}: ${f.recordsPerSec} records/s ${f.recordsPerSecOver} (${f.recordsPerSecToLastCommit}/s from assignment to the last commit, ${f.secondsFromAssigned} s; ${f.recordsPerSecFromSpawn}/s from process spawn), ${f.recordsPerCpuSecond} records per CPU-second (${f.cpuSeconds} s CPU), ${f.snapshots} snapshots, peak RSS ${f.peakRssMB} MB${f.ratioToCeiling === null ? '' : `, ${f.ratioToCeiling} of the ceiling (${f.cpuRatioToCeiling} per CPU-second)`}; floe got ${f.cpuShare} of its core`,
      );
      log(`  CPU seconds by thread: ${JSON.stringify(f.cpuByThread)}`);
      if (f.catalogCommits) log(`  Iceberg commits (catalog step only, from floe's /metrics): ${f.catalogCommits.count}, ${f.catalogCommits.seconds} s in total`);
      if (f.gc) {
        log(
          `  GC pauses of the main thread (kafka.fetch ${fetchSizes ? JSON.stringify(fetchSizes) : 'default'}): ${f.gc.pauseSeconds} s in ${f.gc.count} GCs, ${f.gcShare} of the wall time since spawn, ${f.gcShareOfCpu} of the CPU time; ${Object.entries(
            f.gc.byKind,
          )
            .map(([k, v]) => `${k} ${v.count} (${v.seconds} s)`)
            .join(', ')}`,
        );
      }
      if (f.memoryAtPeak) log(`  at the highest RSS, process.memoryUsage() per thread in MB (rss is the process's; heap* each thread's own isolate): ${JSON.stringify(f.memoryAtPeak)}`);
      log(`  RSS over the run (s since spawn: MB, records committed): ${f.rssSeries.map((x) => `${x.s}s: ${x.rssMB} MB, ${x.committed}`).join('; ')}`);
      if (profileDir) {
        const prof = summariseProfiles(profileDir);
        (f as E2eFigures & { profile?: unknown }).profile = prof;
        for (const t of prof) log(`  profile ${t.file} (${t.seconds} s): ${JSON.stringify(t.selfPercent)}\n    top functions: ${JSON.stringify(t.topFunctions)}`);
      }
    }
    // ---- 3b. workers: 2 on 2 cores (the Avro topic again)
    if (runs.has('workers2') && cores >= 2) {
      const lagGB = (avroRecords * avro.averageBytes()) / 1e9;
      const cpus = floeCpu === undefined ? undefined : [floeCpu, ...Array.from({ length: cores }, (_, i) => i).filter((c) => c !== floeCpu)].slice(0, 2).join(',');
      log(`end to end avro, workers: 2: floe run with 2 group members on worker threads on ${avroTopic}, ${avroRecords} records, cpus ${cpus ?? '(not pinned)'}`);
      const run = new FloeRun(
        {
          dir: path.join(work, 'avro-workers2'),
          name: `bench-avro-w2-${process.pid}`,
          topic: avroTopic,
          format: 'avro',
          catalog: cfg.catalog,
          env,
          commitIntervalMs: cfg.e2eCommitIntervalMs,
          cpu: cpus,
          pollMs: cfg.pollMs,
          nodeArgs: cfg.floeNodeArgs,
          fetch: fetchSizes,
          workers: 2,
          log,
        },
        await freePort(),
      );
      let r: FloeRunResult;
      try {
        await run.waitForOffsets(await endOffsets(env.brokers, avroTopic), Math.min(1_800_000, 120_000 + avroRecords / 5));
      } finally {
        r = await run.stop();
      }
      const f = { ...e2eFigures('avro', avroRecords, lagGB, r, ceilings.avro), workers: 2, cpus: cpus ?? 'all' };
      e2e.avroWorkers2 = f;
      log(
        `end to end avro, workers: 2: ${f.recordsPerSec} records/s ${f.recordsPerSecOver} (${f.recordsPerSecToLastCommit}/s from the first assignment to the last commit, ${f.secondsFromAssigned} s; ${f.recordsPerSecFromSpawn}/s from process spawn), ${f.recordsPerCpuSecond} records per CPU-second (${f.cpuSeconds} s CPU), ${f.snapshots} snapshots, peak RSS ${f.peakRssMB} MB; floe got ${f.cpuShare} cores`,
      );
      log(
        `  CPU seconds by thread: ${JSON.stringify(f.cpuByThread)}; group: ${r.groupEvents.partitionsAssigned} partitions assigned (${cfg.partitions}: the group formed once), ${r.groupEvents.fences} fences`,
      );
      (f as typeof f & { groupEvents?: FloeRunResult['groupEvents'] }).groupEvents = r.groupEvents;
    }
    result.e2e = e2e;

    // ---- 4. freshness
    if (runs.has('fresh')) {
      const topic = `${base}-fresh-${process.pid}-${Date.now().toString(36)}`;
      const admin = await KafkaAdmin.connect({ brokers: env.brokers });
      try {
        await admin.createTopic(topic, { partitions: cfg.partitions });
      } finally {
        await admin.close();
      }
      const freshSchema = await registry.register(`${topic}-value`, { schema: EVENTS_AVRO_SCHEMA });
      const payloads = new EventPayloads('avro', freshSchema);
      log(`freshness: ${cfg.rate} Avro records/s for ${cfg.freshSeconds} s into ${topic}, commit interval ${cfg.commitIntervalMs} ms, catalog polled every ${cfg.pollMs} ms`);
      const run = new FloeRun(
        {
          dir: path.join(work, 'fresh'),
          name: `bench-fresh-${process.pid}`,
          topic,
          format: 'avro',
          catalog: cfg.catalog,
          env,
          commitIntervalMs: cfg.commitIntervalMs,
          cpu: floeCpu,
          pollMs: cfg.pollMs,
          nodeArgs: cfg.floeNodeArgs,
          fetch: fetchSizes,
          log,
        },
        await freePort(),
      );
      const producer = new BenchProducer(env.brokers, topic);
      let r: FloeRunResult;
      let produced;
      try {
        const deadline = Date.now() + 120_000;
        while (run.assignedMs === undefined) {
          if (Date.now() > deadline) throw new Error(`floe run was not assigned its partitions within 120 s:\n${run.output.slice(-2000)}`);
          await new Promise((res) => setTimeout(res, 50));
        }
        produced = await produceSteadily(producer, payloads, cfg.partitions, cfg.rate, cfg.freshSeconds);
        await run.waitForOffsets(await endOffsets(env.brokers, topic), 120_000);
      } finally {
        await producer.close();
        r = await run.stop();
        const a = await KafkaAdmin.connect({ brokers: env.brokers });
        await a.deleteTopics([topic]).catch(() => undefined);
        await a.close();
      }
      const lat = freshness(produced, r.snapshots, topic);
      const fresh = {
        rate: cfg.rate,
        achievedRate: Math.round(produced.records / produced.seconds),
        seconds: cfg.freshSeconds,
        records: produced.records,
        commitIntervalMs: cfg.commitIntervalMs,
        pollMs: cfg.pollMs,
        visibleByPoll: lat.byObservation,
        visibleBySnapshotTimestamp: lat.bySnapshotTimestamp,
        notVisible: lat.unseen,
        snapshots: r.snapshots.length,
        cpuSeconds: r.cpuSeconds,
        peakRssMB: r.peakRssMB,
      };
      result.freshness = fresh;
      log(
        `freshness: ${fresh.achievedRate} records/s produced; produce → visible (poller saw the snapshot): p50 ${lat.byObservation.p50Ms} ms, p99 ${lat.byObservation.p99Ms} ms, max ${lat.byObservation.maxMs} ms; by snapshot timestamp-ms: p50 ${lat.bySnapshotTimestamp.p50Ms}, p99 ${lat.bySnapshotTimestamp.p99Ms}, max ${lat.bySnapshotTimestamp.maxMs} ms; ${r.snapshots.length} snapshots; floe used ${r.cpuSeconds} s CPU`,
      );
    }

    // ---- 5. many partitions, many tables
    let many: ManyResult | undefined;
    if (runs.has('many')) {
      many = await manyPartitionsAndTables({
        env,
        work,
        records: cfg.manyRecords,
        partitions: cfg.partitions,
        catalog: cfg.catalog,
        commitIntervalMs: cfg.e2eCommitIntervalMs,
        cpu: floeCpu,
        pollMs: cfg.pollMs,
        nodeArgs: cfg.floeNodeArgs,
        fetch: fetchSizes,
        cases: cfg.manyCases,
        repeat: cfg.manyRepeat,
        profileDir: cfg.profile ? path.join(work, 'profile-many') : undefined,
        memoryProbe: cfg.memoryProbe,
        log,
      });
      topics.push(many.topic);
      result.many = many;
      if (cfg.profile) {
        for (const c of cfg.manyCases) {
          const prof = summariseProfiles(path.join(work, 'profile-many', c));
          (many.cases[c] as unknown as { profile?: unknown }).profile = prof;
          for (const t of prof) log(`  profile many ${c} ${t.file} (${t.seconds} s): ${JSON.stringify(t.selfPercent)}\n    top functions: ${JSON.stringify(t.topFunctions)}`);
        }
      }
    }

    // ---- verdicts
    const a = e2e.avro;
    const j = e2e.json;
    const ms = many?.cases.single;
    const mb = many?.cases.bucket1000;
    const mt = many?.cases.tables100;
    const manyNote = (c: typeof mb) =>
      ms && c
        ? `${c.case}: ${c.recordsPerSec}/s (${c.recordsPerCpuSecond} per CPU-second, peak RSS ${c.peakRssMB} MB, ${c.filesPerSnapshot} files per snapshot); unpartitioned: ${ms.recordsPerSec}/s (${ms.recordsPerCpuSecond} per CPU-second, peak RSS ${ms.peakRssMB} MB); per CPU-second ratio ${round(c.recordsPerCpuSecond / ms.recordsPerCpuSecond, 2)}${many!.rounds > 1 ? `; median of ${many!.rounds} alternated rounds (records/s ${c.roundsRecordsPerSec!.join(', ')} against ${ms.roundsRecordsPerSec!.join(', ')})` : ''}; load average ${load()[0]}`
        : undefined;
    const w2 = e2e.avroWorkers2;
    const fr = result.freshness as { visibleByPoll: { p99Ms: number }; commitIntervalMs: number } | undefined;
    const verdict = (value: number | null | undefined, met: boolean | null, target: string, note?: string) => ({
      target,
      value: value ?? null,
      verdict: met === null ? 'not measured' : met ? 'met' : 'missed',
      ...(note ? { note } : {}),
    });
    const targets = {
      avroRecordsPerSec: verdict(
        a?.recordsPerSec,
        a ? a.recordsPerSec >= 150_000 : null,
        '>= 150000 Avro records/s end to end on one core',
        a && a.cpuShare < 0.9 ? `floe got only ${a.cpuShare} of its core (load average ${load()[0]}); per CPU-second it did ${a.recordsPerCpuSecond} records` : undefined,
      ),
      halfOfCeiling: verdict(
        a?.ratioToCeiling,
        a && a.ratioToCeiling !== null ? a.ratioToCeiling >= 0.5 : null,
        '>= 0.5 of the raw consume rate (Avro)',
        a && a.cpuRatioToCeiling !== null ? `per CPU-second: ${a.cpuRatioToCeiling} of the ceiling` : undefined,
      ),
      freshnessP99: verdict(
        fr?.visibleByPoll.p99Ms,
        fr ? fr.visibleByPoll.p99Ms <= fr.commitIntervalMs + 2000 : null,
        `p99 produce → visible <= commit interval + 2000 ms (${cfg.commitIntervalMs + 2000} ms)`,
      ),
      peakRss: verdict(
        a?.peakRssMB,
        a ? (a.lagGB >= 1 ? a.peakRssMB < 512 : null) : null,
        'VmHWM < 512 MB with >= 1 GB of lag waiting',
        a && a.lagGB < 1 ? `only ${a.lagGB} GB of lag in this run (peak ${a.peakRssMB} MB): run with --lag-gb 1` : undefined,
      ),
      jsonRecordsPerSec: verdict(
        j?.recordsPerSec,
        j ? j.recordsPerSec >= 250_000 : null,
        '>= 250000 JSON records/s end to end on one core',
        j && j.cpuShare < 0.9 ? `floe got only ${j.cpuShare} of its core (load average ${load()[0]}); per CPU-second it did ${j.recordsPerCpuSecond} records` : undefined,
      ),
      manyPartitions: verdict(
        many?.bucketRatio,
        many?.bucketRatio != null ? many.bucketRatio >= 0.7 : null,
        '>= 0.7 of the unpartitioned records/s with bucket(1000, id) (~1000 partitions per commit)',
        manyNote(mb),
      ),
      manyTables: verdict(many?.tablesRatio, many?.tablesRatio != null ? many.tablesRatio >= 0.7 : null, '>= 0.7 of the unpartitioned records/s routed by field to 100 tables', manyNote(mt)),
      twoWorkersSpeedup: verdict(
        a && w2 ? round(w2.recordsPerSec / a.recordsPerSec, 2) : null,
        a && w2 ? w2.recordsPerSec / a.recordsPerSec >= 1.7 : null,
        ">= 1.7x one worker's Avro records/s with workers: 2 on 2 cores",
        a && w2
          ? `one worker on 1 core: ${a.recordsPerSec}/s (${a.cpuShare} of its core, ${a.recordsPerCpuSecond} per CPU-second); workers: 2 on 2 cores: ${w2.recordsPerSec}/s (${w2.cpuShare} cores, ${w2.recordsPerCpuSecond} per CPU-second); load average ${load()[0]}`
          : cores < 2
            ? `${cores} core: nothing to compare`
            : undefined,
      ),
    };
    if (quick) for (const t of Object.values(targets) as { note?: string }[]) t.note = `--quick smoke run, too small to judge${t.note ? `; ${t.note}` : ''}`;
    result.targets = targets;
    for (const [k, t] of Object.entries(targets)) log(`target ${k}: ${t.verdict.toUpperCase()} (${t.value ?? '-'}; ${t.target})${'note' in t ? ` — ${t.note}` : ''}`);
  } finally {
    if (cfg.cleanup && topics.length > 0) {
      try {
        const admin = await KafkaAdmin.connect({ brokers: env.brokers });
        await admin.deleteTopics(topics).finally(() => admin.close());
        log(`deleted topics ${topics.join(', ')}`);
      } catch (e) {
        log(`cleanup: could not delete ${topics.join(', ')}: ${(e as Error).message}`);
      }
    }
    if (cfg.keepProfiles) {
      for (const d of ['profile', 'profile-many']) {
        if (fs.existsSync(path.join(work, d))) fs.cpSync(path.join(work, d), path.join(cfg.keepProfiles, d), { recursive: true });
      }
      log(`profiles kept in ${cfg.keepProfiles}`);
    }
    fs.rmSync(work, { recursive: true, force: true });
    stack.stop();
  }
  const loadEnd = load();
  (result.machine as Record<string, unknown>).loadavgEnd = loadEnd;
  log(`load average at end: ${loadEnd.join(' ')} (the machine is shared: figures under load are preliminary)`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
