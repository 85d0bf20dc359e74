// PyIceberg's SqlCatalog (an independent reader) opens the SQLite file our SqlCatalog writes,
// and the other way round. Needs FLOE_TEST_PYTHON: a Python with pyiceberg[sql-sqlite] 0.12.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { stackEnv } from '../helpers/stack.ts';

const python = stackEnv().python;

let dir: string;
let db: string;
let warehouse: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-sql-py-'));
  db = join(dir, 'catalog.db');
  warehouse = pathToFileURL(join(dir, 'warehouse')).href;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a PyIceberg script with `cat` bound to a SqlCatalog named "floe" on our file; returns its JSON output. */
async function py(script: string): Promise<any> {
  const prelude = ['import json, sys', 'from pyiceberg.catalog.sql import SqlCatalog', 'cat = SqlCatalog("floe", uri="sqlite:///" + sys.argv[1], warehouse=sys.argv[2])', ''].join('\n');
  const { stdout } = await promisify(execFile)(python, ['-c', prelude + script, db, warehouse], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  'identifier-field-ids': [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 5, element: 'string', 'element-required': false } },
    { id: 4, name: 'amount', required: false, type: 'decimal(10, 2)' },
  ],
};

test('PyIceberg lists and loads a table our SqlCatalog created and committed to', async () => {
  const cat = new SqlCatalog({ name: 'floe', uri: db, warehouse });
  const id = { namespace: ['shop', 'eu'], name: 'orders' };
  await cat.createNamespace(['shop', 'eu'], { owner: 'floe' });
  await cat.createTable(id, {
    schema,
    partitionSpec: {
      'spec-id': 0,
      fields: [
        { 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' },
        { 'source-id': 1, 'field-id': 1001, name: 'id_bucket', transform: 'bucket[16]' },
      ],
    },
    properties: { 'write.parquet.compression-codec': 'zstd' },
  });
  const committed = await cat.commitTable(id, [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }], [{ action: 'set-properties', updates: { 'floe.note': 'hello' } }]);
  await cat.close();

  const got = await py(`
t = cat.load_table("shop.eu.orders")
print(json.dumps({
  "namespaces": [list(n) for n in cat.list_namespaces()],
  "children": [list(n) for n in cat.list_namespaces("shop")],
  "tables": [list(x) for x in cat.list_tables("shop.eu")],
  "ns_props": cat.load_namespace_properties("shop.eu"),
  "metadata_location": t.metadata_location,
  "location": t.location(),
  "fields": [[f.field_id, f.name, str(f.field_type), f.required] for f in t.schema().fields],
  "identifier_ids": list(t.schema().identifier_field_ids),
  "spec": [[f.source_id, f.field_id, f.name, str(f.transform)] for f in t.spec().fields],
  "properties": t.properties,
  "format_version": t.format_version,
  "metadata_log": [e.metadata_file for e in t.metadata.metadata_log],
  "rows": t.scan().to_arrow().num_rows,
}))
`);
  assert.deepEqual(got.namespaces, [['shop']]);
  assert.deepEqual(got.children, [['shop', 'eu']]);
  assert.deepEqual(got.tables, [['shop', 'eu', 'orders']]);
  assert.deepEqual(got.ns_props, { owner: 'floe' });
  assert.equal(got.metadata_location, committed.metadataLocation);
  assert.equal(got.location, `${warehouse}/shop.eu/orders`);
  assert.deepEqual(got.fields, [
    [1, 'id', 'long', true],
    [2, 'ts', 'timestamptz', false],
    [3, 'tags', 'list<string>', false],
    [4, 'amount', 'decimal(10, 2)', false],
  ]);
  assert.deepEqual(got.identifier_ids, [1]);
  assert.deepEqual(got.spec, [
    [2, 1000, 'ts_day', 'day'],
    [1, 1001, 'id_bucket', 'bucket[16]'],
  ]);
  assert.equal(got.properties['floe.note'], 'hello');
  assert.equal(got.properties['write.parquet.compression-codec'], 'zstd');
  assert.equal(got.format_version, 2);
  assert.equal(got.metadata_log.length, 1);
  assert.equal(got.rows, 0);
});

test('our SqlCatalog loads and commits to a table PyIceberg created; PyIceberg sees the commit and commits after it', async () => {
  const made = await py(`
from pyiceberg.schema import Schema
from pyiceberg.types import NestedField, LongType, StringType
cat.create_namespace("py")
t = cat.create_table("py.events", schema=Schema(NestedField(1, "k", LongType(), required=True), NestedField(2, "v", StringType(), required=False)))
print(json.dumps({"metadata_location": t.metadata_location, "uuid": str(t.metadata.table_uuid)}))
`);
  const cat = new SqlCatalog({ name: 'floe', uri: db, warehouse });
  const id = { namespace: ['py'], name: 'events' };
  assert.deepEqual(await cat.listTables(['py']), [id]);
  const loaded = await cat.loadTable(id);
  assert.equal(loaded.metadataLocation, made.metadata_location);
  assert.equal(loaded.metadata['table-uuid'], made.uuid);
  const ours = await cat.commitTable(id, [{ type: 'assert-table-uuid', uuid: made.uuid }], [{ action: 'set-properties', updates: { 'from.floe': '1' } }]);
  assert.match(ours.metadataLocation, /\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/);

  const after = await py(`
t = cat.load_table("py.events")
with t.transaction() as tx:
    tx.set_properties({"from.pyiceberg": "2"})
t = cat.load_table("py.events")
print(json.dumps({"metadata_location": t.metadata_location, "properties": t.properties}))
`);
  assert.equal(after.properties['from.floe'], '1');
  assert.equal(after.properties['from.pyiceberg'], '2');
  assert.match(after.metadata_location, /\/metadata\/00002-[0-9a-f-]{36}\.metadata\.json$/);
  const again = await cat.loadTable(id);
  assert.equal(again.metadataLocation, after.metadata_location);
  assert.equal(again.metadata.properties?.['from.pyiceberg'], '2');
  await cat.close();
});
