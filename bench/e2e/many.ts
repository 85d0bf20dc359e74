// Cost in partitions and tables (issue 10, item 5): the same JSON records (the sample event plus
// a `tenant` field of 100 values) landed by `floe run` three ways, back to back on the same core:
//   single     one unpartitioned table;
//   bucket1000 one table partitioned by bucket(1000, id): every commit touches ~1,000 partitions;
//   tables100  route.by: field on tenant: 100 tables, one commit per table.
// records/s sustained (as the other end-to-end runs: every writer's snapshots but its last, from
// the assignment; floe-run.ts sustainedRecordsPerSec) and to the last snapshot, CPU
// seconds, peak RSS, snapshots and data files per snapshot. Ratios: records/s of a case over
// single's (target for bucket1000: >= 0.7). With `repeat` > 1 the cases run that many rounds,
// alternated (single, bucket1000, tables100, single, ...): each case reports the round with its
// median records/s (every round's beside it), and each ratio is the median of the rounds' ratios,
// so a machine whose speed drifts from minute to minute weighs less.
import path from 'node:path';
import { EventPayloads } from './events.ts';
import { backlogRates, FloeRun, freePort } from './floe-run.ts';
import type { BacklogRates, FloeRunResult } from './floe-run.ts';
import { prefill } from './prefill.ts';
import type { StackEnv } from './stack.ts';

export const TENANTS = 100;

export type ManyCase = 'single' | 'bucket1000' | 'tables100';

export interface ManyFigures {
  case: ManyCase;
  records: number;
  /** the sustained rate (floe-run.ts sustainedRecordsPerSec: every writer's snapshots but its last); what the ratios compare */
  recordsPerSec: number;
  recordsPerSecOver: BacklogRates['recordsPerSecOver'];
  /** every record over the seconds from the assignment to the last commit */
  recordsPerSecToLastCommit: number;
  secondsFromAssigned: number;
  cpuSeconds: number;
  /** of cpuSeconds, in the kernel (file writes and fsyncs of data and metadata files) */
  systemCpuSeconds: number;
  recordsPerCpuSecond: number;
  cpuShare: number;
  peakRssMB: number;
  snapshots: number;
  tables: number;
  filesPerSnapshot: number;
  files: number;
  rowsCommitted: number;
  exitCode: number | null;
  /** With repeat > 1: records/s of every round, in order (the figures above are the median round's). */
  roundsRecordsPerSec?: number[];
}

export interface ManyOptions {
  env: StackEnv;
  work: string;
  records: number;
  partitions: number;
  catalog: 'sql' | 'rest';
  commitIntervalMs: number;
  cpu: number | undefined;
  pollMs: number;
  nodeArgs: string[];
  /** the connector files' kafka.fetch (FloeRunOptions.fetch) */
  fetch?: { maxBytes?: number; maxBytesPerPartition?: number };
  cases: ManyCase[];
  /** Rounds of all the cases, alternated (default 1). */
  repeat?: number;
  /** extra connector lines for every case (e.g. a write budget) */
  extraConfig?: string[];
  /** process.memoryUsage() of each thread at the highest RSS (bench/e2e/memory-probe.ts) */
  memoryProbe?: boolean;
  /** node --cpu-prof of each case into <dir>/<case> */
  profileDir?: string;
  log: (line: string) => void;
}

export interface ManyResult {
  topic: string;
  rounds: number;
  cases: Partial<Record<ManyCase, ManyFigures>>;
  /** records/s of bucket1000 over single's */
  bucketRatio: number | null;
  /** records/s of tables100 over single's */
  tablesRatio: number | null;
  /** the same ratios of records per CPU-second (less sensitive to the machine's load; not what targets judge) */
  bucketCpuRatio: number | null;
  tablesCpuRatio: number | null;
}

const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;

function figures(c: ManyCase, records: number, tables: number, r: FloeRunResult): ManyFigures {
  const { lastCommitMs: _, ...rates } = backlogRates(r, records);
  const files = r.snapshots.reduce((n, s) => n + s.addedFiles, 0);
  const withRows = r.snapshots.filter((s) => s.addedRecords > 0).length;
  return {
    case: c,
    records,
    ...rates,
    cpuSeconds: r.cpuSeconds,
    systemCpuSeconds: r.systemCpuSeconds,
    recordsPerCpuSecond: Math.round(records / r.cpuSeconds),
    cpuShare: round(r.cpuSeconds / ((r.cpuReadMs - r.spawnMs) / 1000), 2),
    peakRssMB: r.peakRssMB,
    snapshots: r.snapshots.length,
    tables,
    filesPerSnapshot: withRows === 0 ? 0 : round(files / withRows, 1),
    files,
    rowsCommitted: r.snapshots.reduce((n, s) => n + s.addedRecords, 0),
    exitCode: r.exitCode,
  };
}

