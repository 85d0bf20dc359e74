// What a user sees when something is wrong: a value that does not fit its column fails the whole
// appendRecords call with an error naming the table, the column and what was given, and nothing
// is committed or written; a REST catalog nobody listens on and an S3 endpoint nobody listens on
// give errors naming the address. Embedded SqlCatalog (local and on the stack's S3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { openTableEnv, probe, s3Properties, s3Settings } from '../helpers/table-fixtures.ts';
import { uniqueName } from '../helpers/stack.ts';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'n', required: false, type: 'int' },
    { id: 3, name: 'amount', required: false, type: 'decimal(9, 2)' },
    { id: 4, name: 'name', required: true, type: 'string' },
    { id: 5, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 6, name: 'a', required: false, type: 'long' }] } },
  ],
};

const GOOD = [
  { id: 1n, n: 1, amount: '1.00', name: 'a' },
  { id: 2n, n: null, amount: null, name: 'b', st: { a: 5n } },
];

const BAD: { what: string; record: Record<string, unknown>; column: string; message: RegExp }[] = [
  { what: 'a string into a long', record: { id: 'seven', name: 'x' }, column: 'id', message: /expected long, got string "seven"/ },
  { what: '2^40 into an int', record: { id: 3n, n: 2 ** 40, name: 'x' }, column: 'n', message: /expected int, got number 1099511627776 \(out of int32 range\)/ },
  { what: 'too many fraction digits', record: { id: 3n, amount: '12.345', name: 'x' }, column: 'amount', message: /expected decimal\(9, ?2\), got string "12.345" \(more than 2 fraction digits\)/ },
  { what: 'too many digits', record: { id: 3n, amount: '12345678.90', name: 'x' }, column: 'amount', message: /expected decimal\(9, ?2\), got string "12345678.90" \(more than 9 digits\)/ },
  { what: 'a missing required field', record: { id: 3n, n: 1 }, column: 'name', message: /expected string, got undefined \(required\)/ },
  { what: 'a bad nested value', record: { id: 3n, name: 'x', st: { a: 'big' } }, column: 'st.a', message: /expected long, got string "big"/ },
];

test('values that do not fit: the error names table, column and value type; nothing is committed or written', async () => {
  const env = await openTableEnv('sql', 'bad');
  try {
    const id = env.id('strict');
    const created = await env.catalog.createTable(id, { schema: SCHEMA });
    await appendRecords(env.catalog, id, GOOD);
    const before = (await env.catalog.loadTable(id)).metadata;
    const dataDir = fileURLToPath(`${created.metadata.location}/data`);
    const filesBefore = await readdir(dataDir);
    for (const bad of BAD) {
      // The bad record comes after good ones: the whole call fails.
      await assert.rejects(appendRecords(env.catalog, id, [...GOOD, bad.record]), (err: Error) => {
        assert.match(err.message, new RegExp(`table ${env.qualified('strict').replace(/\./g, '\\.')}`), `${bad.what}: ${err.message}`);
        assert.ok(err.message.includes(`column "${bad.column}"`), `${bad.what}: ${err.message}`);
        assert.match(err.message, bad.message, bad.what);
        return true;
      });
    }
    const after = (await env.catalog.loadTable(id)).metadata;
    assert.equal(after.snapshots?.length, before.snapshots?.length);
    assert.equal(after['current-snapshot-id'], before['current-snapshot-id']);
    assert.deepEqual(await readdir(dataDir), filesBefore, 'no data file written for a failed call');
    // And an independent reader agrees: one snapshot, two rows.
    const [snaps] = await probe(env, 'strict', [{ op: 'snapshots' }]);
    assert.equal(snaps.snapshots.length, 1);
    assert.equal(snaps.snapshots[0].summary['total-records'], '2');
  } finally {
    await env.close();
  }
});

test('a REST catalog nobody listens on: the error names the URL', async () => {
  const cat = new RestCatalog({ uri: 'http://127.0.0.1:1', readAttempts: 2, backoffMs: 10 });
  await assert.rejects(appendRecords(cat, { namespace: ['ns'], name: 't' }, GOOD), (err: Error) => {
    assert.match(err.message, /http:\/\/127\.0\.0\.1:1\b/);
    assert.match(err.message, /ECONNREFUSED|unreachable/i);
    return true;
  });
});

test('an S3 endpoint nobody listens on: the error names the endpoint, and nothing is committed', async () => {
  const s3 = s3Settings();
  const bucket = process.env.FLOE_TEST_S3_BUCKET;
  if (!bucket) throw new Error('FLOE_TEST_S3_BUCKET is not set (start the test stack)');
  const env = await openTableEnv('sql', 'bads3');
  const db = env.reader.uri.replace(/^sqlite:\/\//, '');
  const warehouse = `s3://${bucket}/${uniqueName('bads3')}`;
  const good = new SqlCatalog({ name: 'default', uri: db, warehouse, properties: s3Properties(s3) });
  const dead = new SqlCatalog({ name: 'default', uri: db, warehouse, properties: { ...s3Properties(s3), 's3.endpoint': 'http://127.0.0.1:1' } });
  try {
    const id = env.id('on_s3');
    await good.createTable(id, { schema: SCHEMA });
    await appendRecords(good, id, GOOD);
    const before = (await good.loadTable(id)).metadata['current-snapshot-id'];
    // Loading works (the catalog is SQLite); writing the data file to S3 cannot.
    await assert.rejects(appendRecords(dead, id, GOOD), (err: Error) => {
      assert.match(err.message, /http:\/\/127\.0\.0\.1:1\b/, err.message);
      return true;
    });
    assert.equal((await good.loadTable(id)).metadata['current-snapshot-id'], before);
    // Creating a table there fails the same way.
    await assert.rejects(dead.createTable(env.id('never'), { schema: SCHEMA }), /http:\/\/127\.0\.0\.1:1\b/);
    assert.equal(await good.tableExists(env.id('never')), false);
  } finally {
    await good.close?.();
    await dead.close?.();
    await env.close();
  }
});
