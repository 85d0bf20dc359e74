// The embedded SQL catalog with its warehouse on a real S3-compatible server: create and commit
// through S3FileIO, conflict between two instances, and PyIceberg loading the table from S3.
// Needs FLOE_TEST_S3_* (scripts/stack: start.sh s3) and FLOE_TEST_PYTHON.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { CommitConflictError } from '../../src/catalog/catalog.ts';
import { S3FileIO } from '../../src/io/s3-file-io.ts';
import { closeSharedFileIO } from '../../src/io/resolve-file-io.ts';
import { stackEnv } from '../helpers/stack.ts';

const env = stackEnv();
const bucket = env.s3Bucket;
const props: Record<string, string> = {
  's3.endpoint': env.s3Endpoint,
  's3.access-key-id': env.s3AccessKey,
  's3.secret-access-key': env.s3SecretKey,
  's3.region': env.s3Region || 'us-east-1',
  's3.path-style-access': 'true',
};
const python = env.python;
const warehouse = `s3://${bucket}/floe-sql-test/${randomUUID()}`;
let dir: string | undefined;

after(async () => {
  const io = new S3FileIO(props);
  for await (const f of io.list(`${warehouse}/`)) await io.delete(f.location);
  await io.close();
  await closeSharedFileIO();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('SqlCatalog on an S3 warehouse: create, commit, conflict, and PyIceberg loads it', async () => {
  const s3 = new S3FileIO(props);
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: Error) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
  dir = await mkdtemp(join(tmpdir(), 'floe-sql-s3-'));
  const db = join(dir, 'catalog.db');
  const a = new SqlCatalog({ name: 'floe', uri: db, warehouse, properties: props });
  const b = new SqlCatalog({ name: 'floe', uri: db, warehouse, properties: props });
  const id = { namespace: ['s3ns'], name: 'events' };
  await a.createNamespace(['s3ns']);
  const t = await a.createTable(id, { schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'k', required: true, type: 'long' }] } });
  assert.ok(t.metadataLocation.startsWith(`${warehouse}/s3ns/events/metadata/00000-`));
  assert.equal(await s3.exists(t.metadataLocation), true);
  const req = [
    { type: 'assert-table-uuid' as const, uuid: t.metadata['table-uuid'] },
    { type: 'assert-current-schema-id' as const, 'current-schema-id': 0 },
  ];
  const c1 = await a.commitTable(id, req, [{ action: 'set-properties', updates: { who: 'a' } }]);
  // b read the pointer before a's commit landed? Force it: b commits from the old base.
  const stale = (b as unknown as { currentLocation(i: typeof id): string }).currentLocation.bind(b);
  (b as unknown as { currentLocation(i: typeof id): string }).currentLocation = () => t.metadataLocation;
  await assert.rejects(b.commitTable(id, req, [{ action: 'set-properties', updates: { who: 'b' } }]), CommitConflictError);
  (b as unknown as { currentLocation(i: typeof id): string }).currentLocation = stale;
  const files: string[] = [];
  for await (const f of s3.list(`${warehouse}/s3ns/events/metadata/`)) files.push(f.location);
  assert.deepEqual(files.sort(), [t.metadataLocation, c1.metadataLocation].sort(), 'the losing metadata file was deleted from S3');
  assert.equal((await b.loadTable(id)).metadata.properties?.who, 'a');
  await a.close();
  await b.close();
  await s3.close();

  const script = `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
p = json.loads(sys.argv[3])
cat = SqlCatalog("floe", uri="sqlite:///" + sys.argv[1], warehouse=sys.argv[2], **p)
t = cat.load_table("s3ns.events")
print(json.dumps({"loc": t.metadata_location, "who": t.properties.get("who"), "rows": t.scan().to_arrow().num_rows}))
`;
  const { stdout } = await promisify(execFile)(python, ['-c', script, db, warehouse, JSON.stringify(props)]);
  const got = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(got, { loc: c1.metadataLocation, who: 'a', rows: 0 });
});
