// Data files written a row group at a time (PartitionedBatch.takeRowGroups + RollingDataFiles,
// the pipeline's write path) as independent readers see them: the same rows appended once as
// one row group per file (appendRecords) and rolled into several row groups per file must read
// back equal in PyIceberg and DuckDB, and PyIceberg's file metrics (counts, bounds) must be the
// same, the file-level statistics of the rolled file being merged from its row groups. Aborted
// files leave nothing in the table's data folder. Embedded SQL catalog (local files) and REST
// catalog (S3). Needs FLOE_TEST_PYTHON and, for REST, the test stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFiles } from '../../src/commit/append.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { RollingDataFiles, appendRecords } from '../../src/writer/fanout-writer.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import { ALL_TYPES_SCHEMA, allTypesRows, CATALOG_KINDS, openTableEnv } from '../helpers/table-fixtures.ts';

function readerS3(env: Awaited<ReturnType<typeof openTableEnv>>) {
  return env.s3 && { endpoint: env.s3.endpoint, accessKey: env.s3.accessKeyId, secretKey: env.s3.secretAccessKey, region: env.s3.region };
}

async function dataFilesUnder(io: ReturnType<typeof fileIOFor>, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of io.list(prefix)) out.push(f.location);
  return out;
}

for (const kind of CATALOG_KINDS) {
  test(`${kind}: a file rolled in row groups reads and measures like the same rows in one`, async () => {
    const env = await openTableEnv(kind, 'rolling');
    try {
      const rows = allTypesRows(1, 120, 4242).map((r) => r.record);
      await env.catalog.createTable(env.id('one'), { schema: ALL_TYPES_SCHEMA });
      await env.catalog.createTable(env.id('rolled'), { schema: ALL_TYPES_SCHEMA });
      await appendRecords(env.catalog, env.id('one'), rows);

      const table = await env.catalog.loadTable(env.id('rolled'));
      const schema = currentSchema(table.metadata);
      const spec = defaultSpec(table.metadata);
      const io = fileIOFor(table.metadata.location, table.config);
      // every takeRowGroups() hands over what is buffered: one row group per slice of rows
      const batch = new PartitionedBatch('rolled', schema, spec, { rowGroupBytes: 1 });
      const files = new RollingDataFiles(table, schema, spec, { io });
      const slices = [17, 40, 1, 33];
      let at = 0;
      for (const n of slices) {
        for (const r of rows.slice(at, at + n)) batch.append(r);
        at += n;
        await files.write(batch.takeRowGroups());
      }
      for (const r of rows.slice(at)) batch.append(r);
      assert.equal(batch.rowCount, rows.length, 'rowCount counts rows already taken');
      await files.write(batch.drain());
      const written = await files.finish();
      assert.equal(written.length, 1);
      assert.equal(written[0]['split-offsets']!.length, slices.length + 1);
      await appendFiles(env.catalog, env.id('rolled'), written, { io, specId: spec['spec-id'] });

      const one = await readWithPyIceberg({ catalog: env.reader, table: env.qualified('one'), s3: readerS3(env) });
      const rolled = await readWithPyIceberg({ catalog: env.reader, table: env.qualified('rolled'), s3: readerS3(env) });
      assert.equal(rolled.rows.length, rows.length);
      assert.deepEqual(rolled.rows, one.rows);
      assert.equal(rolled.files.length, 1);
      const [a, b] = [one.files[0], rolled.files[0]];
      assert.equal(b.split_offsets?.length, slices.length + 1, 'PyIceberg sees every row group');
      assert.equal(b.record_count, a.record_count);
      assert.deepEqual(b.value_counts, a.value_counts);
      assert.deepEqual(b.null_value_counts, a.null_value_counts);
      assert.deepEqual(b.nan_value_counts, a.nan_value_counts);
      assert.deepEqual(b.lower_bounds, a.lower_bounds);
      assert.deepEqual(b.upper_bounds, a.upper_bounds);
      const duck = await readWithDuckDB({ catalog: env.reader, table: env.qualified('rolled'), s3: readerS3(env) });
      const duckOne = await readWithDuckDB({ catalog: env.reader, table: env.qualified('one'), s3: readerS3(env) });
      assert.deepEqual(duck.rows, duckOne.rows);

      // aborted: row groups written, then dropped; nothing is left in the data folder
      const before = await dataFilesUnder(io, `${table.metadata.location}/data`);
      const dropped = new RollingDataFiles(table, schema, spec, { io });
      for (const r of rows.slice(0, 50)) batch.append(r);
      await dropped.write(batch.takeRowGroups());
      for (const r of rows.slice(50, 90)) batch.append(r);
      await dropped.write(batch.drain());
      await dropped.abort();
      assert.deepEqual(await dataFilesUnder(io, `${table.metadata.location}/data`), before);
    } finally {
      await env.close();
    }
  });
}
