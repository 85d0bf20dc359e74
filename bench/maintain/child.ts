// Child processes of bench/maintain.bench.ts, each in a fresh Node process so that its CPU time
// and peak RSS are its own (not the table building's):
//
//   node bench/maintain/child.ts stitch <dir>        one stitchSmallFiles run on the small-files
//                                                    table; prints one JSON line
//   node bench/maintain/child.ts compact <dir>       one compactTable run (mode auto, as floe maintain)
//                                                    on the small-files table; prints one JSON line
//   node bench/maintain/child.ts groups <dir> <k>    the first k+1 planned groups of that table,
//                                                    each stitched (loadStitchInputs, stitchDataFiles) and then
//                                                    rewritten (rewrite-compaction.ts) without a
//                                                    commit, outputs deleted; group 0 warms up
//                                                    and is not counted; prints one JSON line
//   node bench/maintain/child.ts loop <dir> [ms]     maintain() passes on the commits table, one
//                                                    every [ms] (default 2000: "every few
//                                                    seconds"), driven by stdin lines "run", "pause",
//                                                    "stop"; answers "running", "paused",
//                                                    "stopped" and one "pass {json}" per pass
import readline from 'node:readline';
import { maintain } from '../../src/cli/maintain.ts';
import { currentSchema, currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import type { DataFile } from '../../src/iceberg/data-file.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { compactTable } from '../../src/maintenance/compact-table.ts';
import { planCompaction } from '../../src/maintenance/compaction-plan.ts';
import { stitchSmallFiles } from '../../src/maintenance/stitch-compaction.ts';
import { InputArena } from '../../src/maintenance/input-arena.ts';
import { KEPT_BYTES, dataFileSources, loadStitchInputs, stitchDataFiles } from '../../src/maintenance/stitch.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { COMMITS, NAMESPACE, SMALL, cpuSecondsSince, memoryMB, openCatalog, resetPeakRss, round, tableId } from './common.ts';
import { lowerPriority } from '../../src/cli/background-priority.ts';
import { DEFAULT_MAINTENANCE_NICE } from '../../src/config/maintenance-config.ts';

const [mode, dir, arg] = process.argv.slice(2);
const say = (o: unknown) => process.stdout.write(`${typeof o === 'string' ? o : JSON.stringify(o)}\n`);

async function stitchRun(): Promise<void> {
  const catalog = openCatalog(dir);
  const id = tableId(SMALL);
  const resetOk = resetPeakRss();
  const rssStart = memoryMB().rss;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const { groups } = await stitchSmallFiles(catalog, id);
  const cpu = process.cpuUsage(c0);
  const cpuS = cpuSecondsSince(c0);
  const wallS = (performance.now() - w0) / 1000;
  const mem = memoryMB();
  const statuses: Record<string, number> = {};
  for (const g of groups) statuses[g.status] = (statuses[g.status] ?? 0) + 1;
  const committed = groups.filter((g) => g.status === 'committed');
  const problems = groups
    .filter((g) => g.status !== 'committed')
    .slice(0, 5)
    .map((g) => {
      const o = g as { status: string; reason?: string; error?: unknown };
      return o.reason ?? (o.error !== undefined ? String((o.error as Error)?.message ?? o.error) : o.status);
    });
  say({
    cpuS: round(cpuS, 3),
    userS: round(cpu.user / 1e6, 3),
    systemS: round(cpu.system / 1e6, 3),
    wallS: round(wallS, 3),
    groups: groups.length,
    statuses,
    problems,
    filesIn: committed.reduce((n, g) => n + g.group.files.length, 0),
    bytesIn: committed.reduce((n, g) => n + g.group.bytes, 0),
    peakRssMB: mem.hwm,
    rssStartMB: rssStart,
    peakRssFromProcessStart: !resetOk,
  });
}

async function groupsRun(): Promise<void> {
  const k = Number(arg ?? 3);
  const catalog = openCatalog(dir);
  const table = await catalog.loadTable(tableId(SMALL));
  const io = fileIOFor(table.metadata.location, table.config);
  const schema = currentSchema(table.metadata);
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  const groups = planCompaction(files.data, { properties: table.metadata.properties }).slice(0, k + 1);
  const outDir = (f: DataFile) => f['file-path'].slice(0, f['file-path'].lastIndexOf('/'));
  const stitchOnly = { groups: 0, files: 0, bytes: 0, cpuS: 0, wallS: 0 };
  const rewrite: { groups: number; files: number; bytes: number; rows: number; cpuS: number; wallS: number; outputs: number; error?: string } = {
    groups: 0,
    files: 0,
    bytes: 0,
    rows: 0,
    cpuS: 0,
    wallS: 0,
    outputs: 0,
  };
  let rewriteDataFiles: typeof import('../../src/maintenance/rewrite-compaction.ts').rewriteDataFiles | undefined;
  try {
    rewriteDataFiles = (await import('../../src/maintenance/rewrite-compaction.ts')).rewriteDataFiles;
    if (typeof rewriteDataFiles !== 'function') throw new Error('src/maintenance/rewrite-compaction.ts exports no rewriteDataFiles function');
  } catch (err) {
    rewrite.error = `could not load the rewrite compaction: ${(err as Error).message}`;
    rewriteDataFiles = undefined;
  }
  const arena = new InputArena(KEPT_BYTES);
  for (const [i, group] of groups.entries()) {
    const counted = i > 0;
    // stitch, not committed
    let c0 = process.cpuUsage();
    let w0 = performance.now();
    // as compactTable does: footers read first (into the run's reused buffer), then the stitch
    const loaded = await loadStitchInputs(io, dataFileSources(group.files), { arena });
    const stitched = await stitchDataFiles(io, schema, group.files, `${outDir(group.files[0])}/bench-stitch-${crypto.randomUUID()}.parquet`, { loaded });
    if (counted) {
      stitchOnly.cpuS += cpuSecondsSince(c0);
      stitchOnly.wallS += (performance.now() - w0) / 1000;
      stitchOnly.groups++;
      stitchOnly.files += group.files.length;
      stitchOnly.bytes += group.bytes;
    }
    await io.delete(stitched.dataFile['file-path']);
    // decode and re-encode, not committed
    if (!rewriteDataFiles || rewrite.error) continue;
    const spec = table.metadata['partition-specs'].find((s) => s['spec-id'] === group.specId)!;
    c0 = process.cpuUsage();
    w0 = performance.now();
    try {
      const out = await rewriteDataFiles(table, io, spec, group.partition, group.files);
      if (counted) {
        rewrite.cpuS += cpuSecondsSince(c0);
        rewrite.wallS += (performance.now() - w0) / 1000;
        rewrite.groups++;
        rewrite.files += group.files.length;
        rewrite.bytes += group.bytes;
        rewrite.rows += out.outputs.reduce((n, f) => n + f['record-count'], 0);
        rewrite.outputs += out.outputs.length;
      }
      for (const f of out.outputs) await io.delete(f['file-path']);
    } catch (err) {
      rewrite.error = `rewriteDataFiles failed: ${(err as Error).message}`;
    }
  }
  say({ stitchOnly, rewrite, peakRssMB: memoryMB().hwm });
}

async function loopRun(): Promise<void> {
  const catalog = openCatalog(dir);
  const name = `${NAMESPACE}.${COMMITS}`;
  const ctl: { want: 'run' | 'pause' | 'stop' } = { want: 'pause' };
  let wake: (() => void) | undefined;
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'run' || cmd === 'pause' || cmd === 'stop') ctl.want = cmd;
    wake?.();
  });
  process.stdin.on('end', () => {
    ctl.want = 'stop';
    wake?.();
  });
  // as the maintenance worker (floe maintain -c) runs by default: below the connector's priority
  lowerPriority(DEFAULT_MAINTENANCE_NICE);
  const everyMs = Number(arg ?? 2000);
  let passes = 0;
  let state: 'running' | 'paused' | undefined;
  while (ctl.want !== 'stop') {
    if (ctl.want === 'pause') {
      if (state !== 'paused') say((state = 'paused'));
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    if (state !== 'running') say((state = 'running'));
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    try {
      // every snapshot but the last 5 may expire (the connector's offsets snapshot is kept anyway)
      const s = await maintain(catalog, name, { printPlan: false, maxSnapshotAgeMs: 0, minSnapshotsToKeep: 5, out: () => undefined });
      passes++;
      say(
        `pass ${JSON.stringify({ n: passes, wallMs: Math.round(performance.now() - w0), cpuMs: Math.round(cpuSecondsSince(c0) * 1000), skipped: s.skipped, groups: s.groups, expired: s.expired.snapshots, problems: s.problems.slice(0, 3) })}`,
      );
    } catch (err) {
      say(`pass ${JSON.stringify({ n: ++passes, error: (err as Error).message })}`);
    }
    // the next pass a few seconds after this one began (a "pause" or "stop" cuts the wait short)
    const left = everyMs - (performance.now() - w0);
    if (left > 0 && ctl.want === 'run') {
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }
  say('stopped');
  await catalog.close?.();
}

/** One compactTable run as `floe maintain` does it (mode auto): files stitched with many small row groups are rewritten. */
async function compactRun(): Promise<void> {
  const catalog = openCatalog(dir);
  const c0 = process.cpuUsage();
  const { groups } = await compactTable(catalog, tableId(SMALL));
  const statuses: Record<string, number> = {};
  for (const g of groups) statuses[`${g.action ?? '-'} ${g.status}`] = (statuses[`${g.action ?? '-'} ${g.status}`] ?? 0) + 1;
  say({ cpuS: round(cpuSecondsSince(c0), 3), groups: groups.length, statuses, bytesIn: groups.reduce((n, g) => n + (g.status === 'committed' ? g.group.bytes : 0), 0), peakRssMB: memoryMB().hwm });
}

if (mode === 'stitch') await stitchRun();
else if (mode === 'compact') await compactRun();
else if (mode === 'groups') await groupsRun();
else if (mode === 'loop') await loopRun();
else throw new Error(`bench/maintain/child.ts: unknown mode ${mode} (stitch, groups, loop)`);
