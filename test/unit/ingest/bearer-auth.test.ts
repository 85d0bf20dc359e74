import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BearerAuth, covers } from '../../../src/ingest/bearer-auth.ts';
import { IngestError } from '../../../src/ingest/ingest-error.ts';

const status = (n: number) => (e: unknown) => e instanceof IngestError && e.status === n;

test('a scope covers its table, its namespace (and parents) or everything', () => {
  assert.ok(covers('*', 'app.events'));
  assert.ok(covers('app', 'app.events'));
  assert.ok(covers('app.events', 'app.events'));
  assert.ok(covers('a', 'a.b.t'));
  assert.ok(!covers('app', 'apps.events'));
  assert.ok(!covers('app.events', 'app.events2'));
});

test('tokens: none configured is no auth; missing or unknown is 401; another table is 403', () => {
  new BearerAuth([]).check(undefined, 'app.events');
  const auth = new BearerAuth([
    { token: 'app-token-0123456789', scopes: ['app'] },
    { token: 'one-table-0123456789', scopes: ['shop.orders'] },
  ]);
  auth.check('Bearer app-token-0123456789', 'app.events');
  auth.check('bearer one-table-0123456789', 'shop.orders');
  assert.throws(() => auth.check(undefined, 'app.events'), status(401));
  assert.throws(() => auth.check('Basic abc', 'app.events'), status(401));
  assert.throws(() => auth.check('Bearer nope-nope-nope-nope', 'app.events'), status(401));
  assert.throws(() => auth.check('Bearer one-table-0123456789', 'shop.refunds'), status(403));
  assert.throws(() => auth.check('Bearer app-token-0123456789', 'shop.orders'), status(403));
});
