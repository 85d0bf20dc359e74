// The embedded SQLite catalog on a temporary folder: schema, namespaces, create/load/commit,
// conflicts between two catalog instances on one file, and between two processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { SqlCatalog, metadataVersion, sqliteFilePath } from '../../src/catalog/sql-catalog.ts';
import { CommitConflictError, NamespaceAlreadyExistsError, NoSuchNamespaceError, NoSuchTableError, TableAlreadyExistsError } from '../../src/catalog/catalog.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { Snapshot, TableUpdate } from '../../src/iceberg/table-metadata.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'floe-sqlcat-'));
  const db = join(dir, 'catalog.db');
  const warehouse = pathToFileURL(join(dir, 'warehouse')).href;
  return { dir, db, warehouse, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function appendUpdates(id: bigint, parent: bigint | undefined, seq: number): TableUpdate[] {
  const snapshot: Snapshot = {
    'snapshot-id': id,
    'sequence-number': seq,
    'timestamp-ms': Date.now(),
    'manifest-list': `file:///nowhere/snap-${id}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  };
  if (parent !== undefined) snapshot['parent-snapshot-id'] = parent;
  return [
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
  ];
}

test('sqliteFilePath and metadataVersion', () => {
  assert.equal(sqliteFilePath('sqlite:////tmp/x.db'), '/tmp/x.db');
  assert.equal(sqliteFilePath('sqlite:///tmp/x.db'), '/tmp/x.db');
  assert.equal(sqliteFilePath('jdbc:sqlite:/tmp/x.db'), '/tmp/x.db');
  assert.equal(sqliteFilePath('file:///tmp/x.db'), '/tmp/x.db');
  assert.equal(sqliteFilePath('/tmp/x.db'), '/tmp/x.db');
  assert.equal(metadataVersion('s3://b/t/metadata/00042-6c97e413-d51b-4538-ac70-12fe2a85cb83.metadata.json'), 42);
  assert.equal(metadataVersion('s3://b/t/metadata/v3.metadata.json'), -1);
});

test('creates the JdbcCatalog / PyIceberg tables with their exact columns and keys', async () => {
  const s = await setup();
  try {
    const cat = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
    await cat.close();
    const db = new DatabaseSync(s.db);
    const cols = (t: string) =>
      (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; type: string; notnull: number; pk: number }[]).map(
        (c) => `${c.name} ${c.type}${c.notnull ? ' NOT NULL' : ''}${c.pk ? ` PK${c.pk}` : ''}`,
      );
    assert.deepEqual(cols('iceberg_tables'), [
      'catalog_name VARCHAR(255) NOT NULL PK1',
      'table_namespace VARCHAR(255) NOT NULL PK2',
      'table_name VARCHAR(255) NOT NULL PK3',
      'metadata_location VARCHAR(1000)',
      'previous_metadata_location VARCHAR(1000)',
      'iceberg_type VARCHAR(5)',
    ]);
    assert.deepEqual(cols('iceberg_namespace_properties'), [
      'catalog_name VARCHAR(255) NOT NULL PK1',
      'namespace VARCHAR(255) NOT NULL PK2',
      'property_key VARCHAR(255) NOT NULL PK3',
      'property_value VARCHAR(1000) NOT NULL',
    ]);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.close();
    const del = new SqlCatalog({ uri: join(s.dir, 'nfs.db'), warehouse: s.warehouse, journalMode: 'delete' });
    await del.close();
    const db2 = new DatabaseSync(join(s.dir, 'nfs.db'));
    assert.equal((db2.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'delete');
    db2.close();
  } finally {
    await s.cleanup();
  }
});

test('namespaces: create, exists, nested listing, properties, duplicates', async () => {
  const s = await setup();
  const cat = new SqlCatalog({ name: 'prod', uri: s.db, warehouse: s.warehouse });
  try {
    await cat.createNamespace(['shop']);
    await cat.createNamespace(['shop', 'eu'], { owner: 'floe' });
    await cat.createNamespace(['shop', 'us']);
    await cat.createNamespace(['other']);
    assert.equal(await cat.namespaceExists(['shop']), true);
    assert.equal(await cat.namespaceExists(['sho']), false);
    assert.equal(await cat.namespaceExists(['shop', 'eu']), true);
    assert.deepEqual(await cat.listNamespaces(), [['other'], ['shop']]);
    assert.deepEqual(await cat.listNamespaces(['shop']), [
      ['shop', 'eu'],
      ['shop', 'us'],
    ]);
    assert.deepEqual(await cat.loadNamespaceProperties(['shop']), { exists: 'true' });
    assert.deepEqual(await cat.loadNamespaceProperties(['shop', 'eu']), { owner: 'floe' });
    await assert.rejects(cat.createNamespace(['shop']), NamespaceAlreadyExistsError);
    await assert.rejects(cat.listNamespaces(['nope']), NoSuchNamespaceError);
    // Another catalog name in the same file sees nothing.
    const other = new SqlCatalog({ name: 'dev', uri: s.db, warehouse: s.warehouse });
    assert.deepEqual(await other.listNamespaces(), []);
    await other.close();
    // '_' and '%' in names are not LIKE wildcards.
    await cat.createNamespace(['a_b']);
    assert.equal(await cat.namespaceExists(['axb']), false);
  } finally {
    await cat.close();
    await s.cleanup();
  }
});

test('create, load, list, commit, drop; metadata files versioned and the log kept', async () => {
  const s = await setup();
  const cat = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  try {
    const id = { namespace: ['shop', 'eu'], name: 'orders' };
    await assert.rejects(cat.createTable(id, { schema }), NoSuchNamespaceError);
    await cat.createNamespace(['shop', 'eu']);
    const created = await cat.createTable(id, { schema, properties: { 'write.format.default': 'parquet' } });
    assert.equal(created.metadata.location, `${s.warehouse}/shop.eu/orders`);
    assert.match(created.metadataLocation, new RegExp(`^${s.warehouse}/shop\\.eu/orders/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`));
    await assert.rejects(cat.createTable(id, { schema }), TableAlreadyExistsError);
    assert.deepEqual(await cat.listTables(['shop', 'eu']), [id]);
    assert.equal(await cat.tableExists(id), true);
    assert.equal(await cat.tableExists({ namespace: ['shop', 'eu'], name: 'x' }), false);

    const big = 2n ** 62n + 12345n;
    const c1 = await cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], appendUpdates(big, undefined, 1));
    assert.equal(metadataVersion(c1.metadataLocation), 1);
    const raw = await readFile(new URL(c1.metadataLocation), 'utf8');
    assert.ok(raw.includes(`"current-snapshot-id":${big}`), 'the 63-bit id is written exactly');
    const loaded = await cat.loadTable(id);
    assert.equal(loaded.metadataLocation, c1.metadataLocation);
    assert.equal(loaded.metadata['current-snapshot-id'], big);
    assert.deepEqual(
      loaded.metadata['metadata-log']!.map((e) => e['metadata-file']),
      [created.metadataLocation],
    );

    const c2 = await cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': big }], appendUpdates(big + 1n, big, 2));
    assert.equal(metadataVersion(c2.metadataLocation), 2);
    const db = new DatabaseSync(s.db);
    const row = db.prepare('SELECT * FROM iceberg_tables').get() as Record<string, string>;
    db.close();
    assert.deepEqual(
      { ...row },
      {
        catalog_name: 'default',
        table_namespace: 'shop.eu',
        table_name: 'orders',
        metadata_location: c2.metadataLocation,
        previous_metadata_location: c1.metadataLocation,
        iceberg_type: 'TABLE',
      },
    );

    // A requirement that no longer holds is a conflict.
    await assert.rejects(
      cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': big }], appendUpdates(big + 2n, big, 3)),
      (e: unknown) => e instanceof CommitConflictError && /assert-ref-snapshot-id/.test((e as Error).message),
    );
    await assert.rejects(cat.commitTable({ namespace: ['shop', 'eu'], name: 'nope' }, [], []), NoSuchTableError);

    await cat.dropTable(id, true);
    assert.equal(await cat.tableExists(id), false);
    await assert.rejects(cat.loadTable(id), NoSuchTableError);
    assert.deepEqual(await readdir(new URL(`${s.warehouse}/shop.eu/orders/metadata/`)), [], 'purge deleted the files');
  } finally {
    await cat.close();
    await s.cleanup();
  }
});

test('two catalog instances on one file: the second commit from the same base conflicts and leaves no file', async () => {
  const s = await setup();
  const a = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  const b = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  try {
    const id = { namespace: ['db'], name: 't' };
    await a.createNamespace(['db']);
    await a.createTable(id, { schema });
    // Both load the same state, then both try to move main from "nothing".
    const req = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': null }];
    await a.commitTable(id, req, appendUpdates(111n, undefined, 1));
    await assert.rejects(b.commitTable(id, req, appendUpdates(222n, undefined, 1)), CommitConflictError);
    assert.equal((await b.loadTable(id)).metadata['current-snapshot-id'], 111n);
    const files = await readdir(new URL(`${s.warehouse}/db/t/metadata/`));
    assert.equal(files.length, 2, `expected v0 and v1 only, got ${files.join(', ')}`);
  } finally {
    await a.close();
    await b.close();
    await s.cleanup();
  }
});

test("a commit builds on the metadata it wrote last without reading it again, and on another writer's file once the pointer moved", async () => {
  const s = await setup();
  const a = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  const b = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  try {
    const id = { namespace: ['db'], name: 't' };
    await a.createNamespace(['db']);
    await a.createTable(id, { schema });
    const target = a as unknown as { readMetadata(l: string): Promise<unknown> };
    const realRead = target.readMetadata.bind(a);
    const reads: string[] = [];
    target.readMetadata = (l: string) => {
      reads.push(l);
      return realRead(l);
    };
    const first = await a.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], appendUpdates(111n, undefined, 1));
    assert.equal(reads.length, 1, 'the created table is read once');
    // a's own last file is the base: not read again
    const second = await a.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 111n }], [{ action: 'set-properties', updates: { a1: 'x' } }]);
    assert.equal(reads.length, 1);
    assert.equal(second.metadata['metadata-log']?.at(-1)?.['metadata-file'], first.metadataLocation);
    // b moves the pointer: a reads b's file and keeps b's change
    const byB = await b.commitTable(id, [], [{ action: 'set-properties', updates: { b1: 'y' } }]);
    const third = await a.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 111n }], [{ action: 'set-properties', updates: { a2: 'z' } }]);
    assert.deepEqual(reads.slice(1), [byB.metadataLocation]);
    assert.deepEqual(Object.fromEntries(Object.entries(third.metadata.properties ?? {}).filter(([k]) => /^[ab]\d$/.test(k))), { a1: 'x', b1: 'y', a2: 'z' });
    assert.deepEqual((await b.loadTable(id)).metadata.properties, third.metadata.properties);
    // and a requirement b broke is still a conflict
    await b.commitTable(id, [], appendUpdates(222n, 111n, 2));
    await assert.rejects(a.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 111n }], []), CommitConflictError);
  } finally {
    await a.close();
    await b.close();
    await s.cleanup();
  }
});

/** Makes `a` see another writer's commit (by `b`) land between reading its base and swapping the pointer, on its first `times` reads. */
function commitBetweenReadAndSwap(a: SqlCatalog, times: number, other: () => Promise<unknown>): { moved: number } {
  const state = { moved: 0 };
  const target = a as unknown as { readMetadata(l: string): Promise<unknown> };
  const realRead = target.readMetadata.bind(a);
  target.readMetadata = async (l: string) => {
    const m = await realRead(l);
    if (state.moved < times) {
      state.moved++;
      await other();
    }
    return m;
  };
  return state;
}

test('a swap lost to a commit that leaves every requirement true is applied again on the new metadata', async () => {
  const s = await setup();
  const a = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  const b = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  try {
    const id = { namespace: ['db'], name: 't' };
    await a.createNamespace(['db']);
    await a.createTable(id, { schema });
    const moved = commitBetweenReadAndSwap(a, 1, () => b.commitTable(id, [], [{ action: 'set-properties', updates: { other: 'x' } }]));
    const req = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': null }];
    const committed = await a.commitTable(id, req, appendUpdates(111n, undefined, 1));
    assert.equal(moved.moved, 1, "the other writer's commit landed in between");
    const table = await b.loadTable(id);
    assert.equal(table.metadataLocation, committed.metadataLocation);
    assert.equal(table.metadata['current-snapshot-id'], 111n);
    assert.equal(table.metadata.properties?.other, 'x', "the other writer's change is kept");
    const files = await readdir(new URL(`${s.warehouse}/db/t/metadata/`));
    assert.equal(files.length, 3, `v0, the other writer's v1 and our v2; the losing file deleted: ${files.join(', ')}`);
  } finally {
    await a.close();
    await b.close();
    await s.cleanup();
  }
});

