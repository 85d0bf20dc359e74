// The one retry loop (src/commit/commit-loop.ts), driven by a scripted catalog: each outcome of
// a commit (committed, conflict, unknown and landed, unknown and not landed, refused by the plan,
// attempts exhausted) leads where the header says, and files are discarded only when no attempt
// that might still land could reference them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog, LoadedTable, TableIdentifier } from '../../src/catalog/catalog.ts';
import { CommitConflictError, CommitStateUnknownError } from '../../src/catalog/catalog.ts';
import { CommitGaveUpError, commitWithRetry } from '../../src/commit/commit-loop.ts';
import { FloeError, kindOf } from '../../src/errors.ts';
import type { CommitPlan } from '../../src/commit/commit-loop.ts';
import { RequirementFailedError } from '../../src/iceberg/metadata-updates.ts';
import type { TableMetadata } from '../../src/iceberg/table-metadata.ts';

const id: TableIdentifier = { namespace: ['n'], name: 't' };

/** A catalog whose commitTable answers from a script; loadTable returns version `v` of the table. */
function scripted(outcomes: ('ok' | 'conflict' | 'requirement' | 'unknown' | 'unknown-applied' | 'fatal' | 'unreachable')[]) {
  let version = 0;
  const calls: number[] = [];
  const table = (): LoadedTable => ({ identifier: id, metadataLocation: `v${version}`, metadata: { 'last-sequence-number': version } as unknown as TableMetadata, config: {} });
  const catalog = {
    name: 'scripted',
    loads: 0,
    async loadTable() {
      catalog.loads++;
      return table();
    },
    async commitTable() {
      calls.push(version);
      const o = outcomes.shift() ?? 'ok';
      if (o === 'conflict') {
        version++; // someone else committed
        throw new CommitConflictError('conflict');
      }
      if (o === 'requirement') {
        version++;
        throw new RequirementFailedError({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }, 'moved');
      }
      if (o === 'unknown') throw new CommitStateUnknownError('timeout');
      if (o === 'fatal') throw new FloeError('fatal', 'HTTP 403 Forbidden');
      if (o === 'unreachable') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8181'), { code: 'ECONNREFUSED' });
      if (o === 'unknown-applied') {
        version += 100;
        throw new CommitStateUnknownError('timeout after apply');
      }
      version += 100;
      return table();
    },
  };
  return { catalog: catalog as unknown as Catalog & { loads: number }, calls };
}

function plan(log: string[], o: { refuseAt?: number; landedWhen?: (v: number) => boolean } = {}): CommitPlan<string> {
  return {
    describe: 'test change',
    async build(table, attempt) {
      const v = table.metadata['last-sequence-number'];
      if (o.refuseAt === attempt) throw new Error(`refused at ${attempt}`);
      log.push(`build ${attempt} on v${v}`);
      return {
        requirements: [],
        updates: [{ action: 'set-properties', updates: { a: String(attempt) } }],
        written: [`file-${attempt}`],
        result: (t) => `committed on v${v}, now v${t.metadata['last-sequence-number']}`,
      };
    },
    landed: o.landedWhen ? (t) => (o.landedWhen!(t.metadata['last-sequence-number']) ? 'landed' : undefined) : undefined,
    async discard(paths) {
      if (paths.length > 0) log.push(`discard ${paths.join(',')}`);
    },
    async abandon({ refused, uncertain }) {
      log.push(`abandon refused=${refused} uncertain=${uncertain}`);
    },
  };
}

const fast = { backoffMs: () => 0 };

test('committed at once: one build, one commit', async () => {
  const { catalog, calls } = scripted(['ok']);
  const log: string[] = [];
  const r = await commitWithRetry(catalog, id, plan(log), fast);
  assert.deepEqual(r, { result: 'committed on v0, now v100', attempts: 1 });
  assert.deepEqual(calls, [0]);
  assert.deepEqual(log, ['build 1 on v0']);
});

test("a conflict (either kind) reloads, discards the losing attempt's files and rebuilds on the new head", async () => {
  const { catalog } = scripted(['conflict', 'requirement', 'ok']);
  const log: string[] = [];
  const r = await commitWithRetry(catalog, id, plan(log), fast);
  assert.equal(r.attempts, 3);
  assert.equal(r.result, 'committed on v2, now v102');
  assert.deepEqual(log, ['build 1 on v0', 'discard file-1', 'build 2 on v1', 'discard file-2', 'build 3 on v2']);
});

test('an unknown outcome that landed: the landed result, no second commit, nothing discarded', async () => {
  const { catalog, calls } = scripted(['unknown-applied']);
  const log: string[] = [];
  const r = await commitWithRetry(catalog, id, plan(log, { landedWhen: (v) => v >= 100 }), fast);
  assert.deepEqual(r, { result: 'landed', attempts: 1 });
  assert.equal(calls.length, 1);
  assert.deepEqual(log, ['build 1 on v0']);
});

