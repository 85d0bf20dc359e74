// Where a connector's offsets are read from (src/commit/committed-offsets.ts): every case of the
// rule in its header, on table metadata built here (no catalog).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectorsOf, floorKey, formatFloor, mainAncestry, OffsetsUnknownError, parseFloor, resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { formatOffsets, offsetsKey, parseOffsets } from '../../src/commit/offsets-map.ts';
import type { Snapshot, TableMetadata } from '../../src/iceberg/table-metadata.ts';

const map = (json: string) => parseOffsets(json);

function snap(id: bigint, parent: bigint | undefined, summary: Record<string, string> = {}): Snapshot {
  const s: Snapshot = { 'snapshot-id': id, 'sequence-number': Number(id), 'timestamp-ms': 0, 'manifest-list': `m${id}`, summary: { operation: 'append', ...summary } };
  if (parent !== undefined) s['parent-snapshot-id'] = parent;
  return s;
}
function floe(id: bigint, parent: bigint | undefined, json: string, connector = 'c'): Snapshot {
  return snap(id, parent, { [offsetsKey(connector)]: json });
}
function table(snapshots: Snapshot[], main: bigint | undefined, properties: Record<string, string> = {}): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': 'u',
    location: 'file:///t',
    'last-sequence-number': snapshots.length,
    'last-updated-ms': 0,
    'last-column-id': 1,
    'current-schema-id': 0,
    schemas: [],
    'default-spec-id': 0,
    'partition-specs': [],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [],
    properties,
    'current-snapshot-id': main ?? null,
    snapshots,
    refs: main === undefined ? {} : { main: { 'snapshot-id': main, type: 'branch' } },
  };
}
const floorOf = (id: bigint, json: string, connector = 'c') => ({ [floorKey(connector)]: formatFloor(id, map(json)) });

test('floor round-trips with a 63-bit snapshot id', () => {
  const f = parseFloor(formatFloor(9223372036854775001n, map('{"t":{"0":5,"3":9007199254740993}}')))!;
  assert.equal(f.snapshotId, 9223372036854775001n);
  assert.equal(formatOffsets(f.offsets), '{"t":{"0":5,"3":9007199254740993}}');
});

test('mainAncestry follows parents from main, newest first, and says when a parent is gone', () => {
  const m = table([snap(1n, undefined), snap(2n, 1n), snap(3n, 2n), snap(9n, 1n)], 3n);
  assert.deepEqual(
    mainAncestry(m).chain.map((s) => s['snapshot-id']),
    [3n, 2n, 1n],
  );
  assert.equal(mainAncestry(m).truncated, false);
  const expired = table([snap(3n, 2n)], 3n);
  assert.deepEqual(mainAncestry(expired), { chain: [expired.snapshots![0]], truncated: true });
  assert.deepEqual(mainAncestry(table([], undefined)), { chain: [], truncated: false });
});

test('ancestry and floor agree: the newest snapshot with the key, foreign snapshots on top stepped over', () => {
  const m = table([floe(1n, undefined, '{"t":{"0":10}}'), floe(2n, 1n, '{"t":{"0":20,"1":5}}'), snap(3n, 2n), snap(4n, 3n)], 4n, floorOf(2n, '{"t":{"0":20,"1":5}}'));
  const r = resolveOffsets(m, 'c');
  assert.equal(r.source, 'ancestry');
  assert.equal(r.snapshotId, 2n);
  assert.equal(formatOffsets(r.offsets), '{"t":{"0":20,"1":5}}');
  assert.equal(r.notice, undefined);
});

test('a snapshot off main (another branch, a rolled-back one) does not count', () => {
  const m = table([floe(1n, undefined, '{"t":{"0":10}}'), floe(2n, 1n, '{"t":{"0":20}}'), snap(3n, 1n)], 3n);
  assert.equal(formatOffsets(resolveOffsets(m, 'c').offsets), '{"t":{"0":10}}');
});

test("PyIceberg's expiry clears the kept snapshot's parent: a root with a sequence number above 1 is a truncated history", () => {
  const kept = snap(7n, undefined);
  kept['sequence-number'] = 7;
  assert.equal(mainAncestry(table([kept], 7n)).truncated, true);
  const first = snap(1n, undefined);
  assert.equal(mainAncestry(table([first], 1n)).truncated, false);
  const r = resolveOffsets(table([kept], 7n, floorOf(5n, '{"t":{"0":30}}')), 'c');
  assert.equal(r.source, 'floor');
});

