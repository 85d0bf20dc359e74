// Maintenance benchmark: compaction, scans before and after, and what maintenance costs the
// writer, on the embedded SQLite catalog in a temp dir on local disk (removed at the end).
//
//   npm run bench:maintain [-- --quick | --full] [-- --partitions 100 --commits 100 ...]
//
//   1. small files: a table partitioned by bucket(P, user_id) (the 15-field sample event of
//      bench/writer.bench.ts), written by C appendRecords commits whose rows span every
//      partition: one file per partition per commit, P × C small files (default 100 × 100).
//   2. scan before: DuckDB (bench/duckdb_scan.py, the iceberg extension loaded by path from the
//      venv of FLOE_TEST_PYTHON; found through scripts/stack/env.sh when unset)
//      SELECT count(*), sum(user_id) FROM iceberg_scan(<current metadata file>), median of 5
//      runs timed inside Python (wall clock, and the process's CPU time: DuckDB's threads).
//   3. per group, in a fresh process (bench/maintain/child.ts groups): the first planned groups
//      stitched (stitch.ts) and rewritten (rewrite-compaction.ts: decode, re-encode), neither
//      committed: MB of input per CPU-second of each, without the commits.
//   4. one compaction run, stitchSmallFiles, in a fresh process (child.ts stitch): files before
//      and after, MB of input per CPU-second of that process (process.cpuUsage(), all threads,
//      user and system, commits included), its peak RSS (VmHWM). Repeated --stitch-runs times on
//      the same table (between runs main is rolled back to the snapshot before the stitch and the
//      files the run wrote are deleted): the figure is the median run, every run is printed.
//   5. scan after the stitch; then one compactTable run as floe maintain makes it (mode auto:
//      the stitched files' many small row groups rewritten into full ones, child.ts compact),
//      and the scan after that, as in 2: scan_speedup = before / after, wall clock (the
//      stitch-only figure and the ratio of CPU times are reported too).
//   6. commit latency under maintenance: a connector-like writer (data files written, then
//      commitBatch with an offsets range, one commit every --interval-ms) on a table of 8
//      partitions, in blocks of --block-commits commits that alternate: maintenance paused /
//      maintain() passes (stitch, expiry, orphan scan; under the lease) in another process on the
//      same table, one every --pass-every-ms (2000: maintenance "every few seconds"; 0: back to
//      back) (child.ts loop), at the maintenance worker's default nice value as `floe maintain -c`
//      runs. commit_p99_ratio = p99 with / p99 alone (the timed span is commitBatch only); 320
//      commits a side, so the p99 is not just the largest or second-largest commit.
//   7. commit latency growth: --growth-commits commits back to back (data files copied from a
//      template, so the commits are all that is timed), a maintain() pass (stitch + expiry of
//      all but 10 snapshots) every --maintain-every commits in this process between commits;
//      commit_latency_growth = median of the last 100 commits / median of the first 100.
//
// Flags (defaults; --quick ≈ 1 minute; --full: 20,000 growth commits): --partitions (100; 20),
// --commits (100; 25), --rows-per-file (1000: files of about 48 KB; 100 gives 9 KB files, where the
// cost per file dominates: docs/decisions.md has both), --rewrite-groups (4; 2), --interval-ms (200),
// --block-commits (80; 20), --blocks (4; 2) per condition, --growth-commits (2000; 300; 20000),
// --maintain-every (100), --pass-every-ms (2000), --stitch-runs (3; 1), --only (compaction,latency,growth:
// the parts to run), --profile (node --cpu-prof of the stitch run, summarised), --keep (keep
// the temp dir). Readable lines on stderr as it goes; the LAST stdout line is one JSON object
// with every figure and a verdict per target. The machine is often shared (other tests running):
// the load average is printed at the start and the end; CPU-second figures suffer less from it
// than wall-clock ones.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { commitBatch } from '../src/commit/exactly-once.ts';
import type { DataFile } from '../src/iceberg/data-file.ts';
import { currentSchema, currentSnapshot, defaultSpec } from '../src/iceberg/metadata-updates.ts';
import { buildPartitionSpec } from '../src/iceberg/partition-spec.ts';
import { createdTableProperties } from '../src/iceberg/table-properties.ts';
import { localPath } from '../src/io/local-file-io.ts';
import { fileIOFor } from '../src/io/resolve-file-io.ts';
import { maintain } from '../src/cli/maintain.ts';
import { readSnapshotFiles } from '../src/maintenance/table-files.ts';
import { PartitionedBatch } from '../src/batch/partitioned-batch.ts';
import { appendRecords, writeDataFiles } from '../src/writer/fanout-writer.ts';
import { summariseProfiles } from './e2e/cpu-profile.ts';
import { COMMITS, GROWTH, NAMESPACE, SMALL, memoryMB, openCatalog, quantile, round, sleep, tableId } from './maintain/common.ts';
import { eventSchema, generateEvents } from './writer.bench.ts';

