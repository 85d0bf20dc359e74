// Snapshot expiry on real files, over randomized histories (embedded SQLite catalog): appends,
// stitch compactions (replace snapshots), connector commits, branches and tags on older
// snapshots, rollbacks of main; then expireSnapshots with random settings. After each run:
// every file a kept snapshot references (manifest list, manifests, data files) still exists,
// every file only expired snapshots referenced is gone, and the connector's offsets resolve the
// same. Seeded and reproducible: FLOE_EXPIRE_FILES_SEED=<n> replays one history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { LoadedTable } from '../../src/catalog/catalog.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { readManifest } from '../../src/iceberg/manifest.ts';
import { readManifestList } from '../../src/iceberg/manifest-list.ts';
import { refSnapshotId } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import type { FileIO } from '../../src/io/file-io.ts';
import { compactTable } from '../../src/maintenance/compact-table.ts';
import { expireSnapshots } from '../../src/maintenance/expire-snapshots.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { rng } from '../helpers/rng.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'k', required: true, type: 'string' },
  ],
};

/** Every file the snapshots reference: manifest lists, manifests, data files (any entry status). */
async function filesOf(io: FileIO, table: LoadedTable, ids?: Set<bigint>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const s of table.metadata.snapshots ?? []) {
    if (ids && !ids.has(s['snapshot-id'])) continue;
    out.add(s['manifest-list']);
    for (const m of readManifestList(await io.read(s['manifest-list']))) {
      out.add(m.manifestPath);
      for (const e of readManifest(await io.read(m.manifestPath)).entries) if (e.status !== 2) out.add(e.dataFile['file-path']);
    }
  }
  return out;
}

async function history(seed: number): Promise<void> {
  const random = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-expire-random-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const id = { namespace: ['r'], name: 't' };
  await catalog.createNamespace(['r']);
  await catalog.createTable(id, { schema, partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'k', transform: 'identity' }] } });
  let n = 0;
  let offset = 0n;
  const steps = 8 + Math.floor(random() * 10);
  for (let i = 0; i < steps; i++) {
    const r = random();
    const table = await catalog.loadTable(id);
    const snapshots = table.metadata.snapshots ?? [];
    if (r < 0.4 || snapshots.length === 0) {
      await appendRecords(
        catalog,
        id,
        Array.from({ length: 3 }, () => ({ id: BigInt(n), k: `k${n++ % 2}` })),
      );
    } else if (r < 0.55) {
      const to = offset + BigInt(1 + Math.floor(random() * 5));
      await commitBatch({ connector: 'c', catalog, table: id, files: [], ranges: [{ topic: 't', partition: 0, from: offset, to }] });
      offset = to;
    } else if (r < 0.65) {
      await compactTable(catalog, id, { mode: 'stitch' });
    } else if (r < 0.8) {
      const type = random() < 0.5 ? 'branch' : 'tag';
      const target = pick(snapshots)['snapshot-id'];
      const ref: Record<string, unknown> = {};
      if (random() < 0.5) ref['max-ref-age-ms'] = Math.floor(random() * 2000);
      if (type === 'branch' && random() < 0.5) ref['min-snapshots-to-keep'] = 1 + Math.floor(random() * 3);
      await catalog.commitTable(id, [], [{ action: 'set-snapshot-ref', 'ref-name': `${type}${i}`, type, 'snapshot-id': target, ...ref }]);
    } else if (r < 0.87) {
      // roll main back to one of its ancestors (the connector then holds offsets past main: its floor)
      const main = refSnapshotId(table.metadata, 'main');
      const parent = snapshots.find((s) => s['snapshot-id'] === main)?.['parent-snapshot-id'];
      if (parent !== undefined) await catalog.commitTable(id, [], [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': parent }]);
    } else {
      await new Promise((res) => setTimeout(res, 20 + Math.floor(random() * 200)));
    }
  }
  const before = await catalog.loadTable(id);
  const io = fileIOFor(before.metadata.location);
  let offsetsBefore: string;
  try {
    offsetsBefore = formatOffsets(resolveOffsets(before.metadata, 'c').offsets);
  } catch (err) {
    offsetsBefore = `unknown: ${(err as Error).name}`;
  }
  const all = await filesOf(io, before);
  const span = Date.now() - Math.min(...(before.metadata.snapshots ?? []).map((s) => s['timestamp-ms']));
  const report = await expireSnapshots(catalog, id, { maxSnapshotAgeMs: Math.floor(random() * (span + 100)), minSnapshotsToKeep: 1 + Math.floor(random() * 2) });
  const after = await catalog.loadTable(id);
  const kept = await filesOf(io, after);
  const why = `seed ${seed} (FLOE_EXPIRE_FILES_SEED=${seed}): expired ${report.expiredSnapshots.length} of ${before.metadata.snapshots?.length}`;
  for (const f of kept) assert.ok(await io.exists(f), `${why}: a kept snapshot's file is gone: ${f}`);
  for (const f of all) if (!kept.has(f) && (await io.exists(f))) assert.fail(`${why}: ${f} was reachable only from expired snapshots and is still there`);
  let offsetsAfter: string;
  try {
    offsetsAfter = formatOffsets(resolveOffsets(after.metadata, 'c').offsets);
  } catch (err) {
    offsetsAfter = `unknown: ${(err as Error).name}`;
  }
  if (!offsetsBefore.startsWith('unknown') && offsetsBefore !== '{}') assert.equal(offsetsAfter, offsetsBefore, `${why}: the connector's offsets changed`);
  await catalog.close?.();
  fs.rmSync(dir, { recursive: true, force: true });
}

test('expiry over randomized histories with branches, tags, rollbacks and compactions: kept snapshots keep every file, expired-only files go, offsets resolve the same', async () => {
  const one = process.env.FLOE_EXPIRE_FILES_SEED;
  const seeds = one !== undefined ? [Number(one)] : Array.from({ length: Number(process.env.FLOE_EXPIRE_FILES_HISTORIES ?? 25) }, (_, i) => 1000 + i * 7919);
  for (const seed of seeds) await history(seed);
});