test('no key left in the ancestry because it was expired: the floor', () => {
  const m = table([snap(7n, 6n)], 7n, floorOf(5n, '{"t":{"0":30}}'));
  const r = resolveOffsets(m, 'c');
  assert.equal(r.source, 'floor');
  assert.equal(r.snapshotId, 5n);
  assert.equal(formatOffsets(r.offsets), '{"t":{"0":30}}');
  assert.match(r.notice!, /expired: resuming from the floor written with snapshot 5/);
});

test('the key in an old ancestor but the newer ones expired out of the middle: the ancestry still wins only if its chain is whole', () => {
  // 3's parent 2 is gone: the walk stops at the gap and never sees 1's stale map
  const m = table([floe(1n, undefined, '{"t":{"0":10}}'), snap(3n, 2n)], 3n, floorOf(2n, '{"t":{"0":20}}'));
  const r = resolveOffsets(m, 'c');
  assert.equal(r.source, 'floor');
  assert.equal(formatOffsets(r.offsets), '{"t":{"0":20}}');
});

test('floor ahead of the ancestry (main rolled back): the ancestry wins and the notice names the partitions read again', () => {
  const m = table([floe(1n, undefined, '{"t":{"0":10,"1":4}}'), floe(2n, 1n, '{"t":{"0":20,"1":4,"2":7}}')], 1n, floorOf(2n, '{"t":{"0":20,"1":4,"2":7}}'));
  const r = resolveOffsets(m, 'c');
  assert.equal(r.source, 'ancestry');
  assert.equal(formatOffsets(r.offsets), '{"t":{"0":10,"1":4}}');
  assert.match(r.notice!, /rolled back past connector c's commit in snapshot 2/);
  assert.match(r.notice!, /t\[0\] from 10, t\[2\] from its start/);
});

test("another connector carried this one's map forward: an older floor snapshot is no rollback", () => {
  const m = table([floe(1n, undefined, '{"t":{"0":10}}'), snap(2n, 1n, { [offsetsKey('c')]: '{"t":{"0":10}}', [offsetsKey('d')]: '{"u":{"0":1}}' })], 2n, floorOf(1n, '{"t":{"0":10}}'));
  const r = resolveOffsets(m, 'c');
  assert.equal(r.snapshotId, 2n);
  assert.equal(r.notice, undefined);
});

test("rolled back to before the connector's first commit, history whole: startFrom, with a notice", () => {
  const m = table([snap(1n, undefined), floe(2n, 1n, '{"t":{"0":20}}')], 1n, floorOf(2n, '{"t":{"0":20}}'));
  const r = resolveOffsets(m, 'c');
  assert.equal(r.source, 'none');
  assert.equal(r.offsets.size, 0);
  assert.match(r.notice!, /rolled back to before the connector's first commit/);
});

test("rolled back AND the history expired, the floor's snapshot still there off main: unknown, an error naming the way out", () => {
  const m = table([snap(3n, 2n), floe(5n, 4n, '{"t":{"0":20}}')], 3n, floorOf(5n, '{"t":{"0":20}}'));
  assert.throws(
    () => resolveOffsets(m, 'c'),
    (e: unknown) => e instanceof OffsetsUnknownError && e.message.includes(floorKey('c')),
  );
});

test('neither ancestry nor floor: a new connector, nothing (startFrom), no notice', () => {
  const m = table([snap(1n, undefined), snap(2n, 1n)], 2n);
  assert.deepEqual(resolveOffsets(m, 'c'), { offsets: new Map(), source: 'none' });
  assert.deepEqual(resolveOffsets(table([], undefined), 'c'), { offsets: new Map(), source: 'none' });
});

test("connectors are told apart; connectorsOf lists floors and the head snapshot's keys", () => {
  const m = table([floe(1n, undefined, '{"t":{"0":10}}', 'a'), floe(2n, 1n, '{"u":{"0":3}}', 'b')], 2n, floorOf(1n, '{"t":{"0":10}}', 'a'));
  assert.equal(formatOffsets(resolveOffsets(m, 'a').offsets), '{"t":{"0":10}}');
  assert.equal(formatOffsets(resolveOffsets(m, 'b').offsets), '{"u":{"0":3}}');
  assert.deepEqual(connectorsOf(m), ['a', 'b']);
});
