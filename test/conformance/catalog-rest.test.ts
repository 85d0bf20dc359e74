// RestCatalog against Apache Iceberg's REST catalog server (scripts/stack: start.sh rest),
// at FLOE_TEST_REST_URI. Fails, not skips, when the variable is missing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { OAuth2ClientCredentialsAuth } from '../../src/catalog/rest-auth.ts';
import { CatalogUnreachableError, CommitConflictError, NamespaceAlreadyExistsError, NoSuchTableError, TableAlreadyExistsError, type TableIdentifier } from '../../src/catalog/catalog.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { stackEnv } from '../helpers/stack.ts';
import type { Snapshot, TableMetadata, TableUpdate } from '../../src/iceberg/table-metadata.ts';

const uri = stackEnv().restUri;

const run = `floe_it_${randomBytes(4).toString('hex')}`;
const cat = new RestCatalog({ uri, warehouse: process.env.FLOE_TEST_REST_WAREHOUSE });
const created: TableIdentifier[] = [];

after(async () => {
  for (const id of created) await cat.dropTable(id, false).catch(() => {});
});

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'payload', required: false, type: 'string' },
  ],
};

function snapshotUpdates(m: TableMetadata, id: bigint, parent: bigint | undefined): TableUpdate[] {
  const seq = m['last-sequence-number'] + 1;
  const snapshot: Snapshot = {
    'snapshot-id': id,
    'sequence-number': seq,
    'timestamp-ms': Date.now(),
    'manifest-list': `${m.location}/metadata/snap-${id}-1-floe.avro`,
    summary: { operation: 'append', 'added-records': '0', 'total-records': '0' },
    'schema-id': m['current-schema-id'],
  };
  if (parent !== undefined) snapshot['parent-snapshot-id'] = parent;
  return [
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
  ];
}

test('namespaces: create, exists, nested list, duplicate', async () => {
  await cat.createNamespace([run], { owner: 'floe' });
  await cat.createNamespace([run, 'sub']);
  assert.equal(await cat.namespaceExists([run]), true);
  assert.equal(await cat.namespaceExists([run, 'sub']), true);
  assert.equal(await cat.namespaceExists([`${run}_missing`]), false);
  assert.ok((await cat.listNamespaces()).some((n) => n.length === 1 && n[0] === run));
  assert.deepEqual(await cat.listNamespaces([run]), [[run, 'sub']]);
  assert.equal((await cat.loadNamespaceProperties([run])).owner, 'floe');
  await assert.rejects(cat.createNamespace([run]), NamespaceAlreadyExistsError);
});

test('tables: create in a nested namespace, list, load, exists, duplicate, missing', async () => {
  const id = { namespace: [run, 'sub'], name: 'created' };
  const t = await cat.createTable(id, {
    schema,
    partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[8]' }] },
    properties: { 'floe.test': 'yes' },
  });
  created.push(id);
  assert.equal(t.metadata['format-version'], 2);
  assert.equal(t.metadata.properties?.['floe.test'], 'yes');
  assert.deepEqual(
    t.metadata.schemas[0].fields.map((f) => f.name),
    ['id', 'payload'],
  );
  assert.equal(t.metadata['partition-specs'][0].fields[0].transform, 'bucket[8]');
  assert.ok(t.metadataLocation.endsWith('.metadata.json'));
  assert.deepEqual(await cat.listTables([run, 'sub']), [id]);
  assert.equal(await cat.tableExists(id), true);
  assert.equal(await cat.tableExists({ namespace: [run, 'sub'], name: 'nope' }), false);
  const loaded = await cat.loadTable(id);
  assert.equal(loaded.metadataLocation, t.metadataLocation);
  assert.equal(loaded.metadata['table-uuid'], t.metadata['table-uuid']);
  await assert.rejects(cat.createTable(id, { schema }), TableAlreadyExistsError);
  await assert.rejects(cat.loadTable({ namespace: [run, 'sub'], name: 'nope' }), NoSuchTableError);
});

test('a snapshot id of 2^62+12345 round-trips exactly and guards the next commit', async () => {
  const id = { namespace: [run], name: 'big_ids' };
  const t = await cat.createTable(id, { schema });
  created.push(id);
  const BIG = 2n ** 62n + 12345n;
  const c1 = await cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], snapshotUpdates(t.metadata, BIG, undefined));
  assert.equal(c1.metadata['current-snapshot-id'], BIG);
  const loaded = await cat.loadTable(id);
  assert.equal(loaded.metadata['current-snapshot-id'], BIG);
  assert.equal(loaded.metadata.refs?.main['snapshot-id'], BIG);
  assert.equal(loaded.metadata.snapshots?.[0]['snapshot-id'], BIG);
  assert.equal(loaded.metadata['snapshot-log']?.[0]['snapshot-id'], BIG);
  // The server accepts our exact id in assert-ref-snapshot-id: a rounded id would fail here.
  const NEXT = BIG + 1n;
  const c2 = await cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG }], snapshotUpdates(loaded.metadata, NEXT, BIG));
  assert.equal(c2.metadata['current-snapshot-id'], NEXT);
  assert.equal(c2.metadata.snapshots?.find((s) => s['snapshot-id'] === NEXT)?.['parent-snapshot-id'], BIG);
  // And one off by one is refused.
  await assert.rejects(cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG + 2n }], [{ action: 'set-properties', updates: { x: 'y' } }]), CommitConflictError);
});

test('two commits from the same base: the second is a CommitConflictError', async () => {
  const id = { namespace: [run], name: 'conflict' };
  const t = await cat.createTable(id, { schema });
  created.push(id);
  const base = 7_000_000_000_000_000_001n;
  await cat.commitTable(id, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], snapshotUpdates(t.metadata, base, undefined));
  const m = (await cat.loadTable(id)).metadata;
  const req = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': base }];
  await cat.commitTable(id, req, snapshotUpdates(m, base + 1n, base));
  await assert.rejects(cat.commitTable(id, req, snapshotUpdates(m, base + 2n, base)), (e: unknown) => {
    assert.ok(e instanceof CommitConflictError, String(e));
    return true;
  });
  assert.equal((await cat.loadTable(id)).metadata['current-snapshot-id'], base + 1n);
});

test('drop with purge removes the table', async () => {
  const id = { namespace: [run], name: 'dropped' };
  await cat.createTable(id, { schema });
  await cat.dropTable(id, true);
  assert.equal(await cat.tableExists(id), false);
  await assert.rejects(cat.dropTable(id), NoSuchTableError);
});

test('an unreachable catalog URL is named in the error', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const dead = new RestCatalog({ uri: `http://127.0.0.1:${port}`, readAttempts: 1 });
  await assert.rejects(dead.listNamespaces(), (e: unknown) => {
    assert.ok(e instanceof CatalogUnreachableError);
    assert.match((e as Error).message, new RegExp(`catalog unreachable at http://127\\.0\\.0\\.1:${port}/v1/config: .*ECONNREFUSED`));
    return true;
  });
});

test("OAuth2 client credentials against the server's own token endpoint", async () => {
  const auth = new OAuth2ClientCredentialsAuth({ tokenUrl: `${uri.replace(/\/+$/, '')}/v1/oauth/tokens`, clientId: 'floe', clientSecret: 'secret' });
  const oauthCat = new RestCatalog({ uri: uri, auth, warehouse: process.env.FLOE_TEST_REST_WAREHOUSE });
  assert.ok((await oauthCat.listNamespaces()).some((n) => n[0] === run));
  assert.equal(await oauthCat.namespaceExists([run]), true);
  assert.equal(auth.fetches, 1);
});
