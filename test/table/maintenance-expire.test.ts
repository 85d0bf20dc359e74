// Snapshot expiry (src/maintenance/expire-snapshots.ts) on the embedded catalog: a history of
// two connectors' commits, other engines' appends and a delete, a tag and a branch; expired with
// a `now` in the future. The kept snapshots read back whole, the files only expired snapshots
// reached are gone, each connector's offsets resolve to the same map, a dry run lists exactly
// what the real run deletes, and a concurrent append makes the expiry plan again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { Catalog, TableIdentifier } from '../../src/catalog/catalog.ts';
import { appendFiles } from '../../src/commit/append.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { DELETED, EXISTING, manifestSummary, readManifest, writeManifest } from '../../src/iceberg/manifest.ts';
import type { ManifestEntry } from '../../src/iceberg/manifest.ts';
import { newManifestFile, readManifestList, writeManifestList } from '../../src/iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import { partitionType } from '../../src/iceberg/partition-spec.ts';
import { newSnapshotId } from '../../src/iceberg/snapshot-summary.ts';
import type { Snapshot, TableMetadata } from '../../src/iceberg/table-metadata.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { FileIO } from '../../src/io/file-io.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { expireSnapshots } from '../../src/maintenance/expire-snapshots.ts';
import type { ExpireReport } from '../../src/maintenance/expire-snapshots.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { writeDataFiles } from '../../src/writer/fanout-writer.ts';

const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'offset', required: true, type: 'long' }] };
const id: TableIdentifier = { namespace: ['k'], name: 't' };
const DAY = 24 * 60 * 60 * 1000;

async function setup(properties: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-expire-'));
  const mk = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const catalog = mk();
  await catalog.createNamespace(['k']);
  const table = await catalog.createTable(id, { schema, properties });
  return { dir, catalog, mk, io: fileIOFor(table.metadata.location, table.config) };
}

async function files(catalog: Catalog, from: number, to: number) {
  const table = await catalog.loadTable(id);
  const batch = new PartitionedBatch('k.t', currentSchema(table.metadata), defaultSpec(table.metadata));
  for (let o = from; o < to; o++) batch.append({ offset: BigInt(o) });
  return writeDataFiles(table, currentSchema(table.metadata), defaultSpec(table.metadata), batch.drain());
}

const range = (topic: string, from: number, to: number) => ({ topic, partition: 0, from: BigInt(from), to: BigInt(to) });

/** Another engine deletes whole data files: one manifest, the rest EXISTING, the victims DELETED. */
async function deleteDataFiles(catalog: Catalog, io: FileIO, victims: Set<string>): Promise<Snapshot> {
  const table = await catalog.loadTable(id);
  const m = table.metadata;
  const parent = currentSnapshot(m)!;
  const snapshotId = newSnapshotId();
  const entries: ManifestEntry[] = [];
  for (const mf of readManifestList(await io.read(parent['manifest-list']))) {
    const { entries: es } = readManifest(await io.read(mf.manifestPath), { inherit: { snapshotId: mf.addedSnapshotId, sequenceNumber: mf.sequenceNumber ?? 0 } });
    for (const e of es) {
      if (e.status === DELETED) continue;
      entries.push(victims.has(e.dataFile['file-path']) ? { ...e, status: DELETED, snapshotId } : { ...e, status: EXISTING });
    }
  }
  const spec = defaultSpec(m);
  const pType = partitionType(spec, currentSchema(m));
  const bytes = writeManifest({ schema: currentSchema(m), spec, partitionType: pType, entries, formatVersion: 2 });
  const manifestPath = `${m.location}/metadata/${crypto.randomUUID()}-del.avro`;
  await io.write(manifestPath, bytes);
  const manifest = newManifestFile({ path: manifestPath, length: bytes.length, specId: spec['spec-id'], snapshotId, summary: manifestSummary(entries, pType) });
  const sequenceNumber = m['last-sequence-number'] + 1;
  const listPath = `${m.location}/metadata/snap-${snapshotId}-del.avro`;
  await io.write(listPath, writeManifestList({ snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, manifests: [manifest] }));
  const snapshot: Snapshot = {
    'snapshot-id': snapshotId,
    'parent-snapshot-id': parent['snapshot-id'],
    'sequence-number': sequenceNumber,
    'timestamp-ms': Date.now(),
    'manifest-list': listPath,
    summary: { operation: 'delete' },
  };
  await catalog.commitTable(
    id,
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent['snapshot-id'] }],
    [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
    ],
  );
  return snapshot;
}

