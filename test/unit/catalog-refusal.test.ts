// src/catalog/catalog-refusal.ts: which catalog errors are refusals of the change itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommitConflictError, CommitStateUnknownError } from '../../src/catalog/catalog.ts';
import { CatalogRefusedError, catalogRefusal } from '../../src/catalog/catalog-refusal.ts';
import { RestCatalogError } from '../../src/catalog/rest-catalog.ts';

const rest = (status: number, type?: string) => new RestCatalogError('POST', 'http://127.0.0.1:8181/v1/namespaces/a/tables/t', status, type, 'Multiple entries with same key: a.b');

test('a 400, a 422 or a validation error type anywhere in the cause chain is a refusal', () => {
  for (const err of [
    rest(400),
    rest(422),
    rest(500, 'ValidationException'),
    rest(500, 'IllegalArgumentException'),
    new CommitStateUnknownError('commit may or may not have been applied', rest(500, 'ValidationException')),
    new CommitConflictError('gave up after 10 attempts', new CommitStateUnknownError('x', rest(500, 'IllegalArgumentException'))),
  ]) {
    const r = catalogRefusal(err);
    assert.ok(r instanceof CatalogRefusedError, String(err));
    assert.equal(r.reason, 'catalog-refused');
    assert.match(r.message, /the catalog refused the schema change: .*Multiple entries/);
  }
});

test('outages, conflicts and server errors without a validation type are not refusals', () => {
  for (const err of [rest(500), rest(503, 'ServiceUnavailableException'), rest(409, 'CommitFailedException'), new CommitConflictError('conflict'), new Error('ECONNREFUSED'), undefined, 'text']) {
    assert.equal(catalogRefusal(err), undefined, String(err));
  }
});
