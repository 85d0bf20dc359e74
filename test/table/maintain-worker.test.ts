// `floe maintain -c FILE` as a process on the embedded catalog: the worker maintains one table
// by name and one by pattern every second (and leaves a table the pattern does not match
// alone), compacts each to one file per partition, expires the snapshots compaction replaced,
// counts it all on /metrics (with /healthz and /readyz), logs one line per pass, and on SIGTERM
// exits 0 within its bound with the leases released and no file left that nothing references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { TableIdentifier } from '../../src/catalog/catalog.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { LEASE_PROPERTY, LEASE_REF } from '../../src/maintenance/lease.ts';
import { compactTable } from '../../src/maintenance/compact-table.ts';
import { removeOrphanFiles } from '../../src/maintenance/orphan-files.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../src/cli/maintain-worker.ts';
import { maintain } from '../../src/cli/maintain.ts';
import { tableRows } from '../helpers/table-rows.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'k', required: true, type: 'string' },
    { id: 3, name: 'v', required: false, type: 'double' },
  ],
};
const spec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'k', transform: 'identity' }] };
// as floe creates tables: the catalog deletes metadata files that fall off the log
const properties = { 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '25' };

/** The value of one sample of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('floe maintain -c: a worker compacts a named and a matched table on schedule, counts it on /metrics, and stops cleanly on SIGTERM', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-maintain-worker-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const named: TableIdentifier = { namespace: ['n'], name: 'named' };
  const matched: TableIdentifier = { namespace: ['p'], name: 'matched' };
  const other: TableIdentifier = { namespace: ['q'], name: 'other' };
  for (const id of [named, matched, other]) {
    await catalog.createNamespace(id.namespace);
    await catalog.createTable(id, { schema, partitionSpec: spec, properties });
    let n = 0;
    for (let c = 0; c < 5; c++)
      await appendRecords(
        catalog,
        id,
        Array.from({ length: 30 }, () => ({ id: BigInt(n), k: `k${n % 3}`, v: n++ / 2 })),
      );
  }
  const dataFiles = async (id: TableIdentifier) => {
    const t = await catalog.loadTable(id);
    return (await readSnapshotFiles(fileIOFor(t.metadata.location), currentSnapshot(t.metadata))).data;
  };
  for (const id of [named, matched, other]) assert.equal((await dataFiles(id)).length, 15);
  const otherBefore = (await catalog.loadTable(other)).metadataLocation;

  const file = path.join(dir, 'maintenance.yaml');
  fs.writeFileSync(
    file,
    `catalog: { type: sql, uri: catalog.db, warehouse: . }
metricsPort: auto
tables:
  - name: n.named
    every: 1s
    expire: { maxSnapshotAgeMs: 0 }
  - name: n.missing
    every: 1s
  - pattern: "p\\\\..*"
    every: 1s
    expire: { maxSnapshotAgeMs: 0 }
    orphans: false
`,
  );
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/floe.ts', import.meta.url)), 'maintain', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const url = await until('the metrics URL in the log', 20_000, async () => /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(stdout)?.[1]);
    const tables = { 'n.named': named, 'p.matched': matched };
    // each table compacted to one file per partition, and a pass that did it counted
    const metrics = await until(`both tables compacted and counted (log so far:\n${stdout}${stderr})`, 60_000, async () => {
      for (const id of Object.values(tables)) if ((await dataFiles(id)).length !== 3) return undefined;
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const table of Object.keys(tables)) if (sample(text, 'floe_maintenance_rewritten_files_total', { table, direction: 'out' }) !== 3) return undefined;
      return text;
    });
    for (const table of Object.keys(tables)) {
      assert.ok(sample(metrics, 'floe_maintenance_passes_total', { table, outcome: 'ok' })! >= 1, table);
      assert.equal(sample(metrics, 'floe_maintenance_passes_total', { table, outcome: 'failed' }), undefined, `${table}: no failed pass`);
      assert.equal(sample(metrics, 'floe_maintenance_compaction_groups_total', { table, outcome: 'committed' }), 3);
      assert.equal(sample(metrics, 'floe_maintenance_rewritten_files_total', { table, direction: 'in' }), 15);
      assert.ok(sample(metrics, 'floe_maintenance_rewritten_bytes_total', { table, direction: 'in' })! > 0);
      assert.ok(sample(metrics, 'floe_maintenance_rewritten_bytes_total', { table, direction: 'out' })! > 0);
      assert.ok(sample(metrics, 'floe_maintenance_snapshots_expired_total', { table })! >= 5, `${table}: the appends' snapshots expired`);
      assert.ok(sample(metrics, 'floe_maintenance_files_removed_total', { table, reason: 'expiry' })! >= 15, `${table}: the replaced files deleted`);
      assert.ok(sample(metrics, 'floe_maintenance_removed_bytes_total', { table, reason: 'expiry' })! > 0);
      assert.ok(sample(metrics, 'floe_maintenance_pass_duration_seconds_count', { table, outcome: 'ok' })! >= 1);
      const last = sample(metrics, 'floe_maintenance_last_success_timestamp_seconds', { table })!;
      assert.ok(Math.abs(last - Date.now() / 1000) < 60, `last success ${last}`);
    }
    assert.equal(sample(metrics, 'floe_maintenance_tables'), 3, 'the two tables and the missing one; q.other is not maintained');
    // a table that fails does not stop the worker: counted, logged, tried again
    assert.ok(sample(metrics, 'floe_maintenance_passes_total', { table: 'n.missing', outcome: 'failed' })! >= 1);
    assert.equal(sample(metrics, 'floe_maintenance_last_success_timestamp_seconds', { table: 'n.missing' }), undefined);
    assert.match(stderr, /floe\[maintain\] n\.missing: failed in [\d.]+m?s: .*; next in ~/);
    assert.equal(sample(metrics, 'floe_maintenance_passes_total', { table: 'q.other' }), undefined);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /"catalog":"reached"/);
    assert.match(stdout, /n\.named: ok in [\d.]+m?s: compacted 3 group\(s\), 15 → 3 files/);
    assert.match(stdout, /p\.matched: ok in [\d.]+m?s: compacted 3 group\(s\), 15 → 3 files/);
    assert.match(stdout, /tables\[2\] pattern \/p\\\.\.\*\/: maintaining p\.matched/);
    // let a few more passes run (nothing left to compact) before the signal
    await until('a second pass on each table', 20_000, async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Object.keys(tables).every((table) => sample(text, 'floe_maintenance_passes_total', { table, outcome: 'ok' })! >= 2) ? true : undefined;
    });

    const signalled = Date.now();
    child.kill('SIGTERM');
    const { code } = await exited;
    const took = Date.now() - signalled;
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.ok(took < DEFAULT_STOP_TIMEOUT_MS, `stopped in ${took} ms`);
    assert.match(stdout, /SIGTERM: no new pass starts/);
    assert.match(stdout, /floe\[maintain\] stopped$/m);
    assert.deepEqual(
      stderr.split('\n').filter((l) => l !== '' && !/n\.missing: failed/.test(l)),
      [],
      'nothing else on stderr',
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  for (const id of [named, matched]) {
    const t = await catalog.loadTable(id);
    assert.equal(t.metadata.refs?.[LEASE_REF], undefined, 'the lease tag is gone');
    assert.equal(t.metadata.properties?.[LEASE_PROPERTY], undefined, 'the lease property is gone');
    assert.equal((await dataFiles(id)).length, 3);
    // nothing under the table's location that the table does not reference, no unfinished write
    const leftovers = await removeOrphanFiles(t, { dryRun: true, olderThanMs: 0, now: () => Date.now() + 1000 });
    assert.deepEqual(
      leftovers.orphans.map((f) => f.location),
      [],
    );
    assert.deepEqual(leftovers.unfinished, []);
  }
  assert.equal((await catalog.loadTable(other)).metadataLocation, otherBefore, 'the table the pattern does not match is untouched');
  await catalog.close?.();
});

test('a compaction run stopped between groups commits the groups it finished, in one snapshot, and leaves no file behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-compact-stop-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const id: TableIdentifier = { namespace: ['a'], name: 't' };
  await catalog.createNamespace(['a']);
  await catalog.createTable(id, { schema, partitionSpec: spec, properties });
  let n = 0;
  for (let c = 0; c < 4; c++)
    await appendRecords(
      catalog,
      id,
      Array.from({ length: 30 }, () => ({ id: BigInt(n), k: `k${n % 3}`, v: n++ / 2 })),
    );
  const before = await catalog.loadTable(id);
  let asked = 0;
  const run = await compactTable(catalog, id, { beforeGroup: async () => ++asked <= 2 });
  assert.equal(asked, 3, 'asked before each of the three groups');
  assert.deepEqual(
    run.groups.map((g) => g.status),
    ['committed', 'committed'],
  );
  const [a, b] = run.groups as { snapshot: { 'snapshot-id': bigint } }[];
  assert.equal(a.snapshot['snapshot-id'], b.snapshot['snapshot-id'], 'one snapshot for both');
  const t = await catalog.loadTable(id);
  assert.equal(t.metadata.snapshots!.length, before.metadata.snapshots!.length + 1);
  const head = t.metadata.snapshots!.at(-1)!;
  assert.equal(head.summary['floe.maintenance.groups'], '2');
  assert.equal(head.summary['deleted-data-files'], '8');
  assert.equal(head.summary['added-data-files'], '2');
  assert.equal(head.summary['total-data-files'], '6', 'the third partition keeps its 4 files');
  const rows = (await tableRows(t)).map((r) => Number(r.id)).sort((x, y) => x - y);
  assert.deepEqual(
    rows,
    Array.from({ length: n }, (_, i) => i),
  );
  const leftovers = await removeOrphanFiles(t, { dryRun: true, olderThanMs: 0, now: () => Date.now() + 1000 });
  assert.deepEqual([leftovers.orphans.map((f) => f.location), leftovers.unfinished], [[], []]);
  await catalog.close?.();
});

test('a pass aborted by the signal stops after the running compaction group, releases the lease and leaves no file behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-maintain-abort-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const id: TableIdentifier = { namespace: ['a'], name: 't' };
  await catalog.createNamespace(['a']);
  await catalog.createTable(id, { schema, partitionSpec: spec, properties });
  let n = 0;
  for (let c = 0; c < 4; c++)
    await appendRecords(
      catalog,
      id,
      Array.from({ length: 30 }, () => ({ id: BigInt(n), k: `k${n % 3}`, v: n++ / 2 })),
    );
  const controller = new AbortController();
  const lines: string[] = [];
  const summary = await maintain(catalog, 'a.t', {
    printPlan: false,
    signal: controller.signal,
    maxSnapshotAgeMs: 0,
    commitGroups: 1, // a snapshot per group, so that the first group's line comes before the second starts
    out: (l) => {
      lines.push(l);
      if (l.includes('stitched')) controller.abort(); // SIGTERM while the first group commits
    },
  });
  assert.equal(summary.aborted, true);
  assert.equal(summary.groups.planned, 3);
  assert.equal(summary.groups.committed, 1, lines.join('\n'));
  assert.equal(summary.expired.snapshots, 0, 'expiry did not start');
  assert.match(lines.join('\n'), /stopped: the steps after the one running were not started/);
  const t = await catalog.loadTable(id);
  assert.equal(t.metadata.refs?.[LEASE_REF], undefined);
  assert.equal(t.metadata.properties?.[LEASE_PROPERTY], undefined);
  const leftovers = await removeOrphanFiles(t, { dryRun: true, olderThanMs: 0, now: () => Date.now() + 1000 });
  assert.deepEqual([leftovers.orphans.map((f) => f.location), leftovers.unfinished], [[], []]);
  // aborted before the lease: nothing happens at all
  const before = (await catalog.loadTable(id)).metadataLocation;
  const none = await maintain(catalog, 'a.t', { printPlan: false, signal: AbortSignal.abort(), out: () => undefined });
  assert.equal(none.aborted, true);
  assert.equal((await catalog.loadTable(id)).metadataLocation, before);
  await catalog.close?.();
});