export async function manyPartitionsAndTables(o: ManyOptions): Promise<ManyResult> {
  const payloads = new EventPayloads('json', 0, 20_000, { tenants: TENANTS });
  const topic = `floe-bench-e2e-p${o.partitions}-many-json-t${TENANTS}-${o.records}`;
  await prefill({ brokers: o.env.brokers, topic, partitions: o.partitions, records: o.records, payloads, log: o.log });
  const values = Array.from({ length: TENANTS }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const repeat = Math.max(1, o.repeat ?? 1);
  const rounds: ManyResult['cases'][] = [];
  for (let rep = 0; rep < repeat; rep++) {
    const cases: ManyResult['cases'] = {};
    rounds.push(cases);
    for (const c of o.cases) {
      const tag = rep === 0 ? c : `${c}-${rep}`;
      o.log(`many ${c}${repeat > 1 ? ` (round ${rep + 1} of ${repeat})` : ''}: floe run on ${topic}, ${o.records} JSON records, ${o.catalog} catalog, commit interval ${o.commitIntervalMs} ms`);
      cases[c] = await runCase(o, c, tag, topic, values);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const cases: ManyResult['cases'] = {};
  for (const c of o.cases) {
    const all = rounds.map((r) => r[c]!);
    const m = median(all.map((f) => f.recordsPerSec));
    cases[c] = { ...all.find((f) => f.recordsPerSec === m)!, ...(repeat > 1 ? { roundsRecordsPerSec: all.map((f) => f.recordsPerSec) } : {}) };
  }
  const ratio = (c: ManyCase, key: 'recordsPerSec' | 'recordsPerCpuSecond') => {
    const rs = rounds.filter((r) => r[c] && r.single).map((r) => r[c]![key] / r.single![key]);
    return rs.length === 0 ? null : round(median(rs), 2);
  };
  return {
    topic,
    rounds: repeat,
    cases,
    bucketRatio: ratio('bucket1000', 'recordsPerSec'),
    tablesRatio: ratio('tables100', 'recordsPerSec'),
    bucketCpuRatio: ratio('bucket1000', 'recordsPerCpuSecond'),
    tablesCpuRatio: ratio('tables100', 'recordsPerCpuSecond'),
  };
}

/** One `floe run` of case c over the prefilled topic; throws unless every record was committed. */
async function runCase(o: ManyOptions, c: ManyCase, tag: string, topic: string, values: string[]): Promise<ManyFigures> {
  const run = new FloeRun(
    {
      dir: path.join(o.work, `many-${tag}`),
      name: `bench-many-${tag}-${process.pid}`,
      topic,
      format: 'json',
      catalog: o.catalog,
      env: o.env,
      commitIntervalMs: o.commitIntervalMs,
      cpu: o.cpu,
      pollMs: c === 'tables100' ? Math.max(o.pollMs, 500) : o.pollMs,
      nodeArgs: o.nodeArgs,
      fetch: o.fetch,
      ...(c === 'bucket1000' ? { partitionBy: ['bucket(1000, id)'] } : {}),
      ...(c === 'tables100' ? { route: { field: 'tenant', values } } : {}),
      extraConfig: o.extraConfig,
      profileDir: o.profileDir ? path.join(o.profileDir, tag) : undefined,
      memoryProbe: o.memoryProbe,
      log: o.log,
    },
    await freePort(),
  );
  let r: FloeRunResult;
  try {
    await run.waitForRecords(o.records, Math.min(1_800_000, 180_000 + o.records / 2));
  } finally {
    r = await run.stop();
  }
  const f = figures(c, o.records, run.tables.length, r);
  o.log(
    `many ${c}: ${f.recordsPerSec} records/s ${f.recordsPerSecOver} (${f.recordsPerSecToLastCommit}/s to the last commit, ${f.secondsFromAssigned} s from assignment), ${f.recordsPerCpuSecond} per CPU-second (${f.cpuSeconds} s CPU of which ${f.systemCpuSeconds} s in the kernel, ${f.cpuShare} of its core), peak RSS ${f.peakRssMB} MB, ${f.snapshots} snapshots in ${f.tables} table(s), ${f.filesPerSnapshot} data files per snapshot (${f.files} in all), ${f.rowsCommitted} rows committed`,
  );
  if (r.memoryAtPeak) o.log(`  at the highest RSS, process.memoryUsage() per thread in MB: ${JSON.stringify(r.memoryAtPeak)}`);
  if (f.rowsCommitted !== o.records) throw new Error(`many ${c}: ${f.rowsCommitted} rows committed, not ${o.records}`);
  return f;
}