const repo = path.resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function num(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: not a number: ${argv[i + 1]}`);
  return v;
}
const quick = flag('quick');
const full = flag('full');
const cfg = {
  quick,
  full,
  partitions: num('partitions', quick ? 20 : 100),
  commits: num('commits', quick ? 25 : 100),
  rowsPerFile: num('rows-per-file', 1000),
  rewriteGroups: num('rewrite-groups', quick ? 2 : 4),
  intervalMs: num('interval-ms', 200),
  blockCommits: num('block-commits', quick ? 20 : 80),
  blocks: num('blocks', quick ? 2 : 4),
  growthCommits: num('growth-commits', quick ? 300 : full ? 20_000 : 2000),
  maintainEvery: num('maintain-every', 100),
  passEveryMs: num('pass-every-ms', 2000),
  stitchRuns: Math.max(1, num('stitch-runs', quick ? 1 : 3)),
  only: (() => {
    const i = argv.indexOf('--only');
    return i < 0 ? ['compaction', 'latency', 'growth'] : argv[i + 1].split(',');
  })(),
  profile: flag('profile'),
  keep: flag('keep'),
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const load = () => os.loadavg().map((l) => round(l, 2));
const ms = (v: number) => round(v, 1);
const child = path.join(repo, 'bench', 'maintain', 'child.ts');

function machineInfo() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += fs.statSync(path.join(e.parentPath, e.name)).size;
  return n;
}

function findPython(): string | undefined {
  if (process.env.FLOE_TEST_PYTHON) return process.env.FLOE_TEST_PYTHON;
  const r = spawnSync('bash', ['-c', 'source scripts/stack/env.sh >/dev/null 2>&1; printf %s "$FLOE_TEST_PYTHON"'], { cwd: repo, encoding: 'utf8' });
  const p = r.stdout?.trim();
  return p && fs.existsSync(p) ? p : undefined;
}

/** Runs a child.ts mode to its end; its last stdout line is JSON. */
function runChild(args: string[], nodeArgs: string[] = []): Record<string, any> {
  const r = spawnSync(process.execPath, [...nodeArgs, child, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error(`child ${args[0]} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-8).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

interface Scan {
  runs_s: number[];
  median_s: number;
  cpu_runs_s: number[];
  cpu_median_s: number;
  count: number;
  sum: string | null;
  duckdb: string;
}

