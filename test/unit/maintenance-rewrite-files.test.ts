// The replace commit of a stitch (src/maintenance/rewrite-files.ts) on the embedded SQL catalog:
// a concurrent append makes it retry once on the new head and commit; a concurrent compaction
// of the same inputs makes it give the group up (typed result) and delete its output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { DELETED } from '../../src/iceberg/manifest.ts';
import { currentSchema, currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { rewriteFiles, rewriteGroups } from '../../src/maintenance/rewrite-files.ts';
import { removeOrphanFiles } from '../../src/maintenance/orphan-files.ts';
import { stitchDataFiles } from '../../src/maintenance/stitch.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
  ],
};

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'floe-rewrite-'));
  const catalog = new SqlCatalog({ name: 'default', uri: join(dir, 'c.db'), warehouse: pathToFileURL(join(dir, 'wh')).href });
  await catalog.createNamespace(['ns']);
  const id = { namespace: ['ns'], name: 't' };
  await catalog.createTable(id, { schema });
  for (let c = 0; c < 3; c++)
    await appendRecords(
      catalog,
      id,
      [0, 1, 2].map((k) => ({ id: BigInt(c * 3 + k), s: `r${c}` })),
    );
  const table = await catalog.loadTable(id);
  const io = fileIOFor(table.metadata.location, table.config);
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  const inputs = files.data.map((f) => f.dataFile);
  const { dataFile } = await stitchDataFiles(io, currentSchema(table.metadata), inputs, `${table.metadata.location}/data/stitched-${crypto.randomUUID()}.parquet`);
  return { dir, catalog, id, io, inputs, output: dataFile, maxSeq: Math.max(...files.data.map((f) => f.sequenceNumber)) };
}