test('a swap lost to a commit that breaks a requirement is a conflict, and its metadata file is deleted', async () => {
  const s = await setup();
  const a = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  const b = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  try {
    const id = { namespace: ['db'], name: 't' };
    await a.createNamespace(['db']);
    await a.createTable(id, { schema });
    const req = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': null }];
    commitBetweenReadAndSwap(a, 1, () => b.commitTable(id, req, appendUpdates(222n, undefined, 1)));
    await assert.rejects(a.commitTable(id, req, appendUpdates(111n, undefined, 1)), (err: Error) => err instanceof CommitConflictError && /rejected/.test(err.message));
    assert.equal((await b.loadTable(id)).metadata['current-snapshot-id'], 222n);
    const files = await readdir(new URL(`${s.warehouse}/db/t/metadata/`));
    assert.equal(files.length, 2, `v0 and the other writer's v1 only: ${files.join(', ')}`);
  } finally {
    await a.close();
    await b.close();
    await s.cleanup();
  }
});

test('a pointer that keeps moving ends in a conflict after a bounded number of swaps', async () => {
  const s = await setup();
  const a = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  const b = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  try {
    const id = { namespace: ['db'], name: 't' };
    await a.createNamespace(['db']);
    await a.createTable(id, { schema });
    let n = 0;
    const moved = commitBetweenReadAndSwap(a, 100, () => b.commitTable(id, [], [{ action: 'set-properties', updates: { n: String(++n) } }]));
    await assert.rejects(a.commitTable(id, [], [{ action: 'set-properties', updates: { k: 'v' } }]), (err: Error) => err instanceof CommitConflictError && /lost the race 5 times/.test(err.message));
    assert.equal(moved.moved, 5);
    const table = await b.loadTable(id);
    assert.equal(table.metadata.properties?.k, undefined, 'not applied');
    const files = await readdir(new URL(`${s.warehouse}/db/t/metadata/`));
    assert.equal(files.length, 6, `v0 and the other writer's five; every losing file deleted: ${files.join(', ')}`);
  } finally {
    await a.close();
    await b.close();
    await s.cleanup();
  }
});