/** What a snapshot reaches: its manifest list, its manifests, its files (live ones apart). */
async function reach(io: FileIO, s: Snapshot) {
  const manifests: string[] = [];
  const live: string[] = [];
  const all: string[] = [];
  for (const mf of readManifestList(await io.read(s['manifest-list']))) {
    manifests.push(mf.manifestPath);
    for (const e of readManifest(await io.read(mf.manifestPath)).entries) {
      all.push(e.dataFile['file-path']);
      if (e.status !== DELETED) live.push(e.dataFile['file-path']);
    }
  }
  return { list: s['manifest-list'], manifests, live, all };
}

/** The rows a snapshot reads (the offset column, sorted), from its live Parquet files. */
async function rowsOf(io: FileIO, s: Snapshot): Promise<number[]> {
  const out: number[] = [];
  for (const f of (await reach(io, s)).live) {
    const t = arrow.tableFromIPC(pw.readParquet(await io.read(f)).intoIPCStream());
    for (const r of t) out.push(Number((r!.toJSON() as { offset: bigint }).offset));
  }
  return out.sort((a, b) => a - b);
}

const exists = (p: string) => fs.existsSync(new URL(p));
const offsetsOf = (m: TableMetadata, c: string) => {
  const r = resolveOffsets(m, c);
  return { source: r.source, snapshotId: r.snapshotId, offsets: formatOffsets(r.offsets) };
};
const allPaths = (r: ExpireReport) => [...r.files.manifestLists, ...r.files.manifests, ...r.files.dataFiles, ...r.files.deleteFiles].map((f) => f.path).sort();

/**
 * s1 c1 · s2 c2 · s3 c1 · s4 other engine · s5 other engine · s6 a delete (of s5's file and one
 * of s1's) · s7 c2 · s8 other engine. Tag v1 at s2; branch audit at s4 keeping 2 snapshots.
 * Manifests merge from 3 on, so old manifests fall out of main.
 */
async function history() {
  const env = await setup({ 'commit.manifest.min-count-to-merge': '3' });
  const { catalog, io } = env;
  const s: Snapshot[] = [];
  s.push((await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range('a', 0, 10)] })).snapshot);
  s.push((await commitBatch({ connector: 'c2', catalog, table: id, files: await files(catalog, 100, 105), ranges: [range('b', 0, 5)] })).snapshot);
  s.push((await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 10, 20), ranges: [range('a', 10, 20)] })).snapshot);
  s.push((await appendFiles(catalog, id, await files(catalog, 1000, 1003))).snapshot);
  const fifth = await files(catalog, 2000, 2004);
  s.push((await appendFiles(catalog, id, fifth)).snapshot);
  const firstFile = (await reach(io, s[0])).live[0];
  s.push(await deleteDataFiles(catalog, io, new Set([fifth[0]['file-path'], firstFile])));
  s.push((await commitBatch({ connector: 'c2', catalog, table: id, files: await files(catalog, 105, 108), ranges: [range('b', 5, 8)] })).snapshot);
  s.push((await appendFiles(catalog, id, await files(catalog, 3000, 3001))).snapshot);
  await catalog.commitTable(
    id,
    [],
    [
      { action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': s[1]['snapshot-id'] },
      { action: 'set-snapshot-ref', 'ref-name': 'audit', type: 'branch', 'snapshot-id': s[3]['snapshot-id'], 'min-snapshots-to-keep': 2 },
    ],
  );
  return { ...env, s, onlyExpired: new Set([fifth[0]['file-path']]), deletedButTagged: firstFile };
}

