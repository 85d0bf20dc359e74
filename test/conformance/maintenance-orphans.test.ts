// Orphan cleanup (src/maintenance/orphan-files.ts) on both catalogs, after writers were SIGKILLed
// while a file was open (a local temporary file / an S3 multipart upload) and after a data file
// was written that no commit took: a dry run lists exactly what the real run then removes, files
// younger than the window are left alone, nothing a snapshot references is touched, and PyIceberg
// reads the same rows after.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { normalizeLocation, referencedFiles, removeOrphanFiles } from '../../src/maintenance/orphan-files.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import { CATALOG_KINDS, openTableEnv, s3Properties } from '../helpers/table-fixtures.ts';
import type { TableEnv } from '../helpers/table-fixtures.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { stackS3 } from '../helpers/stack.ts';

const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const envs: TableEnv[] = [];
after(async () => {
  for (const e of envs) await e.close();
});

/** Starts a writer that opens `location`, writes `bytes`, and is SIGKILLed once it says ready. */
async function killedWriter(location: string, bytes: number, properties: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../helpers/abandon-write.ts', import.meta.url)), JSON.stringify({ location, bytes, properties })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`writer never got ready: ${out}`)), 60_000);
    child.stdout.on('data', () => {
      if (out.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`writer exited ${code}: ${out}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

for (const kind of CATALOG_KINDS) {
  test(`${kind}: SIGKILLed writers and an uncommitted data file are cleaned up past the window, never a referenced file`, async () => {
    const env = await openTableEnv(kind, 'orphans');
    envs.push(env);
    const id = env.id('t');
    await env.catalog.createTable(id, { schema });
    for (let i = 0; i < 3; i++) await appendRecords(env.catalog, id, [{ id: BigInt(i * 2) }, { id: BigInt(i * 2 + 1) }]);
    const table = await env.catalog.loadTable(id);
    const props = env.kind === 'rest' ? s3Properties(env.s3!) : {};
    const io = fileIOFor(table.metadata.location, { ...table.config, ...props });
    const loc = table.metadata.location.replace(/\/+$/, '');

    // an uncommitted data file (a writer killed after closing it, before its commit)
    const stray = `${loc}/data/stray-${Date.now()}.parquet`;
    await io.write(stray, new Uint8Array([1, 2, 3]));
    // a writer SIGKILLed with a file open: a temporary file locally (past its first 1 MiB: a
    // smaller open file is only in memory), a multipart upload on S3
    await killedWriter(`${loc}/data/killed-${Date.now()}.parquet`, kind === 'rest' ? 6 * 1024 * 1024 : 1024 * 1024 + 1024, props);

    const referenced = await referencedFiles(table, io);
    const later = () => Date.now() + 60_000;
    // within the window: nothing is touched
    const young = await removeOrphanFiles(table, { io, olderThanMs: 3_600_000 });
    assert.deepEqual([young.orphans.length, young.unfinished.length], [0, 0]);
    assert.ok(young.tooYoung >= 1);

    const dry = await removeOrphanFiles(table, { io, olderThanMs: 1000, now: later, dryRun: true });
    assert.deepEqual(
      dry.orphans.map((f) => f.location),
      [stray],
    );
    assert.equal(dry.unfinished.length, 1, JSON.stringify(dry.unfinished));
    assert.ok(await io.exists(stray), 'a dry run deletes nothing');
    assert.equal(dry.referenced, referenced.size, 'every referenced file under the location was seen and kept');

    const real = await removeOrphanFiles(table, { io, olderThanMs: 1000, now: later });
    assert.deepEqual(
      real.orphans.map((f) => f.location),
      dry.orphans.map((f) => f.location),
    );
    assert.deepEqual(
      real.unfinished.map((u) => u.location),
      dry.unfinished.map((u) => u.location),
    );
    assert.equal(await io.exists(stray), false);
    const left: string[] = [];
    for await (const u of io.listUnfinished!(`${loc}/`)) left.push(u.location);
    assert.deepEqual(left, [], 'no unfinished write is left');
    for (const r of referenced) assert.ok(await io.exists(r.startsWith('/') ? `file://${r}` : r), `referenced ${r} still there`);
    const again = await removeOrphanFiles(table, { io, olderThanMs: 1000, now: later, dryRun: true });
    assert.deepEqual([again.orphans.length, again.unfinished.length], [0, 0]);

    const read = await readWithPyIceberg({ catalog: env.reader, table: env.qualified('t'), s3: kind === 'rest' ? stackS3() : undefined });
    assert.deepEqual(
      read.rows.map((r) => r.id),
      ['0', '1', '2', '3', '4', '5'],
    );
    assert.ok([...referenced].every((r) => r === normalizeLocation(r)));
  });
}
