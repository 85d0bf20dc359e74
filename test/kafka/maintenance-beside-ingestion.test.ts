// Maintenance beside ingestion: a connector lands a steady stream while `floe maintain` passes
// (stitch compaction, expiry of snapshots older than 4 s but the connector's offsets snapshot) run every couple of
// seconds; both are SIGKILLed at random moments and restarted. Judged by PyIceberg: every
// (partition, offset) exactly once; every maintenance snapshot carries the connector's offsets
// map unchanged; after a last clean pass and orphan cleanup the table still reads the same.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import type { TableMetadata } from '../../src/iceberg/table-metadata.ts';
import { offsetsKey } from '../../src/commit/offsets-map.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { removeOrphanFiles } from '../../src/maintenance/orphan-files.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { assertExactlyOnce, FloeProcess, newScenario, produce, waitCovered } from './foreign-harness.ts';
import { kafkaClients, sleep } from './helpers.ts';

const kafka = kafkaClients();
const repo = path.resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/**
 * Every maintenance snapshot whose history is still there carries the connector's map as its
 * parent's history held it. Returns how many were checked.
 */
function checkMaintenanceSnapshots(metadata: TableMetadata, seen: Set<bigint>): number {
  const byId = new Map((metadata.snapshots ?? []).map((x) => [x['snapshot-id'], x]));
  let checked = 0;
  for (const snap of metadata.snapshots ?? []) {
    if (snap.summary['floe.maintenance.action'] === undefined || seen.has(snap['snapshot-id'])) continue;
    let below = snap['parent-snapshot-id'] === undefined ? undefined : byId.get(snap['parent-snapshot-id']);
    while (below && below.summary[offsetsKey('fw')] === undefined) below = below['parent-snapshot-id'] === undefined ? undefined : byId.get(below['parent-snapshot-id']);
    if (!below) continue;
    assert.equal(snap.summary[offsetsKey('fw')], below.summary[offsetsKey('fw')], `maintenance snapshot ${snap['snapshot-id']} changed the offsets map`);
    seen.add(snap['snapshot-id']);
    checked++;
  }
  return checked;
}

function maintainPass(configFile: string, table: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'maintain', table, '-c', configFile, '--max-snapshot-age-ms', '4000', '--target-file-size', String(4 * 1024 * 1024)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, done: new Promise((r) => child.once('exit', (code) => r({ code, out }))) };
}

test('a connector ingesting while maintenance passes run every few seconds, both SIGKILLed at random: every record once, offsets unchanged by maintenance', async () => {
  const s = await newScenario(kafka, 'fw-maint', { kind: 'sql' });
  const p = new FloeProcess(s).start();
  const cfg = s.files.get('fw')!;
  await produce(s, 200);
  await waitCovered(s, [p]);

  const deadline = Date.now() + 25_000;
  let passes = 0;
  let completed = 0;
  let killedPasses = 0;
  let connectorKills = 0;
  const completedOutputs: string[] = [];
  const seen = new Set<bigint>();
  let checked = 0;
  const producing = (async () => {
    while (Date.now() < deadline) {
      await produce(s, 150);
      await sleep(250);
    }
  })();
  while (Date.now() < deadline) {
    const pass = maintainPass(cfg, s.table);
    passes++;
    if (Math.random() < 0.35) {
      await sleep(200 + Math.floor(Math.random() * 1500));
      pass.child.kill('SIGKILL');
      killedPasses++;
    }
    const { code, out } = await pass.done;
    checked += checkMaintenanceSnapshots((await s.catalog.loadTable(parseTableName(s.table))).metadata, seen);
    if (code === 0) {
      completed++;
      completedOutputs.push(out);
    } else if (code !== null) assert.fail(`a maintenance pass failed (exit ${code}):\n${out}`);
    if (Math.random() < 0.3) {
      await p.kill();
      connectorKills++;
      await sleep(300);
      p.start();
    }
    await sleep(500 + Math.floor(Math.random() * 1500));
  }
  await producing;
  await waitCovered(s, [p], 'fw', 120_000);
  // a last clean pass, then the connector stops
  const last = maintainPass(cfg, s.table);
  const lastRun = await last.done;
  assert.equal(lastRun.code, 0, lastRun.out);
  await p.stop();
  assert.ok(completed >= 3, `${completed} of ${passes} passes completed (${killedPasses} killed, connector killed ${connectorKills} times)`);
  // A pass beside a busy connector may give a group up (it lost the race twice); the last pass,
  // once the connector has caught up, has no one to race.
  completedOutputs.push(lastRun.out);
  assert.ok(
    completedOutputs.some((o) => /stitched /.test(o)),
    `some pass stitched files (${completed} of ${passes} passes completed):\n${completedOutputs.join('\n')}`,
  );

  const table = await s.catalog.loadTable(parseTableName(s.table));
  checked += checkMaintenanceSnapshots(table.metadata, seen);
  assert.ok(checked >= 1, 'at least one maintenance snapshot was checked against the connector snapshot below it');
  assert.equal(resolveOffsets(table.metadata, 'fw').source, 'ancestry');
  await assertExactlyOnce(s);

  // what the killed passes left (stitched outputs never committed) is orphaned: cleaned, and the table reads the same
  const io = fileIOFor(table.metadata.location);
  const orphans = await removeOrphanFiles(table, { io, olderThanMs: 0, now: () => Date.now() + 1000 });
  const live = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  for (const o of orphans.orphans) assert.ok(!live.data.some((f) => f.dataFile['file-path'] === o.location), `orphan cleanup removed a live file ${o.location}`);
  await assertExactlyOnce(s);
});