function duckdbScan(python: string | undefined, metadataLocation: string): Scan | { error: string } {
  if (!python) return { error: 'no Python: set FLOE_TEST_PYTHON (source scripts/stack/env.sh; scripts/stack/setup.sh installs the venv)' };
  const r = spawnSync(python, [path.join(repo, 'bench', 'duckdb_scan.py'), metadataLocation, 'user_id', '5'], { encoding: 'utf8', timeout: 15 * 60_000 });
  if (r.status !== 0) return { error: `duckdb_scan.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Scan;
}

async function liveDataFiles(catalog: ReturnType<typeof openCatalog>, name: string): Promise<{ files: number; bytes: number; metadataLocation: string; snapshots: number }> {
  const table = await catalog.loadTable(tableId(name));
  const io = fileIOFor(table.metadata.location, table.config);
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  return {
    files: files.data.length,
    bytes: files.data.reduce((n, f) => n + f.dataFile['file-size-in-bytes'], 0),
    metadataLocation: table.metadataLocation,
    snapshots: table.metadata.snapshots?.length ?? 0,
  };
}

function latencySummary(values: number[]) {
  return {
    n: values.length,
    p50Ms: ms(quantile(values, 0.5)),
    p90Ms: ms(quantile(values, 0.9)),
    p99Ms: ms(quantile(values, 0.99)),
    maxMs: ms(Math.max(...values)),
    meanMs: ms(values.reduce((a, b) => a + b, 0) / values.length),
  };
}

/** Every Parquet file under a folder. */
function dataFilePaths(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Undoes a stitch run between two measured runs: main back to `snapshotId` (a rollback commit,
 * asserting main's head), and the data files written since (not in `keep`) deleted.
 */
async function rollBack(catalog: ReturnType<typeof openCatalog>, snapshotId: bigint, dataDir: string, keep: Set<string>): Promise<void> {
  const table = await catalog.loadTable(tableId(SMALL));
  const head = currentSnapshot(table.metadata)!['snapshot-id'];
  await catalog.commitTable(
    tableId(SMALL),
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': head }],
    [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId }],
  );
  for (const p of dataFilePaths(dataDir)) if (!keep.has(p)) fs.rmSync(p);
}

/** A pool of record sets (distinct rows), reused round robin so that generating rows does not dominate. */
function recordPool(sets: number, rows: number, seed: number): Record<string, unknown>[][] {
  return Array.from({ length: sets }, (_, i) => generateEvents(rows, seed + i, i * rows));
}

// ---- 1..5: small files, compaction, scans --------------------------------------------------
async function compaction(dir: string, python: string | undefined, result: Record<string, unknown>): Promise<void> {
  const catalog = openCatalog(dir);
  const id = tableId(SMALL);
  const { spec } = buildPartitionSpec(eventSchema, [`bucket(${cfg.partitions}, user_id)`]);
  await catalog.createTable(id, { schema: eventSchema, partitionSpec: spec, properties: createdTableProperties() });
  const rowsPerCommit = cfg.partitions * cfg.rowsPerFile;
  log(`small files: ${cfg.commits} commits of ${rowsPerCommit} rows over ${cfg.partitions} partitions (bucket(${cfg.partitions}, user_id)), ~${cfg.rowsPerFile} rows per file`);
  const pool = recordPool(4, rowsPerCommit, 1000);
  const w0 = performance.now();
  for (let c = 0; c < cfg.commits; c++) {
    await appendRecords(catalog, id, pool[c % pool.length]);
    if ((c + 1) % Math.max(1, Math.round(cfg.commits / 5)) === 0) log(`  ${c + 1}/${cfg.commits} commits, ${round((performance.now() - w0) / 1000, 1)} s`);
  }
  const before = await liveDataFiles(catalog, SMALL);
  const build = { commits: cfg.commits, partitions: cfg.partitions, rows: rowsPerCommit * cfg.commits, seconds: round((performance.now() - w0) / 1000, 1), files: before.files, bytes: before.bytes };
  result.build = build;
  log(`  ${before.files} data files, ${round(before.bytes / 1e6, 1)} MB (${Math.round(before.bytes / before.files)} B each), written in ${build.seconds} s`);

  log('scan before: DuckDB iceberg_scan, count(*) + sum(user_id), median of 5');
  const scanBefore = duckdbScan(python, before.metadataLocation);
  log('error' in scanBefore ? `  ${scanBefore.error}` : `  ${scanBefore.median_s} s (runs ${scanBefore.runs_s.join(', ')}), CPU ${scanBefore.cpu_median_s} s, ${scanBefore.count} rows`);

  log(`per group, not committed (fresh process): stitch vs rewrite of ${cfg.rewriteGroups} groups (one more to warm up)`);
  let groups: Record<string, any> | undefined;
  try {
    groups = runChild(['groups', dir, String(cfg.rewriteGroups)]);
  } catch (err) {
    groups = { error: (err as Error).message };
  }
  const stitchOnly = groups?.stitchOnly;
  const rewrite = groups?.rewrite;
  const stitchOnlyMBps = stitchOnly?.cpuS > 0 ? round(stitchOnly.bytes / 1e6 / stitchOnly.cpuS, 1) : null;
  let rewriteMBps: number | null = null;
  let rewriteNote: string | undefined;
  if (groups?.error) rewriteNote = `the groups child failed: ${groups.error}`;
  else if (rewrite?.error) rewriteNote = rewrite.error;
  else if (!(rewrite?.groups > 0)) rewriteNote = 'no group was rewritten (the table has no group to compact)';
  else rewriteMBps = round(rewrite.bytes / 1e6 / rewrite.cpuS, 1);
  if (stitchOnly) log(`  stitch only: ${stitchOnly.files} files, ${round(stitchOnly.bytes / 1e6, 2)} MB in ${round(stitchOnly.cpuS, 3)} CPU s: ${stitchOnlyMBps} MB/s per CPU-second`);
  log(
    rewriteMBps !== null
      ? `  rewrite (rewriteDataFiles: decode + re-encode): ${rewrite.files} files, ${round(rewrite.bytes / 1e6, 2)} MB, ${rewrite.rows} rows in ${round(rewrite.cpuS, 3)} CPU s: ${rewriteMBps} MB/s per CPU-second (${Math.round(rewrite.rows / rewrite.cpuS)} rows/CPU-s), ${rewrite.outputs} output file(s)`
      : `  rewrite: not measured: ${rewriteNote}`,
  );
  result.per_group = groups;

  log(`compaction: stitchSmallFiles, ${cfg.stitchRuns} run(s) on the same table, each in a fresh process${cfg.profile ? ' (the last with --cpu-prof)' : ''}`);
  const profDir = path.join(dir, 'profile');
  const headBefore = currentSnapshot((await catalog.loadTable(id)).metadata)!['snapshot-id'];
  const dataDir = localPath(`${(await catalog.loadTable(id)).metadata.location}/data`);
  const dataBefore = new Set(dataFilePaths(dataDir));
  const runs: Record<string, any>[] = [];
  for (let k = 0; k < cfg.stitchRuns; k++) {
    if (k > 0) await rollBack(catalog, headBefore, dataDir, dataBefore);
    const last = k === cfg.stitchRuns - 1;
    const run = runChild(['stitch', dir], cfg.profile && last ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
    runs.push(run);
    log(
      `  run ${k + 1}: ${run.groups} groups (${JSON.stringify(run.statuses)}), ${run.filesIn} files, ${round(run.bytesIn / 1e6, 1)} MB in: ${run.cpuS} CPU s (user ${run.userS}, system ${run.systemS}), ${run.wallS} s wall: ${round(run.bytesIn / 1e6 / run.cpuS, 1)} MB/s per CPU-second (${round(run.bytesIn / 1e6 / run.wallS, 1)} MB/s wall); peak RSS ${run.peakRssMB} MB (${run.rssStartMB} MB at its start); load ${load().join(' ')}`,
    );
  }
  // the median run by CPU time; the table stays as the last run left it
  const stitch = [...runs].sort((a, b) => a.cpuS - b.cpuS)[Math.floor((runs.length - 1) / 2)];
  const after = await liveDataFiles(catalog, SMALL);
  const stitchMBps = stitch.cpuS > 0 ? round(stitch.bytesIn / 1e6 / stitch.cpuS, 1) : null;
  log(`  median of ${runs.length}: ${stitch.cpuS} CPU s: ${stitchMBps} MB/s per CPU-second`);
  if (stitch.problems?.length) log(`  problems: ${stitch.problems.join(' | ')}`);
  log(`  data files: ${before.files} → ${after.files} (${round((100 * after.files) / before.files, 2)} %); ${round((1000 * stitch.cpuS) / Math.max(1, stitch.filesIn), 2)} CPU ms per input file`);
  let profile: unknown;
  if (cfg.profile && fs.existsSync(profDir)) {
    profile = summariseProfiles(profDir);
    for (const t of profile as { file: string; seconds: number; selfPercent: unknown; topFunctions: unknown }[])
      log(`  profile (${t.seconds} s): ${JSON.stringify(t.selfPercent)}\n    top functions: ${JSON.stringify(t.topFunctions)}`);
  }

  log('scan after the stitch');
  const scanStitched = duckdbScan(python, after.metadataLocation);
  log('error' in scanStitched ? `  ${scanStitched.error}` : `  ${scanStitched.median_s} s (runs ${scanStitched.runs_s.join(', ')}), CPU ${scanStitched.cpu_median_s} s, ${scanStitched.count} rows`);
  // then a pass as floe maintain makes it (mode auto): a stitched file of many small row groups
  // is rewritten into full row groups (compact-table.ts), what a partition that went cold gets
  log('compaction: compactTable (auto, as floe maintain), after the stitch (fresh process)');
  const compact = runChild(['compact', dir]);
  log(`  ${compact.groups} group(s) ${JSON.stringify(compact.statuses)}, ${round(compact.bytesIn / 1e6, 1)} MB in ${compact.cpuS} CPU s; peak RSS ${compact.peakRssMB} MB`);
  const afterAll = await liveDataFiles(catalog, SMALL);
  log('scan after');
  const scanAfter = duckdbScan(python, afterAll.metadataLocation);
  log('error' in scanAfter ? `  ${scanAfter.error}` : `  ${scanAfter.median_s} s (runs ${scanAfter.runs_s.join(', ')}), CPU ${scanAfter.cpu_median_s} s, ${scanAfter.count} rows`);
  let scanSpeedup: number | null = null;
  let scanNote: string | undefined;
  if ('error' in scanBefore || 'error' in scanAfter) scanNote = ('error' in scanBefore ? scanBefore.error : (scanAfter as { error: string }).error) ?? 'scan failed';
  else if (scanBefore.count !== scanAfter.count || scanBefore.sum !== scanAfter.sum)
    scanNote = `the scans disagree: ${scanBefore.count}/${scanBefore.sum} before, ${scanAfter.count}/${scanAfter.sum} after`;
  else scanSpeedup = round(scanBefore.median_s / scanAfter.median_s, 2);
  const scanCpuSpeedup = scanSpeedup === null ? null : round((scanBefore as Scan).cpu_median_s / (scanAfter as Scan).cpu_median_s, 2);
  if (scanSpeedup !== null) log(`  scan speedup ${scanSpeedup}× (wall clock); ${scanCpuSpeedup}× in CPU time`);

  Object.assign(result, {
    files_before: before.files,
    files_after: after.files,
    input_file_bytes: before.files > 0 ? Math.round(before.bytes / before.files) : null,
    stitch_mb_per_s: stitchMBps,
    stitch_wall_mb_per_s: round(stitch.bytesIn / 1e6 / stitch.wallS, 1),
    stitch_only_mb_per_s: stitchOnlyMBps,
    stitch_cpu_ms_per_file: stitch.filesIn > 0 ? round((1000 * stitch.cpuS) / stitch.filesIn, 2) : null,
    stitch_only_cpu_ms_per_file: stitchOnly?.files > 0 ? round((1000 * stitchOnly.cpuS) / stitchOnly.files, 2) : null,
    peak_rss_mb: stitch.peakRssMB,
    rewrite_mb_per_s: rewriteMBps,
    ...(rewriteNote ? { rewrite_note: rewriteNote } : {}),
    scan_speedup: scanSpeedup,
    scan_cpu_speedup: scanCpuSpeedup,
    scan_speedup_stitch_only: 'error' in scanBefore || 'error' in scanStitched ? null : round(scanBefore.median_s / scanStitched.median_s, 2),
    files_after_rewrite: afterAll.files,
    compact_after_stitch: compact,
    ...(scanNote ? { scan_note: scanNote } : {}),
    stitch,
    stitch_runs: runs.map((r) => ({ cpuS: r.cpuS, userS: r.userS, systemS: r.systemS, wallS: r.wallS, mbPerCpuS: round(r.bytesIn / 1e6 / r.cpuS, 1) })),
    scan_before: scanBefore,
    scan_after: scanAfter,
    ...(profile ? { stitch_profile: profile } : {}),
  });
}

// ---- 6: commit latency, alone vs with maintenance passes ------------------------------------
class LoopChild {
  private readonly proc;
  private readonly waiters: { want: string; resolve: () => void }[] = [];
  readonly passes: Record<string, any>[] = [];
  private exited: Promise<number | null>;
  constructor(dir: string) {
    this.proc = spawn(process.execPath, [child, 'loop', dir, String(cfg.passEveryMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.proc.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
    this.exited = new Promise((r) =>
      this.proc.on('exit', (code) => {
        if (code !== 0) log(`maintenance loop exited ${code}: ${stderr}`);
        for (const w of this.waiters.splice(0)) w.resolve();
        r(code);
      }),
    );
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      if (line.startsWith('pass ')) this.passes.push(JSON.parse(line.slice(5)));
      const i = this.waiters.findIndex((w) => w.want === line);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve();
    });
  }
  /** Sends a command and waits for its answer. */
  send(cmd: 'run' | 'pause' | 'stop'): Promise<void> {
    const want = cmd === 'run' ? 'running' : cmd === 'pause' ? 'paused' : 'stopped';
    const p = new Promise<void>((resolve) => this.waiters.push({ want, resolve }));
    this.proc.stdin.write(`${cmd}\n`);
    return p;
  }
  async stop(): Promise<void> {
    await this.send('stop');
    this.proc.stdin.end();
    await this.exited;
  }
}

async function commitLatency(dir: string, result: Record<string, unknown>): Promise<void> {
  const catalog = openCatalog(dir);
  const id = tableId(COMMITS);
  const { spec } = buildPartitionSpec(eventSchema, ['bucket(8, user_id)']);
  await catalog.createTable(id, { schema: eventSchema, partitionSpec: spec, properties: createdTableProperties() });
  const table = await catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const io = fileIOFor(table.metadata.location, table.config);
  const rows = 400;
  const pool = recordPool(8, rows, 5000);
  let offset = 0n;
  let n = 0;
  /** What each retried commit lost to: the operation (and maintenance action) of the snapshot it finally built on. */
  const lostTo: Record<string, number> = {};
  const commitOnce = async (): Promise<{ ms: number; attempts: number }> => {
    const batch = new PartitionedBatch(`${NAMESPACE}.${COMMITS}`, schema, spec);
    for (const r of pool[n++ % pool.length]) batch.append(r);
    const files = await writeDataFiles(table, schema, spec, batch.drain(), { io });
    const from = offset;
    offset += BigInt(rows);
    const t0 = performance.now();
    const r = await commitBatch({ connector: 'bench', catalog, table: id, files, ranges: [{ topic: 'events', partition: 0, from, to: offset }], io, specId: spec['spec-id'] });
    const ms = performance.now() - t0;
    if (r.attempts > 1) {
      const parentId = r.snapshot['parent-snapshot-id'];
      const parent = r.table.metadata.snapshots?.find((s) => s['snapshot-id'] === parentId);
      const what = parent ? `${parent.summary?.operation ?? '?'}${parent.summary?.['floe.maintenance.action'] ? ` (${parent.summary['floe.maintenance.action']})` : ''}` : 'unknown';
      lostTo[what] = (lostTo[what] ?? 0) + 1;
    }
    return { ms, attempts: r.attempts };
  };
  const runBlock = async (count: number, into: number[], attempts: number[]) => {
    let next = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      next = performance.now() + cfg.intervalMs;
      const c = await commitOnce();
      into.push(c.ms);
      attempts.push(c.attempts);
    }
  };
  log(
    `commit latency: a writer committing ${rows} rows (8 files) with commitBatch every ${cfg.intervalMs} ms; ${cfg.blocks} blocks of ${cfg.blockCommits} commits alone and ${cfg.blocks} with maintain() passes in another process (one every ${cfg.passEveryMs} ms), alternating`,
  );
  const warm: number[] = [];
  await runBlock(10, warm, []);
  const loop = new LoopChild(dir);
  const alone: number[] = [];
  const withMaint: number[] = [];
  const attemptsAlone: number[] = [];
  const attemptsWith: number[] = [];
  try {
    for (let b = 0; b < cfg.blocks; b++) {
      await loop.send('pause');
      await runBlock(cfg.blockCommits, alone, attemptsAlone);
      const passesBefore = loop.passes.length;
      await loop.send('run');
      await runBlock(cfg.blockCommits, withMaint, attemptsWith);
      log(
        `  block ${b + 1}/${cfg.blocks}: alone p50 ${ms(quantile(alone.slice(-cfg.blockCommits), 0.5))} ms, max ${ms(Math.max(...alone.slice(-cfg.blockCommits)))}; with maintenance p50 ${ms(quantile(withMaint.slice(-cfg.blockCommits), 0.5))} ms, max ${ms(Math.max(...withMaint.slice(-cfg.blockCommits)))} (${loop.passes.length - passesBefore} passes finished meanwhile)`,
      );
    }
    await loop.send('pause');
  } finally {
    await loop.stop();
  }
  const a = latencySummary(alone);
  const w = latencySummary(withMaint);
  const ratio = round(w.p99Ms / a.p99Ms, 2);
  const passes = loop.passes.filter((p) => !p.error);
  const retried = (xs: number[]) => xs.filter((x) => x > 1).length;
  const passSummary = {
    passes: loop.passes.length,
    failed: loop.passes.filter((p) => p.error).slice(0, 3),
    skipped: passes.filter((p) => p.skipped).length,
    medianPassMs: Math.round(
      quantile(
        passes.map((p) => p.wallMs),
        0.5,
      ),
    ),
    groupsCommitted: passes.reduce((s, p) => s + (p.groups?.committed ?? 0), 0),
    groupsGaveUp: passes.reduce((s, p) => s + (p.groups?.gaveUp ?? 0), 0),
    snapshotsExpired: passes.reduce((s, p) => s + (p.expired ?? 0), 0),
    problems: [...new Set(passes.flatMap((p) => p.problems ?? []))].slice(0, 5),
  };
  log(`  alone: ${JSON.stringify(a)}, ${retried(attemptsAlone)} commits retried`);
  log(`  with maintenance: ${JSON.stringify(w)}, ${retried(attemptsWith)} commits retried${Object.keys(lostTo).length > 0 ? ` (built again on: ${JSON.stringify(lostTo)})` : ''}`);
  log(`  maintenance: ${JSON.stringify(passSummary)}`);
  log(`  commit p99 ratio ${ratio} (with / alone)`);
  Object.assign(result, {
    commit_p99_ratio: ratio,
    commit_under_maintenance: {
      intervalMs: cfg.intervalMs,
      rowsPerCommit: rows,
      alone: { ...a, retried: retried(attemptsAlone) },
      withMaintenance: { ...w, retried: retried(attemptsWith), retriedAfter: lostTo },
      maintenance: passSummary,
    },
  });
}

// ---- 7: commit latency over a long series ---------------------------------------------------
async function latencyGrowth(dir: string, result: Record<string, unknown>): Promise<void> {
  const catalog = openCatalog(dir);
  const id = tableId(GROWTH);
  const name = `${NAMESPACE}.${GROWTH}`;
  const { spec } = buildPartitionSpec(eventSchema, ['bucket(4, user_id)']);
  // files stop being "small" at 8 MiB, so each pass stitches the new files, not the whole table again
  await catalog.createTable(id, { schema: eventSchema, partitionSpec: spec, properties: createdTableProperties({ 'write.target-file-size-bytes': String(8 * 2 ** 20) }) });
  const table = await catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const io = fileIOFor(table.metadata.location, table.config);
  const batch = new PartitionedBatch(name, schema, defaultSpec(table.metadata));
  for (const r of generateEvents(100, 9000)) batch.append(r);
  const templates = await writeDataFiles(table, schema, spec, batch.drain(), { io });
  const copy = (f: DataFile): DataFile => {
    const dst = `${f['file-path'].slice(0, f['file-path'].lastIndexOf('/'))}/${crypto.randomUUID()}.parquet`;
    fs.copyFileSync(localPath(f['file-path']), localPath(dst));
    return { ...f, 'file-path': dst };
  };
  const total = cfg.growthCommits;
  log(
    `commit latency growth: ${total} commits back to back (${templates.length} small files each, copied from a template), maintain() (stitch + expiry down to 10 snapshots; no orphan scan) every ${cfg.maintainEvery} commits between them`,
  );
  const lat: number[] = [];
  const passMs: number[] = [];
  let offset = 0n;
  const w0 = performance.now();
  for (let i = 0; i < total; i++) {
    const files = templates.map(copy);
    const from = offset;
    offset += 100n;
    const t0 = performance.now();
    await commitBatch({ connector: 'bench', catalog, table: id, files, ranges: [{ topic: 'events', partition: 0, from, to: offset }], io, specId: spec['spec-id'] });
    lat.push(performance.now() - t0);
    if ((i + 1) % cfg.maintainEvery === 0) {
      const p0 = performance.now();
      await maintain(catalog, name, { printPlan: false, orphans: false, maxSnapshotAgeMs: 0, minSnapshotsToKeep: 10, out: () => undefined });
      passMs.push(performance.now() - p0);
    }
    if ((i + 1) % Math.max(1, Math.round(total / 10)) === 0) {
      const last = lat.slice(-Math.max(1, Math.round(total / 10)));
      log(`  ${i + 1}/${total}: median ${ms(quantile(last, 0.5))} ms, p99 ${ms(quantile(last, 0.99))} ms over the last ${last.length}; ${round((performance.now() - w0) / 1000, 1)} s`);
    }
  }
  for (const f of templates) await io.delete(f['file-path']);
  const win = Math.min(100, Math.max(1, Math.floor(total / 10)));
  const first = lat.slice(0, win);
  const last = lat.slice(-win);
  const growth = round(quantile(last, 0.5) / quantile(first, 0.5), 2);
  const end = await catalog.loadTable(id);
  const live = await liveDataFiles(catalog, GROWTH);
  const deciles = Array.from({ length: 10 }, (_, d) => ms(quantile(lat.slice(Math.floor((d * total) / 10), Math.floor(((d + 1) * total) / 10)), 0.5)));
  const g = {
    window: win,
    first: latencySummary(first),
    last: latencySummary(last),
    medianByDecileMs: deciles,
    maintenancePasses: passMs.length,
    medianPassMs: Math.round(quantile(passMs, 0.5)),
    endSnapshots: end.metadata.snapshots?.length ?? 0,
    endMetadataBytes: fs.statSync(localPath(end.metadataLocation)).size,
    endLiveDataFiles: live.files,
    seconds: round((performance.now() - w0) / 1000, 1),
  };
  log(`  first ${win}: ${JSON.stringify(g.first)}; last ${win}: ${JSON.stringify(g.last)}`);
  log(`  median by decile (ms): ${deciles.join(' ')}; at the end ${g.endSnapshots} snapshots, metadata file ${g.endMetadataBytes} B, ${g.endLiveDataFiles} live data files`);
  log(`  commit latency growth ${growth}× (median of the last ${win} / the first ${win})`);
  Object.assign(result, { commit_count: total, commit_latency_growth: growth, commit_growth: g });
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine: ReturnType<typeof machineInfo> & { loadavgStart: number[]; loadavgEnd?: number[] } = { ...machineInfo(), loadavgStart: load() };
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.platform}`);
  log(`load average at start: ${machine.loadavgStart.join(' ')} (a shared machine: wall-clock figures under load are preliminary)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-maintain-'));
  const python = findPython();
  log(`work dir ${dir} (embedded SQLite catalog, local disk); DuckDB through ${python ?? '(no python found)'}`);
  const result: Record<string, unknown> = { bench: 'maintain', machine, config: cfg, mb: '1e6 bytes; per CPU-second = process.cpuUsage() (user + system, all threads) of the process doing the work' };
  try {
    await openCatalog(dir).createNamespace([NAMESPACE]);
    if (cfg.only.includes('compaction')) await compaction(dir, python, result);
    if (cfg.only.includes('latency')) await commitLatency(dir, result);
    if (cfg.only.includes('growth')) await latencyGrowth(dir, result);
  } finally {
    const bytes = fs.existsSync(dir) ? dirBytes(dir) : 0;
    result.workDirMB = round(bytes / 1e6, 1);
    if (cfg.keep) log(`kept ${dir} (${result.workDirMB} MB)`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }

  const r = result as Record<string, any>;
  const verdict = (value: number | null | undefined, met: boolean | null, target: string, note?: string) => ({
    target,
    value: value ?? null,
    verdict: met === null ? 'not measured' : met ? 'met' : 'missed',
    ...(note ? { note } : {}),
  });
  const targets: Record<string, ReturnType<typeof verdict>> = {
    files_after: verdict(r.files_after, r.files_before > 0 ? r.files_after <= r.files_before / 100 : null, `at most 1 % of files_before (${r.files_before / 100})`),
    stitch_mb_per_s: verdict(
      r.stitch_mb_per_s,
      r.stitch_mb_per_s == null ? null : r.stitch_mb_per_s >= 200,
      '>= 200 MB of input per CPU-second (one stitchSmallFiles run, commits included)',
      `stitching alone (no commits): ${r.stitch_only_mb_per_s} MB/s per CPU-second`,
    ),
    scan_speedup: verdict(r.scan_speedup, r.scan_speedup == null ? null : r.scan_speedup >= 5, '>= 5× (DuckDB full scan before / after)', r.scan_note),
    commit_p99_ratio: verdict(r.commit_p99_ratio, Number.isFinite(r.commit_p99_ratio) ? r.commit_p99_ratio <= 1.1 : null, '<= 1.10 (commit p99 with maintenance passes / alone)'),
    commit_latency_growth: verdict(
      r.commit_latency_growth,
      Number.isFinite(r.commit_latency_growth) ? r.commit_latency_growth <= 1.5 : null,
      '<= 1.5× (last commits vs first, with expiry)',
      r.commit_count < 20_000 ? `${r.commit_count} commits; the issue asks 20,000 (--full)` : undefined,
    ),
  };
  if (quick) for (const t of Object.values(targets)) t.note = `--quick smoke run, too small to judge${t.note ? `; ${t.note}` : ''}`;
  result.targets = targets;
  machine.loadavgEnd = load();
  result.seconds = round((performance.now() - started) / 1000, 1);
  result.benchPeakRssMB = memoryMB().hwm;
  for (const [k, t] of Object.entries(targets)) log(`target ${k}: ${t.verdict.toUpperCase()} (${t.value ?? '-'}; ${t.target})${t.note ? ` — ${t.note}` : ''}`);
  log(`load average at end: ${machine.loadavgEnd.join(' ')}; ${result.seconds} s in all`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