test('an unknown outcome that did not land: tried again, its files kept; giving up later says uncertain', async () => {
  const { catalog } = scripted(['unknown', 'conflict', 'conflict']);
  const log: string[] = [];
  await assert.rejects(commitWithRetry(catalog, id, plan(log, { landedWhen: () => false }), { ...fast, maxAttempts: 3 }), (e: unknown) => {
    assert.ok(e instanceof CommitGaveUpError);
    assert.equal(kindOf(e), 'unknown-outcome', 'an attempt may still land');
    assert.equal(e.lastConflict, true);
    assert.match((e as Error).message, /test change gave up after 3 attempts \(conflicts\)/);
    return true;
  });
  assert.deepEqual(log, ['build 1 on v0', 'build 2 on v0', 'discard file-2', 'build 3 on v1', 'discard file-3', 'abandon refused=false uncertain=true']);
});

test('the plan refuses (a fenced writer): its own error passes through, abandon is told', async () => {
  const { catalog } = scripted(['conflict']);
  const log: string[] = [];
  await assert.rejects(commitWithRetry(catalog, id, plan(log, { refuseAt: 2 }), fast), /refused at 2/);
  assert.deepEqual(log, ['build 1 on v0', 'discard file-1', 'abandon refused=true uncertain=false']);
});

test('no updates: nothing is sent', async () => {
  const { catalog, calls } = scripted([]);
  const r = await commitWithRetry(catalog, id, { describe: 'noop', build: async () => ({ requirements: [], updates: [], result: () => 'as is' }) }, fast);
  assert.deepEqual(r, { result: 'as is', attempts: 1 });
  assert.deepEqual(calls, []);
});

test('attempts are bounded and the message says outcomes were unknown when they were', async () => {
  const { catalog, calls } = scripted(['unknown', 'unknown']);
  await assert.rejects(commitWithRetry(catalog, id, plan([], { landedWhen: () => false }), { ...fast, maxAttempts: 2 }), /gave up after 2 attempts \(outcomes unknown\)/);
  assert.equal(calls.length, 2);
});

test('only conflicts, attempts exhausted: CommitGaveUpError of kind retryable, every attempt discarded', async () => {
  const { catalog } = scripted(['conflict', 'requirement']);
  const log: string[] = [];
  await assert.rejects(commitWithRetry(catalog, id, plan(log), { ...fast, maxAttempts: 2 }), (e: unknown) => {
    assert.ok(e instanceof CommitGaveUpError);
    assert.equal(kindOf(e), 'retryable');
    return true;
  });
  assert.deepEqual(log, ['build 1 on v0', 'discard file-1', 'build 2 on v1', 'discard file-2', 'abandon refused=false uncertain=false']);
});

test('an error of kind fatal from the catalog: no second attempt, the error as it is, abandoned as refused', async () => {
  const { catalog, calls } = scripted(['fatal']);
  const log: string[] = [];
  await assert.rejects(commitWithRetry(catalog, id, plan(log), fast), (e: unknown) => kindOf(e) === 'fatal' && /403/.test((e as Error).message));
  assert.equal(calls.length, 1);
  assert.deepEqual(log, ['build 1 on v0', 'abandon refused=true uncertain=false']);
});

test('a refused connection during the commit is retried as an unknown outcome (its files kept)', async () => {
  const { catalog, calls } = scripted(['unreachable', 'ok']);
  const log: string[] = [];
  const r = await commitWithRetry(catalog, id, plan(log, { landedWhen: () => false }), fast);
  assert.equal(r.attempts, 2);
  assert.equal(calls.length, 2);
  assert.deepEqual(log, ['build 1 on v0', 'build 2 on v0']);
});

test('beforeAttempt: each build is on the table it returns; a failure there abandons the plan (not as a refusal) and passes through', async () => {
  const { catalog } = scripted(['conflict', 'ok']);
  const log: string[] = [];
  const seen: string[] = [];
  const moved = (t: LoadedTable): LoadedTable => ({ ...t, metadata: { 'last-sequence-number': t.metadata['last-sequence-number'] + 10 } as unknown as TableMetadata });
  const r = await commitWithRetry(catalog, id, plan(log), {
    ...fast,
    beforeAttempt: async (t, attempt) => {
      seen.push(`attempt ${attempt} given v${t.metadata['last-sequence-number']}`);
      return attempt === 1 ? moved(t) : t;
    },
  });
  assert.equal(r.attempts, 2);
  assert.deepEqual(seen, ['attempt 1 given v0', 'attempt 2 given v1']);
  assert.deepEqual(log, ['build 1 on v10', 'discard file-1', 'build 2 on v1']);

  const failing = scripted(['ok']);
  const log2: string[] = [];
  await assert.rejects(
    commitWithRetry(failing.catalog, id, plan(log2), {
      ...fast,
      beforeAttempt: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    }),
    /ECONNREFUSED/,
  );
  assert.deepEqual(log2, ['abandon refused=false uncertain=false']);
  assert.deepEqual(failing.calls, [], 'nothing committed');
});
