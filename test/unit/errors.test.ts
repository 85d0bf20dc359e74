// One error base with a closed set of kinds (src/errors.ts): every error class of src/ is a
// FloeError with the kind its header promises, foreign errors get theirs from kindOf, and the
// places that decide (retry, dead letter, stop) ask the kind instead of names or messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_KINDS, FloeError, kindOf } from '../../src/errors.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';
import { RegistryAuthError, SchemaRegistryError } from '../../src/decode/schema-registry.ts';
import { CatalogUnreachableError, CommitConflictError, CommitStateUnknownError, NoSuchTableError } from '../../src/catalog/catalog.ts';
import { RestCatalogError } from '../../src/catalog/rest-catalog.ts';
import { CatalogRefusedError } from '../../src/catalog/catalog-refusal.ts';
import { StorageError, StorageUnreachableError } from '../../src/io/s3-file-io.ts';
import { ValueError } from '../../src/batch/errors.ts';
import { IncompatibleSchemaChangeError } from '../../src/iceberg/schema-evolution.ts';
import { RequirementFailedError } from '../../src/iceberg/metadata-updates.ts';
import { SchemaRuleError } from '../../src/schema/errors.ts';
import { RouteError } from '../../src/route/router.ts';
import { ConfigError } from '../../src/config/config-reader.ts';
import { FencedError } from '../../src/commit/exactly-once.ts';
import { ConnectorStoppedError } from '../../src/pipeline/connector-stopped.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('the kinds are the closed five', () => {
  assert.deepEqual([...ERROR_KINDS], ['bad-record', 'retryable', 'conflict', 'unknown-outcome', 'fatal']);
});

test('each error class says its kind', () => {
  const cases: [unknown, string][] = [
    [new DecodeError('bad-magic', 'x'), 'bad-record'],
    [new DecodeError('invalid-payload', 'x'), 'bad-record'],
    [new DecodeError('registry-unavailable', 'x'), 'retryable'],
    [new SchemaRegistryError(503, undefined, 'down'), 'retryable'],
    [new SchemaRegistryError(404, 40403, 'no schema'), 'fatal'],
    [new RegistryAuthError(401, undefined, 'who are you'), 'fatal'],
    [new CatalogUnreachableError('http://127.0.0.1:1', new Error('ECONNREFUSED')), 'retryable'],
    [new CommitConflictError('moved'), 'conflict'],
    [new RequirementFailedError({ type: 'assert-create' }, 'exists'), 'conflict'],
    [new CommitStateUnknownError('timeout'), 'unknown-outcome'],
    [new NoSuchTableError({ namespace: ['n'], name: 't' }), 'fatal'],
    [new RestCatalogError('POST', 'u', 503, undefined, 'busy'), 'retryable'],
    [new RestCatalogError('POST', 'u', 429, undefined, 'slow down'), 'retryable'],
    [new RestCatalogError('POST', 'u', 403, 'ForbiddenException', 'no'), 'fatal'],
    [new CatalogRefusedError('refused', undefined), 'bad-record'],
    [new StorageUnreachableError('http://127.0.0.1:9000', new Error('ECONNREFUSED')), 'retryable'],
    [new StorageError('PUT failed', 503, undefined), 'retryable'],
    [new StorageError('PUT failed', 403, undefined), 'fatal'],
    [new ValueError('n.t', 'a', 'long', 'x'), 'bad-record'],
    [new IncompatibleSchemaChangeError('a', 'long', 'string'), 'bad-record'],
    [new SchemaRuleError('too-deep', 'a', 'deep'), 'bad-record'],
    [new RouteError('no table'), 'bad-record'],
    [new ConfigError('f.yaml', 'k', 'bad'), 'fatal'],
    [new FencedError('n.t', []), 'conflict'],
    [new ConnectorStoppedError('c', 'why'), 'fatal'],
  ];
  for (const [err, kind] of cases) {
    assert.ok(err instanceof FloeError, String(err));
    assert.equal(kindOf(err), kind, `${(err as Error).name}: ${(err as Error).message}`);
    assert.equal((err as Error).name, (err as object).constructor.name);
  }
});

test('foreign errors: lost connections and exhausted resources are retryable, anything else fatal', () => {
  const sys = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(kindOf(sys('ECONNREFUSED')), 'retryable');
  assert.equal(kindOf(new TypeError('fetch failed', { cause: sys('ECONNRESET') })), 'retryable');
  assert.equal(kindOf(new DOMException('timed out', 'TimeoutError')), 'retryable');
  assert.equal(kindOf(sys('ENOSPC')), 'retryable');
  assert.equal(kindOf(sys('EACCES')), 'fatal');
  assert.equal(kindOf(new TypeError('x is undefined')), 'fatal');
  assert.equal(kindOf('a string'), 'fatal');
  assert.equal(kindOf(undefined), 'fatal');
});

test('a stop names the connector, and the record when one caused it', () => {
  const e = new ConnectorStoppedError('orders', 'DecodeError (bad-magic): x [errors.tolerance is none]', { at: { topic: 'o', partition: 3, offset: 7n } });
  assert.equal(e.message, 'connector orders stopped at o[3] offset 7: DecodeError (bad-magic): x [errors.tolerance is none]');
  assert.equal(new ConnectorStoppedError('orders', 'table n.t: S3 said 403').message, 'connector orders stopped: table n.t: S3 said 403');
});

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

test('every error class of src/ extends FloeError (one base)', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = path.relative(SRC, file);
    if (rel === 'errors.ts') continue;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/class (\w+) extends (Error|TypeError|RangeError)\b/g)) bad.push(`${rel}: ${m[1]} extends ${m[2]}`);
  }
  assert.deepEqual(bad, []);
});

test('the deciding code asks the kind: no error names, no message patterns, no instanceof of error classes', () => {
  // formatting a message may look at a typed error; deciding may not
  const deciders = [
    'pipeline/worker.ts',
    'pipeline/table-flusher.ts',
    'pipeline/catalog-retry.ts',
    'pipeline/record-landing.ts',
    'pipeline/handover-check.ts',
    'pipeline/dead-letters.ts',
    'commit/commit-loop.ts',
  ];
  const allowed = new Set(['ConnectorStoppedError', 'IncompatibleSchemaChangeError', 'CommitGaveUpError']);
  const bad: string[] = [];
  for (const rel of deciders) {
    const text = fs.readFileSync(path.join(SRC, rel), 'utf8');
    for (const m of text.matchAll(/instanceof (\w+Error)\b/g)) if (!allowed.has(m[1])) bad.push(`${rel}: instanceof ${m[1]}`);
    for (const m of text.matchAll(/\.name (===|!==) '\w+Error'/g)) bad.push(`${rel}: ${m[0]}`);
    for (const m of text.matchAll(/\.reason (===|!==) 'registry-unavailable'/g)) bad.push(`${rel}: ${m[0]}`);
    for (const m of text.matchAll(/\/[^/\n]+\/i?\.test\((String\()?\(?(err|error|e)\b[^)]*\.message/g)) bad.push(`${rel}: ${m[0]}`);
  }
  assert.deepEqual(bad, []);
});
