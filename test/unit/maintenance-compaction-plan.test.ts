// The stitch compaction planner (src/maintenance/compaction-plan.ts): which small files of which
// partition are grouped, and that a partition converges to about ceil(B / target) files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataFile } from '../../src/iceberg/data-file.ts';
import { DEFAULT_TARGET_FILE_SIZE, balancedRuns, planCompaction, targetFileSize } from '../../src/maintenance/compaction-plan.ts';
import type { PlanFile } from '../../src/maintenance/compaction-plan.ts';

let n = 0;
function file(size: number, partition: unknown[] = ['a'], specId = 0, content: 0 | 1 = 0): PlanFile {
  const dataFile: DataFile = { content, 'file-path': `s3://b/t/data/f${String(n++).padStart(4, '0')}.parquet`, 'file-format': 'PARQUET', partition, 'record-count': 1, 'file-size-in-bytes': size };
  return { dataFile, specId, sequenceNumber: n };
}

test('target size: write.target-file-size-bytes, else 512 MiB', () => {
  assert.equal(targetFileSize({}), DEFAULT_TARGET_FILE_SIZE);
  assert.equal(targetFileSize({ 'write.target-file-size-bytes': '1000' }), 1000);
  assert.equal(targetFileSize({ 'write.target-file-size-bytes': 'x' }), DEFAULT_TARGET_FILE_SIZE);
});

test('groups: per spec and partition, small files only, deletes block a partition', () => {
  const files = [file(10, ['a']), file(20, ['a']), file(1000, ['a']), file(10, ['b']), file(15, ['b']), file(5, ['c']), file(10, ['a'], 1), file(10, ['a'], 1), file(3, [7n]), file(4, [7n])];
  const groups = planCompaction(files, { targetBytes: 100, deleteFiles: [file(1, ['b'], 0, 1)] });
  const seen = groups.map((g) => `${g.specId}:${String(g.partition[0])}:${g.files.map((f) => f['file-size-in-bytes']).join('+')}`).sort();
  assert.deepEqual(seen, ['0:7:3+4', '0:a:10+20', '1:a:10+10']);
  // a delete of an unpartitioned spec applies everywhere: nothing is planned
  assert.deepEqual(planCompaction(files, { targetBytes: 100, deleteFiles: [file(1, [], 2, 1)], unpartitionedSpecIds: [2] }), []);
  assert.equal(planCompaction(files, { targetBytes: 100, maxGroups: 1 }).length, 1);
});

test('balanced runs: k consecutive runs of about total / k', () => {
  assert.deepEqual(balancedRuns([1, 1, 1, 1], 2), [2, 2]);
  assert.deepEqual(balancedRuns([5, 1, 1, 1, 1, 1], 2), [1, 5]);
  assert.deepEqual(balancedRuns([1, 1, 1], 3), [1, 1, 1]);
  assert.deepEqual(balancedRuns([9, 9, 9], 1), [3]);
});

/** One round of compaction on sizes: each group becomes one file of its total size. */
function round(sizes: number[], target: number): number[] {
  const files = sizes.map((s) => file(s));
  const groups = planCompaction(files, { targetBytes: target });
  const grouped = new Set(groups.flatMap((g) => g.files));
  return [...files.filter((f) => !grouped.has(f.dataFile)).map((f) => f.dataFile['file-size-in-bytes']), ...groups.map((g) => g.bytes)];
}

test('convergence: n small files of B bytes become about ceil(B / target) files', () => {
  const rnd = (() => {
    let s = 42;
    return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  })();
  for (let trial = 0; trial < 200; trial++) {
    const target = 1000;
    const count = 2 + Math.floor(rnd() * 60);
    const sizes = Array.from({ length: count }, () => 1 + Math.floor(rnd() * (rnd() < 0.2 ? 999 : 200)));
    const total = sizes.reduce((a, b) => a + b, 0);
    const after = round(sizes, target);
    assert.equal(
      after.reduce((a, b) => a + b, 0),
      total,
      'no bytes lost',
    );
    const k = Math.ceil(total / target);
    assert.ok(after.length <= Math.max(k, 1) || after.length === count, `trial ${trial}: ${count} files, ${total} bytes → ${after.length}, want ≤ ${k}`);
    // no output is more than the target plus one input file
    for (const s of after) assert.ok(s <= target + Math.max(...sizes), `output ${s} too large`);
    // a second round changes nothing more than merging what is still small
    const again = round(after, target);
    assert.ok(again.length <= after.length);
  }
  // the steady stream: one small file per commit, compacted every 10 commits, stays near B / target
  let files: number[] = [];
  for (let c = 1; c <= 300; c++) {
    files.push(37);
    if (c % 10 === 0) files = round(files, 1000);
  }
  const total = files.reduce((a, b) => a + b, 0);
  assert.ok(files.length <= Math.ceil(total / 1000) + 1, `${files.length} files for ${total} bytes`);
});

test('a partition with nothing to join but many small row groups is one group (to be rewritten), unless turned off', () => {
  const fragmented = (size: number, rowGroups: number, partition: unknown[] = ['a']): PlanFile => {
    const f = file(size, partition);
    f.dataFile['split-offsets'] = Array.from({ length: rowGroups }, (_, i) => 4 + i * Math.floor(size / rowGroups));
    return f;
  };
  const target = 64 << 20;
  // one stitched file of 100 row groups of 50 KB: a group of one
  const one = planCompaction([fragmented(5_000_000, 100)], { targetBytes: target });
  assert.deepEqual(
    one.map((g) => g.files.length),
    [1],
  );
  // 64 row groups or fewer, or row groups of 1 MiB and more: left alone
  assert.deepEqual(planCompaction([fragmented(5_000_000, 64)], { targetBytes: target }), []);
  assert.deepEqual(planCompaction([fragmented(200 << 20, 100)], { targetBytes: 512 << 20 }), []);
  // the row groups of a partition's files count together
  assert.equal(planCompaction([fragmented(2_000_000, 40, ['b']), fragmented(2_000_000, 40, ['b'])], { targetBytes: 2_500_000 })[0]?.files.length, 2);
  // a stitch-only run turns it off; a file without split offsets counts as one row group
  assert.deepEqual(planCompaction([fragmented(5_000_000, 100)], { targetBytes: target, maxRowGroups: Infinity }), []);
  assert.deepEqual(planCompaction([file(5_000_000)], { targetBytes: target }), []);
});
