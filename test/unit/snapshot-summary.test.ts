import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSnapshotId, snapshotSummary } from '../../src/iceberg/snapshot-summary.ts';

test('first append: added counts and totals equal', () => {
  const s = snapshotSummary('append', { addedDataFiles: 2, addedRecords: 10, addedFilesSize: 300, changedPartitionCount: 1 }, undefined);
  assert.deepEqual(s, {
    operation: 'append',
    'added-data-files': '2',
    'added-records': '10',
    'added-files-size': '300',
    'changed-partition-count': '1',
    'total-records': '10',
    'total-files-size': '300',
    'total-data-files': '2',
    'total-delete-files': '0',
    'total-position-deletes': '0',
    'total-equality-deletes': '0',
  });
});

test('totals carry forward from the parent; an unknown parent total is left out', () => {
  const parent = { operation: 'append', 'total-records': '10', 'total-files-size': '300', 'total-data-files': '2' };
  const s = snapshotSummary('append', { addedDataFiles: 1, addedRecords: 5, addedFilesSize: 100 }, parent, { 'floe.x': 'y' });
  assert.equal(s['total-records'], '15');
  assert.equal(s['total-files-size'], '400');
  assert.equal(s['total-data-files'], '3');
  assert.equal(s['total-delete-files'], undefined);
  assert.equal(s['floe.x'], 'y');
  const r = snapshotSummary('replace', { addedDataFiles: 1, addedRecords: 15, addedFilesSize: 350, deletedDataFiles: 3, deletedRecords: 15, removedFilesSize: 400 }, s);
  assert.equal(r['total-records'], '15');
  assert.equal(r['total-data-files'], '1');
  assert.equal(r['total-files-size'], '350');
  assert.equal(r['deleted-data-files'], '3');
});

test('snapshot ids are positive and use the high bits', () => {
  const ids = Array.from({ length: 200 }, newSnapshotId);
  assert.ok(ids.every((id) => id > 0n && id < 1n << 63n));
  assert.ok(
    ids.some((id) => id > 1n << 53n),
    'some ids are above 2^53',
  );
  assert.equal(new Set(ids).size, ids.length);
});
