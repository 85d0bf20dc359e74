import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYS_WINDOW_PROPERTY, KeyLedger, snapshotKeysSummary } from '../../../src/ingest/idempotency-ledger.ts';
import type { TableMetadata } from '../../../src/iceberg/table-metadata.ts';

/** Metadata with snapshots 1 → 2 → 3 (main at `head`), snapshot `offMain` beside them, and the window property. */
function metadata(window: string | undefined, opts: { head?: bigint; offMain?: boolean } = {}): TableMetadata {
  const snap = (id: bigint, parent: bigint | null, seq: number) => ({
    'snapshot-id': id,
    ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': seq,
    'timestamp-ms': 1000 * seq,
    'manifest-list': `m${id}`,
    summary: { operation: 'append' },
  });
  const snapshots = [snap(1n, null, 1), snap(2n, 1n, 2), snap(3n, 2n, 3)];
  if (opts.offMain) snapshots.push(snap(9n, 3n, 4));
  const head = opts.head ?? 3n;
  return {
    'format-version': 2,
    snapshots,
    refs: { main: { 'snapshot-id': head, type: 'branch' } },
    'current-snapshot-id': head,
    properties: window === undefined ? {} : { [KEYS_WINDOW_PROPERTY]: window },
  } as unknown as TableMetadata;
}

const limits = { maxKeys: 100, retentionMs: 60_000 };

test('a key committed in a snapshot of main is found, with its snapshot and rows', () => {
  const empty = KeyLedger.of(metadata(undefined));
  assert.equal(empty.lookup('k1'), undefined);
  const window = empty.withCommit(3n, 5000, new Map([['k1', 10]]), limits);
  const found = KeyLedger.of(metadata(window)).lookup('k1');
  assert.deepEqual(found, { snapshotId: 3n, rows: 10, atMs: 5000 });
});

test('a key whose snapshot was expired still counts; one whose snapshot main was rolled back past does not', () => {
  const expired = KeyLedger.of(metadata(undefined)).withCommit(77n, 5000, new Map([['gone', 1]]), limits);
  assert.equal(KeyLedger.of(metadata(expired)).lookup('gone')?.snapshotId, 77n);
  const rolledBack = KeyLedger.of(metadata(undefined)).withCommit(9n, 5000, new Map([['lost', 1]]), limits);
  assert.equal(KeyLedger.of(metadata(rolledBack, { offMain: true })).lookup('lost'), undefined);
  // carried forward, a rolled-back group is dropped
  const next = KeyLedger.of(metadata(rolledBack, { offMain: true })).withCommit(3n, 6000, new Map([['new', 2]]), limits);
  assert.doesNotMatch(next, /lost/);
  assert.match(next, /new/);
});

test('the window is carried forward whole, then trimmed to the retention and the newest maxKeys keys', () => {
  let window: string | undefined;
  for (let i = 0; i < 5; i++) {
    const keys = new Map([
      [`a${i}`, 1],
      [`b${i}`, 1],
    ]);
    window = KeyLedger.of(metadata(window)).withCommit(100n + BigInt(i), 1000 * i, keys, { maxKeys: 7, retentionMs: 60_000 });
  }
  const ledger = KeyLedger.of(metadata(window));
  assert.equal(ledger.size, 7);
  assert.equal(ledger.lookup('a0'), undefined); // the oldest keys left first
  assert.equal(ledger.lookup('a1'), undefined);
  assert.equal(ledger.lookup('a4')?.snapshotId, 104n);
  assert.equal(ledger.lookup('b1')?.snapshotId, 101n);
  const later = KeyLedger.of(metadata(window)).withCommit(200n, 3500, new Map(), { maxKeys: 100, retentionMs: 1000 });
  const kept = KeyLedger.of(metadata(later));
  assert.equal(kept.lookup('a2'), undefined); // committed at 2000, older than 3500 - 1000
  assert.equal(kept.lookup('a3')?.snapshotId, 103n);
});

test("a damaged window is no window; the summary lists a commit's keys", () => {
  assert.equal(KeyLedger.of(metadata('not json')).size, 0);
  assert.deepEqual(snapshotKeysSummary(new Map()), {});
  assert.deepEqual(JSON.parse(snapshotKeysSummary(new Map([['k', 3]]))['floe.ingest.keys']), { k: 3 });
});