test('expiry keeps what refs and offsets need, deletes exactly what only expired snapshots reached, and a dry run lists it first', async () => {
  const { catalog, io, s, onlyExpired, deletedButTagged } = await history();
  const before = (await catalog.loadTable(id)).metadata;
  const now = Date.now() + 10 * DAY;
  const rowsBefore = new Map<bigint, number[]>();
  for (const snap of s) rowsBefore.set(snap['snapshot-id'], await rowsOf(io, snap));
  const reachBefore = new Map<bigint, Awaited<ReturnType<typeof reach>>>();
  for (const snap of s) reachBefore.set(snap['snapshot-id'], await reach(io, snap));

  const dry = await expireSnapshots(catalog, id, { now, dryRun: true });
  const n = (i: number) => s[i - 1]['snapshot-id'];
  // kept: s8 (main), s7 (both connectors' offsets), s2 (tag v1), s4 and s3 (branch audit keeps 2)
  assert.deepEqual(dry.expiredSnapshots, [n(1), n(5), n(6)]);
  assert.deepEqual(dry.removedRefs, []);
  assert.equal(dry.plan.keep.get(n(7)), 'offsets');
  assert.deepEqual(dry.plan.keptForOffsets.get(n(7)), ['c1', 'c2']);
  assert.equal(dry.committed, false);
  assert.deepEqual(dry.deleted, { manifestLists: 0, manifests: 0, dataFiles: 0, deleteFiles: 0, bytes: 0 });
  const listed = allPaths(dry);
  assert.ok(listed.length > 0);
  for (const p of listed) assert.ok(exists(p), `the dry run deleted nothing: ${p}`);
  assert.equal((await catalog.loadTable(id)).metadata.snapshots!.length, 8, 'and committed nothing');

  // What the files should be, computed here from the snapshots' reach.
  const expired = [1, 5, 6].map((i) => reachBefore.get(n(i))!);
  const kept = [2, 3, 4, 7, 8].map((i) => reachBefore.get(n(i))!);
  const keptLists = new Set(kept.map((r) => r.list));
  const keptManifests = new Set(kept.flatMap((r) => r.manifests));
  const keptLive = new Set(kept.flatMap((r) => r.live));
  const expectManifests = [...new Set(expired.flatMap((r) => r.manifests))].filter((m) => !keptManifests.has(m));
  assert.deepEqual(
    dry.files.manifestLists.map((f) => f.path).sort(),
    expired
      .map((r) => r.list)
      .filter((l) => !keptLists.has(l))
      .sort(),
  );
  assert.deepEqual(dry.files.manifests.map((f) => f.path).sort(), expectManifests.sort());
  assert.ok(expectManifests.length > 0, 'merged manifests left some behind');
  assert.deepEqual(dry.files.dataFiles.map((f) => f.path).sort(), [...onlyExpired].sort(), 'the deleted file only s5 and s6 reached goes, the one tag v1 still reads stays');
  assert.ok(keptLive.has(deletedButTagged));
  assert.deepEqual(dry.files.deleteFiles, []);

  const real = await expireSnapshots(catalog, id, { now });
  assert.equal(real.committed, true);
  assert.equal(real.attempts, 1);
  assert.deepEqual(real.expiredSnapshots, dry.expiredSnapshots);
  assert.deepEqual(allPaths(real), listed, 'the real run deletes exactly what the dry run listed');
  assert.deepEqual(real.failed, []);
  assert.equal(real.deleted.manifestLists, 3);
  assert.equal(real.deleted.manifests, expectManifests.length);
  assert.equal(real.deleted.dataFiles, 1);
  const bytes = [...real.files.manifestLists, ...real.files.manifests, ...real.files.dataFiles].reduce((a, f) => a + f.bytes, 0);
  assert.equal(real.deleted.bytes, bytes);
  for (const p of listed) assert.equal(exists(p), false, `deleted: ${p}`);

  const after = (await catalog.loadTable(id)).metadata;
  assert.deepEqual(after.snapshots!.map((x) => x['snapshot-id']).sort(), [2, 3, 4, 7, 8].map(n).sort());
  assert.deepEqual(Object.keys(after.refs!).sort(), ['audit', 'main', 'v1']);
  for (const i of [2, 3, 4, 7, 8]) {
    const snap = after.snapshots!.find((x) => x['snapshot-id'] === n(i))!;
    const r = await reach(io, snap);
    for (const p of [r.list, ...r.manifests, ...r.live]) assert.ok(exists(p), `kept snapshot s${i} still has ${p}`);
    assert.deepEqual(await rowsOf(io, snap), rowsBefore.get(n(i)), `kept snapshot s${i} reads the same rows`);
  }
  for (const c of ['c1', 'c2']) {
    assert.deepEqual(offsetsOf(after, c), offsetsOf(before, c), `connector ${c}'s offsets resolve the same`);
    assert.equal(offsetsOf(after, c).source, 'ancestry');
  }

  // nothing left to do: no commit
  const again = await expireSnapshots(catalog, id, { now });
  assert.equal(again.committed, false);
  assert.deepEqual(again.expiredSnapshots, []);
  assert.deepEqual(allPaths(again), []);
});