/** A catalog whose first commitTable runs `before` first (another writer wins the race). */
function racing(catalog: Catalog, before: () => Promise<unknown>): Catalog {
  let first = true;
  return new Proxy(catalog, {
    get(target, prop, receiver) {
      if (prop === 'commitTable') {
        return async (...args: Parameters<Catalog['commitTable']>) => {
          if (first) {
            first = false;
            await before();
          }
          return target.commitTable(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test('a concurrent append: retried once on the new head and committed', async () => {
  const s = await setup();
  try {
    const cat = racing(s.catalog, () => appendRecords(s.catalog, s.id, [{ id: 100n, s: 'late' }]));
    const r = await rewriteFiles({ catalog: cat, table: s.id, inputs: s.inputs, outputs: [s.output], specId: 0, runId: 'r1', io: s.io });
    assert.equal(r.status, 'committed');
    if (r.status !== 'committed') return;
    assert.equal(r.attempts, 2);
    assert.equal(r.dataSequenceNumber, s.maxSeq);
    assert.equal(r.snapshot.summary.operation, 'replace');
    assert.equal(r.snapshot.summary['deleted-data-files'], '3');
    assert.equal(r.snapshot.summary['added-data-files'], '1');
    assert.equal(r.snapshot.summary['total-records'], '10');
    assert.equal(r.snapshot.summary['floe.maintenance.files-in'], '3');
    const live = await readSnapshotFiles(s.io, currentSnapshot(r.table.metadata));
    assert.deepEqual(
      live.data.map((f) => f.dataFile['file-path']).sort(),
      [s.output['file-path'], ...live.data.filter((f) => f.dataFile['record-count'] === 1).map((f) => f.dataFile['file-path'])].sort(),
    );
    assert.equal(live.data.find((f) => f.dataFile['file-path'] === s.output['file-path'])!.sequenceNumber, s.maxSeq);
  } finally {
    await s.catalog.close?.();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('inputs compacted by someone else meanwhile: the group is given up and its output deleted', async () => {
  const s = await setup();
  try {
    const other = await stitchDataFiles(s.io, schema, s.inputs, `${s.output['file-path']}.other.parquet`);
    const cat = racing(s.catalog, () => rewriteFiles({ catalog: s.catalog, table: s.id, inputs: s.inputs, outputs: [other.dataFile], specId: 0, runId: 'other', io: s.io }));
    const r = await rewriteFiles({ catalog: cat, table: s.id, inputs: s.inputs, outputs: [s.output], specId: 0, runId: 'r1', io: s.io });
    assert.equal(r.status, 'gave-up');
    assert.match((r as { reason: string }).reason, /no longer live/);
    assert.equal(await s.io.exists(s.output['file-path']), false);
    assert.equal(await s.io.exists(other.dataFile['file-path']), true);
  } finally {
    await s.catalog.close?.();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('groups committed together: one replace snapshot; a group whose inputs went is given up alone, the others land on the retry, no file left over', async () => {
  const s = await setup();
  try {
    await s.io.delete(s.output['file-path']); // not used here
    const location = (await s.catalog.loadTable(s.id)).metadata.location;
    const a = await stitchDataFiles(s.io, schema, s.inputs.slice(0, 2), `${location}/data/a-${crypto.randomUUID()}.parquet`);
    const b = await stitchDataFiles(s.io, schema, s.inputs.slice(2), `${location}/data/b-${crypto.randomUUID()}.parquet`);
    const other = await stitchDataFiles(s.io, schema, s.inputs.slice(2), `${location}/data/other-${crypto.randomUUID()}.parquet`);
    // another maintenance run replaces group b's input first, and a writer appends
    const cat = racing(s.catalog, async () => {
      await rewriteFiles({ catalog: s.catalog, table: s.id, inputs: s.inputs.slice(2), outputs: [other.dataFile], specId: 0, runId: 'other', io: s.io });
      await appendRecords(s.catalog, s.id, [{ id: 100n, s: 'late' }]);
    });
    const [ra, rb] = await rewriteGroups({
      catalog: cat,
      table: s.id,
      groups: [
        { inputs: s.inputs.slice(0, 2), outputs: [a.dataFile], specId: 0 },
        { inputs: s.inputs.slice(2), outputs: [b.dataFile], specId: 0 },
      ],
      runId: 'r1',
      io: s.io,
    });
    assert.equal(ra.status, 'committed');
    assert.equal(rb.status, 'gave-up');
    assert.match((rb as { reason: string }).reason, /no longer live/);
    if (ra.status !== 'committed') return;
    assert.equal(ra.attempts, 2);
    assert.equal(ra.snapshot.summary['floe.maintenance.groups'], '1');
    assert.equal(ra.snapshot.summary['deleted-data-files'], '2');
    assert.equal(await s.io.exists(b.dataFile['file-path']), false, 'the given-up output is deleted');
    const live = await readSnapshotFiles(s.io, currentSnapshot(ra.table.metadata));
    assert.deepEqual(live.data.map((f) => f.dataFile['record-count']).sort(), [1, 3, 6]);
    // every file under the table is referenced: no manifest of the first attempt, no output left
    const leftovers = await removeOrphanFiles(ra.table, { dryRun: true, olderThanMs: 0, now: () => Date.now() + 1000 });
    assert.deepEqual(
      leftovers.orphans.map((f) => f.location),
      [],
    );
  } finally {
    await s.catalog.close?.();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('groups of one commit lost twice: every group given up, every output and manifest deleted', async () => {
  const s = await setup();
  try {
    await s.io.delete(s.output['file-path']); // not used here
    const location = (await s.catalog.loadTable(s.id)).metadata.location;
    const a = await stitchDataFiles(s.io, schema, s.inputs.slice(0, 2), `${location}/data/a-${crypto.randomUUID()}.parquet`);
    const b = await stitchDataFiles(s.io, schema, s.inputs.slice(2), `${location}/data/b-${crypto.randomUUID()}.parquet`);
    let n = 0;
    const cat = new Proxy(s.catalog, {
      get(target, prop, receiver) {
        if (prop === 'commitTable') {
          return async (...args: Parameters<Catalog['commitTable']>) => {
            await appendRecords(s.catalog, s.id, [{ id: BigInt(200 + n++), s: 'racer' }]);
            return target.commitTable(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const results = await rewriteGroups({
      catalog: cat,
      table: s.id,
      groups: [
        { inputs: s.inputs.slice(0, 2), outputs: [a.dataFile], specId: 0 },
        { inputs: s.inputs.slice(2), outputs: [b.dataFile], specId: 0 },
      ],
      runId: 'r1',
      io: s.io,
    });
    assert.deepEqual(
      results.map((r) => r.status),
      ['gave-up', 'gave-up'],
    );
    assert.match((results[0] as { reason: string }).reason, /main moved again/);
    const table = await s.catalog.loadTable(s.id);
    const leftovers = await removeOrphanFiles(table, { dryRun: true, olderThanMs: 0, now: () => Date.now() + 1000 });
    assert.deepEqual(
      leftovers.orphans.map((f) => f.location),
      [],
    );
  } finally {
    await s.catalog.close?.();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('a manifest whose every entry an earlier snapshot deleted is not carried into the next replace (as Java leaves it out)', async () => {
  const s = await setup();
  try {
    const first = await rewriteFiles({ catalog: s.catalog, table: s.id, inputs: s.inputs, outputs: [s.output], specId: 0, runId: 'r1', io: s.io });
    assert.equal(first.status, 'committed');
    if (first.status !== 'committed') return;
    // the three manifests that lost their input hold DELETED entries only (written by that snapshot: kept there)
    const dead = (await readSnapshotFiles(s.io, first.snapshot)).manifests.filter((m) => m.entries.every((e) => e.status === DELETED)).map((m) => m.manifest.manifestPath);
    assert.equal(dead.length, 3);
    await appendRecords(s.catalog, s.id, [{ id: 50n, s: 'new' }]);
    const table = await s.catalog.loadTable(s.id);
    const before = await readSnapshotFiles(s.io, currentSnapshot(table.metadata));
    assert.ok(
      dead.every((p) => before.manifests.some((m) => m.manifest.manifestPath === p)),
      'the append carried them forward',
    );
    const inputs = before.data.map((f) => f.dataFile);
    const { dataFile } = await stitchDataFiles(s.io, currentSchema(table.metadata), inputs, `${table.metadata.location}/data/again-${crypto.randomUUID()}.parquet`);
    const second = await rewriteFiles({ catalog: s.catalog, table: s.id, inputs, outputs: [dataFile], specId: 0, runId: 'r2', io: s.io });
    assert.equal(second.status, 'committed');
    if (second.status !== 'committed') return;
    const after = await readSnapshotFiles(s.io, second.snapshot);
    assert.deepEqual(
      after.manifests.map((m) => m.manifest.manifestPath).filter((p) => dead.includes(p)),
      [],
    );
    for (const m of after.manifests)
      assert.ok(m.entries.some((e) => e.status !== DELETED) || m.manifest.addedSnapshotId === second.snapshot['snapshot-id'], `${m.manifest.manifestPath} has a live entry or is this snapshot's`);
    assert.deepEqual(
      after.data.map((f) => f.dataFile['file-path']),
      [dataFile['file-path']],
    );
    assert.equal(second.snapshot.summary['total-records'], '10');
  } finally {
    await s.catalog.close?.();
    await rm(s.dir, { recursive: true, force: true });
  }
});
