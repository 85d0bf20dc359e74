import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultIngestConfig, parseIngestConfig, tableSettings } from '../../../src/config/ingest-config.ts';
import { ConfigError } from '../../../src/config/config-reader.ts';

test('no file: the embedded catalog in ./warehouse and every default', () => {
  const c = defaultIngestConfig({});
  assert.equal(c.catalog, undefined);
  assert.equal(c.warehouse, path.resolve('warehouse'));
  assert.equal(c.port, 8080);
  assert.equal(c.metricsPort, 9464);
  assert.deepEqual(c.commit, { intervalMs: 1000, maxRows: 1_000_000, maxBytes: 128 * 1024 * 1024 });
  assert.equal(c.tokens.length, 0);
  assert.equal(tableSettings(c, 'app.events').autoCreate, true);
});

test('per-table settings over the defaults; a fixed schema gets ids; tokens from the environment', () => {
  const c = parseIngestConfig(
    `
port: auto
defaults: { partitionBy: ["day(ts)"], evolveSchema: true }
tables:
  - name: shop.orders
    partitionBy: ["bucket(4, id)"]
    schema: { fields: [{ name: id, type: long, required: true }, { name: note, type: string }] }
auth:
  tokens:
    - { token: "\${APP_TOKEN}", scopes: [app] }
`,
    '/etc/floe/ingest.yaml',
    { APP_TOKEN: 'a-token-of-16-chars-or-more' },
  );
  assert.equal(c.port, 0);
  assert.deepEqual(tableSettings(c, 'app.events').partitionBy, ['day(ts)']);
  const orders = tableSettings(c, 'shop.orders');
  assert.deepEqual(orders.partitionBy, ['bucket(4, id)']);
  assert.deepEqual(
    orders.schema!.fields.map((f) => [f.id, f.name, f.type, f.required]),
    [
      [1, 'id', 'long', true],
      [2, 'note', 'string', false],
    ],
  );
  assert.deepEqual(c.tokens, [{ token: 'a-token-of-16-chars-or-more', scopes: ['app'] }]);
});

test('errors name the key: unknown keys, bad types, short tokens, a partition column missing from a fixed schema', () => {
  const bad = (text: string, key: RegExp) =>
    assert.throws(
      () => parseIngestConfig(text, 'f.yaml', {}),
      (e: unknown) => e instanceof ConfigError && key.test(e.message),
    );
  bad('comit: {}', /comit: unknown key/);
  bad('commit: { intervalMs: "1s" }', /commit.intervalMs: must be a whole number/);
  bad('auth: { tokens: [{ token: short, scopes: [app] }] }', /auth.tokens\[0\]: the token must be at least 16/);
  bad('tables: [{ name: app }]', /tables\[0\].name: "app" is not valid/);
  bad('tables: [{ name: a.b, schema: { fields: [{ name: x, type: long }] }, partitionBy: ["day(ts)"] }]', /tables\[0\].partitionBy/);
  bad('tables: [{ name: a.b, schema: { fields: [{ name: x, type: longer }] } }]', /tables\[0\].schema.fields/);
  bad('catalog: { type: sql, uri: c.db, warehouse: /w }\nwarehouse: ./w', /warehouse: is the embedded catalog folder/);
});