test('several processes committing to one table: every commit either lands or conflicts, none lost', async () => {
  const s = await setup();
  const cat = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
  const id = { namespace: ['db'], name: 'hot' };
  await cat.createNamespace(['db']);
  await cat.createTable(id, { schema });
  await cat.close();
  const worker = `
    import { SqlCatalog } from ${JSON.stringify(new URL('../../src/catalog/sql-catalog.ts', import.meta.url).href)};
    const [db, wh, tag] = process.argv.slice(-3);
    const cat = new SqlCatalog({ uri: db, warehouse: wh });
    const id = { namespace: ['db'], name: 'hot' };
    let ok = 0, conflicts = 0;
    while (ok < 10) {
      const t = await cat.loadTable(id);
      const n = Object.keys(t.metadata.properties ?? {}).length;
      try {
        await cat.commitTable(id, [{ type: 'assert-table-uuid', uuid: t.metadata['table-uuid'] }],
          [{ action: 'set-properties', updates: { [tag + '-' + ok]: String(n) } }]);
        ok++;
      } catch (e) {
        if (e.name !== 'CommitConflictError') throw e;
        conflicts++;
      }
    }
    await cat.close();
    console.log(JSON.stringify({ ok, conflicts }));
  `;
  try {
    const run = (tag: string) =>
      new Promise<{ ok: number; conflicts: number }>((resolve, reject) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', worker, '--', s.db, s.warehouse, tag], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let errOut = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (errOut += d));
        p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${tag} exited ${code}: ${errOut}`))));
      });
    const results = await Promise.all([run('p1'), run('p2'), run('p3')]);
    const check = new SqlCatalog({ uri: s.db, warehouse: s.warehouse });
    const t = await check.loadTable(id);
    await check.close();
    // Each successful commit added one property; none was overwritten by a lost update.
    assert.equal(Object.keys(t.metadata.properties!).length, 30);
    assert.equal(metadataVersion(t.metadataLocation), 30);
    assert.ok(results.every((r) => r.ok === 10));
  } finally {
    await s.cleanup();
  }
});

test('a database locked past the busy timeout is a conflict (not applied), and the written file is removed', async () => {
  const s = await setup();
  const cat = new SqlCatalog({ uri: s.db, warehouse: s.warehouse, busyTimeoutMs: 200 });
  try {
    const id = { namespace: ['db'], name: 't' };
    await cat.createNamespace(['db']);
    await cat.createTable(id, { schema });
    const other = new DatabaseSync(s.db);
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    await assert.rejects(cat.commitTable(id, [], [{ action: 'set-properties', updates: { k: 'v' } }]), (e: unknown) => {
      assert.ok(e instanceof CommitConflictError, String(e));
      assert.match((e as Error).message, /locked/);
      return true;
    });
    other.exec('ROLLBACK');
    other.close();
    assert.equal((await readdir(new URL(`${s.warehouse}/db/t/metadata/`))).length, 1);
    const ok = await cat.commitTable(id, [], [{ action: 'set-properties', updates: { k: 'v' } }]);
    assert.equal(ok.metadata.properties?.k, 'v');
  } finally {
    await cat.close();
    await s.cleanup();
  }
});

/**
 * Replaces FileHandle.prototype.sync with `hook` (which calls the real sync itself) until the
 * returned restore() runs.
 */
async function hookFileHandleSync(dir: string, hook: (real: () => Promise<void>, fd: number) => Promise<void>): Promise<() => void> {
  const probe = await open(dir, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: (this: { fd: number }) => Promise<void> };
  await probe.close();
  const realSync = proto.sync;
  proto.sync = function (this: { fd: number }) {
    return hook(() => realSync.call(this), this.fd);
  };
  return () => {
    proto.sync = realSync;
  };
}

test('a change returns only after the WAL file is fsynced (synchronous=NORMAL, the sync on the thread pool)', async () => {
  const { dir, db, warehouse, cleanup } = await setup();
  // every FileHandle.sync() is recorded by the path it syncs and held until the gate opens
  const synced: string[] = [];
  let openGate: () => void = () => {};
  let gate = Promise.resolve();
  const restore = await hookFileHandleSync(dir, async (real, fd) => {
    synced.push(readlinkSync(`/proc/self/fd/${fd}`));
    await gate;
    return real();
  });
  const cat = new SqlCatalog({ uri: db, warehouse });
  try {
    await cat.createNamespace(['db']);
    const id = { namespace: ['db'], name: 't' };
    await cat.createTable(id, { schema });
    assert.ok(synced.length >= 2, `createNamespace and createTable each sync the WAL (synced: ${synced.join(', ')})`);
    assert.ok(
      synced.every((p) => p.endsWith('catalog.db-wal')),
      synced.join(', '),
    );
    gate = new Promise((r) => (openGate = r));
    const before = synced.length;
    let done = false;
    const commit = cat.commitTable(id, [], appendUpdates(1n, undefined, 1)).then(() => (done = true));
    for (let i = 0; i < 50 && synced.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(synced.length, before + 1, 'the commit syncs the WAL once');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'the commit has not returned while its WAL sync is held');
    openGate();
    await commit;
    assert.equal(done, true);
    assert.equal((await cat.loadTable(id)).metadata['current-snapshot-id'], 1n);
  } finally {
    restore();
    openGate();
    await cat.close();
    await cleanup();
  }
});

test('changes made while a WAL sync is under way share the next one, which starts after them (group commit)', async () => {
  const { dir, db, warehouse, cleanup } = await setup();
  // each sync waits for its own release
  const releases: (() => void)[] = [];
  let holding = false;
  const restore = await hookFileHandleSync(dir, async (real) => {
    if (holding) await new Promise<void>((r) => releases.push(r));
    return real();
  });
  const cat = new SqlCatalog({ uri: db, warehouse });
  try {
    await cat.createNamespace(['db']);
    const ids = ['a', 'b', 'c'].map((name) => ({ namespace: ['db'], name }));
    for (const id of ids) await cat.createTable(id, { schema });
    holding = true;
    const done = new Set<string>();
    const waitFor = async (n: number) => {
      for (let i = 0; i < 100 && releases.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(releases.length, n, `${n} sync(s) started`);
    };
    const commit = (i: number) => cat.commitTable(ids[i], [], appendUpdates(BigInt(i + 1), undefined, 1)).then(() => done.add(ids[i].name));
    const a = commit(0);
    await waitFor(1); // a's sync is under way (held)
    const b = commit(1);
    const c = commit(2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(releases.length, 1, 'b and c wait for the sync under way to end, they do not start their own');
    releases[0]();
    await a;
    await waitFor(2); // one sync for b and c, started after their updates
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual([...done], ['a'], 'b and c return only after the sync that started after them');
    releases[1]();
    await Promise.all([b, c]);
    assert.equal(releases.length, 2, 'three commits, two syncs');
    for (const [i, id] of ids.entries()) assert.equal((await cat.loadTable(id)).metadata['current-snapshot-id'], BigInt(i + 1));
  } finally {
    restore();
    holding = false;
    for (const r of releases) r();
    await cat.close();
    await cleanup();
  }
});
