import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendRoute } from '../../../src/ingest/append-route.ts';
import { IngestError } from '../../../src/ingest/ingest-error.ts';

test('the append route names the table and the partial flag', () => {
  assert.deepEqual(appendRoute('/v1/tables/app.events/append'), { table: 'app.events', partial: false });
  assert.deepEqual(appendRoute('/v1/tables/a.b.events/append?partial=true'), { table: 'a.b.events', partial: true });
  assert.deepEqual(appendRoute('/v1/tables/app.events/append?partial=false'), { table: 'app.events', partial: false });
});

test('other paths are not the route; a bad name or partial value is a 400', () => {
  assert.equal(appendRoute('/v1/tables/app.events'), undefined);
  assert.equal(appendRoute('/metrics'), undefined);
  const bad = (e: unknown) => e instanceof IngestError && e.status === 400;
  assert.throws(() => appendRoute('/v1/tables/events/append'), bad);
  assert.throws(() => appendRoute('/v1/tables/app.ev%20ents/append'), bad);
  assert.throws(() => appendRoute('/v1/tables/app.events/append?partial=yes'), bad);
});