test('an expired tag goes with its snapshot; main is never removed', async () => {
  const { catalog, io, s } = await history();
  await catalog.commitTable(id, [], [{ action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': s[1]['snapshot-id'], 'max-ref-age-ms': DAY }]);
  const r = await expireSnapshots(catalog, id, { now: Date.now() + 10 * DAY, maxRefAgeMs: 0 });
  assert.deepEqual(r.removedRefs, ['audit', 'v1'], 'the table-wide max ref age 0 removes every ref but main');
  const after = (await catalog.loadTable(id)).metadata;
  assert.deepEqual(Object.keys(after.refs!), ['main']);
  // main's head and the connectors' path remain
  assert.deepEqual(after.snapshots!.map((x) => x['snapshot-id']).sort(), [s[6], s[7]].map((x) => x['snapshot-id']).sort());
  for (const x of after.snapshots!) assert.ok((await rowsOf(io, x)).length > 0);
});

test('a concurrent append makes the expiry plan again on the new head, and keeps the new snapshot', async () => {
  const { catalog, mk, s } = await history();
  const other = mk();
  let raced = false;
  const racing: Catalog = Object.create(catalog);
  racing.commitTable = async (tid, requirements, updates) => {
    if (!raced) {
      raced = true;
      await commitBatch({ connector: 'c1', catalog: other, table: id, files: await files(other, 20, 25), ranges: [range('a', 20, 25)] });
    }
    return catalog.commitTable(tid, requirements, updates);
  };
  const now = Date.now() + 10 * DAY;
  const r = await expireSnapshots(racing, id, { now });
  assert.equal(r.attempts, 2);
  const after = (await catalog.loadTable(id)).metadata;
  const newHead = currentSnapshot(after)!;
  assert.equal(newHead['parent-snapshot-id'], s[7]['snapshot-id'], 'the append landed on s8');
  // now the newest floe snapshot is the new head: s7 and s8 are no longer needed for offsets
  assert.ok(r.expiredSnapshots.includes(s[6]['snapshot-id']) && r.expiredSnapshots.includes(s[7]['snapshot-id']));
  assert.ok(after.snapshots!.some((x) => x['snapshot-id'] === newHead['snapshot-id']));
  assert.equal(formatOffsets(resolveOffsets(after, 'c1').offsets), '{"a":{"0":25}}');
  assert.equal(formatOffsets(resolveOffsets(after, 'c2').offsets), '{"b":{"0":8}}');
});

test('gc.enabled=false: snapshots expire, files stay', async () => {
  const { catalog, s } = await history();
  await catalog.commitTable(id, [], [{ action: 'set-properties', updates: { 'gc.enabled': 'false' } }]);
  const r = await expireSnapshots(catalog, id, { now: Date.now() + 10 * DAY });
  assert.equal(r.committed, true);
  assert.match(r.filesKept ?? '', /gc\.enabled/);
  assert.deepEqual(allPaths(r), []);
  assert.ok(exists(s[0]['manifest-list']));
});
