// floe maintain as a process on the REST catalog with its S3 warehouse (the other catalog's
// process tests are test/table/maintain-cli.test.ts and maintain-worker.test.ts): one pass with
// -c FILE (a connector file naming the catalog) compacts a table to one file per partition and
// expires the snapshots it replaced; the long-lived worker (-c maintenance.yaml) compacts a
// second table on schedule and stops on SIGTERM with its lease released. PyIceberg reads the
// same rows before and after.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TableIdentifier } from '../../src/catalog/catalog.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { LEASE_REF } from '../../src/maintenance/lease.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import { stackS3 } from '../helpers/stack.ts';
import { openTableEnv, s3Properties } from '../helpers/table-fixtures.ts';
import type { TableEnv } from '../helpers/table-fixtures.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'k', required: true, type: 'string' },
  ],
};
const floeBin = fileURLToPath(new URL('../../bin/floe.ts', import.meta.url));
const envs: TableEnv[] = [];
after(async () => {
  for (const e of envs) await e.close();
});

test('rest: floe maintain -c (one pass) and the maintenance worker compact REST/S3 tables; PyIceberg reads the same rows', { timeout: 180_000 }, async () => {
  const env = await openTableEnv('rest', 'maintain-rest');
  envs.push(env);
  const props = s3Properties(env.s3!);
  const ids: TableIdentifier[] = [env.id('one'), env.id('two')];
  for (const id of ids) {
    await env.catalog.createTable(id, { schema, partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'k', transform: 'identity' }] } });
    let n = 0;
    for (let c = 0; c < 4; c++)
      await appendRecords(
        env.catalog,
        id,
        Array.from({ length: 10 }, () => ({ id: BigInt(n), k: `k${n++ % 2}` })),
        { io: fileIOFor('s3://x/', props) },
      );
  }
  const dataFiles = async (id: TableIdentifier) => {
    const t = await env.catalog.loadTable(id);
    return (await readSnapshotFiles(fileIOFor(t.metadata.location, { ...t.config, ...props }), currentSnapshot(t.metadata))).data.length;
  };
  const rows = async (name: string) => (await readWithPyIceberg({ catalog: env.reader as never, table: env.qualified(name), s3: stackS3() })).rows;
  const before = [await rows('one'), await rows('two')];
  assert.equal(await dataFiles(ids[0]), 8);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-maintain-rest-'));
  const catalogYaml = `{ type: rest, uri: ${process.env.FLOE_TEST_REST_URI}, properties: ${JSON.stringify(props)} }`;
  const connector = path.join(dir, 'c.yaml');
  fs.writeFileSync(connector, `name: c\nkafka: { brokers: ["127.0.0.1:9"] }\nformat: json\ncatalog: ${catalogYaml}\ntopics: [t]\ntable: { name: ${env.qualified('one')} }\n`);
  const pass = spawnSync(process.execPath, [floeBin, 'maintain', env.qualified('one'), '-c', connector, '--max-snapshot-age-ms', '0'], { encoding: 'utf8' });
  assert.equal(pass.status, 0, pass.stdout + pass.stderr);
  assert.match(pass.stdout, /stitched .*: 4 files → 1/);
  assert.equal(await dataFiles(ids[0]), 2);
  const one = await env.catalog.loadTable(ids[0]);
  assert.equal(one.metadata.snapshots!.length, 1, 'the replaced snapshots expired');
  assert.equal(one.metadata.refs?.[LEASE_REF], undefined);
  assert.deepEqual(await rows('one'), before[0]);

  const config = path.join(dir, 'maintenance.yaml');
  fs.writeFileSync(config, `catalog: ${catalogYaml}\nmetricsPort: 0\ntables:\n  - name: ${env.qualified('two')}\n    every: 1s\n    orphans: false\n`);
  const worker = spawn(process.execPath, [floeBin, 'maintain', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  worker.stdout.on('data', (d) => (log += d));
  worker.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 90_000;
    while ((await dataFiles(ids[1])) !== 2) {
      if (Date.now() > deadline || worker.exitCode !== null) assert.fail(`the worker did not compact ${env.qualified('two')}:\n${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    worker.kill('SIGTERM');
  }
  assert.equal(await exited, 0, log);
  assert.equal((await env.catalog.loadTable(ids[1])).metadata.refs?.[LEASE_REF], undefined, 'the worker released its lease');
  assert.deepEqual(await rows('two'), before[1]);
});
