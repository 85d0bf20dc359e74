// Manifest rewrite (src/maintenance/rewrite-manifests.ts), the pure parts: when the manifests
// have piled up enough to rewrite them, and how the entries are clustered by partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManifestEntry } from '../../src/iceberg/manifest.ts';
import type { ManifestFile } from '../../src/iceberg/manifest-list.ts';
import { clusterEntries, comparePartitions, shouldRewriteManifests } from '../../src/maintenance/rewrite-manifests.ts';
import type { ManifestWithEntries } from '../../src/maintenance/table-files.ts';

function entry(partition: unknown[], path: string, status: 0 | 1 | 2 = 1): ManifestEntry {
  return {
    status,
    snapshotId: 1n,
    sequenceNumber: 1,
    fileSequenceNumber: 1,
    dataFile: { content: 0, 'file-path': path, 'file-format': 'PARQUET', partition, 'file-size-in-bytes': 10, 'record-count': 1 },
  };
}

function manifest(entries: ManifestEntry[], length = 5000, specId = 0, content: 0 | 1 = 0): ManifestWithEntries {
  return { manifest: { manifestPath: `m${Math.random()}`, manifestLength: length, partitionSpecId: specId, content } as ManifestFile, entries };
}

test('partitions order: null first, numbers and bigints by value, strings by UTF-8 bytes, bytes unsigned', () => {
  const vals: unknown[][] = [[2n], [null], [-5n], [10n]];
  assert.deepEqual([...vals].sort(comparePartitions), [[null], [-5n], [2n], [10n]]);
  assert.ok(comparePartitions(['\uffff'], ['\u{10000}']) < 0, 'UTF-8 order, not UTF-16');
  assert.ok(comparePartitions([new Uint8Array([0x80])], [new Uint8Array([0x7f, 1])]) > 0);
  assert.ok(comparePartitions(['a', 1], ['a', 2]) < 0);
  assert.equal(comparePartitions(['a', null], ['a', null]), 0);
});

test('clustering: sorted by partition, cut at partition boundaries, a large partition split', () => {
  const es: ManifestEntry[] = [];
  const sizes: Record<string, number> = { c: 2, a: 3, b: 7, d: 1 };
  for (const [p, n] of Object.entries(sizes)) for (let i = 0; i < n; i++) es.push(entry([p], `${p}/${n - i}`));
  es.reverse();
  const runs = clusterEntries(es, 4);
  const parts = runs.map((r) => r.map((e) => e.dataFile.partition[0]).join(''));
  assert.deepEqual(parts, ['aaa', 'bbbb', 'bbb', 'ccd']);
  assert.deepEqual(
    runs.flat().map((e) => e.dataFile['file-path']),
    [...es].map((e) => e.dataFile['file-path']).sort(),
    'every entry once, in partition then path order',
  );
  assert.deepEqual(
    clusterEntries(es, Infinity).map((r) => r.length),
    [13],
  );
  assert.deepEqual(clusterEntries([], 3), []);
});

test('trigger: many small manifests, or far more manifests than partitions warrant', () => {
  const target = 8 * 1024 * 1024;
  const many = Array.from({ length: 100 }, (_, i) => manifest([entry([i % 50], `f${i}`)]));
  assert.equal(shouldRewriteManifests(many, target).rewrite, true);
  assert.match(shouldRewriteManifests(many, target).reason, /100 data manifests smaller/);
  assert.equal(shouldRewriteManifests(many.slice(0, 99), target).rewrite, false, '99 manifests for 50 partitions');
  // 20 manifests of 2 partitions: more than 4 × 2
  const few = Array.from({ length: 20 }, (_, i) => manifest([entry([i % 2], `f${i}`)]));
  assert.equal(shouldRewriteManifests(few, target).rewrite, true);
  assert.equal(shouldRewriteManifests(few.slice(0, 15), target).rewrite, false, 'fewer than 16 manifests');
  assert.equal(shouldRewriteManifests(few, target, { factor: 10 }).rewrite, false);
  // delete manifests do not count
  const deletes = Array.from({ length: 120 }, (_, i) => manifest([entry([0], `d${i}`)], 5000, 0, 1));
  assert.equal(shouldRewriteManifests([...deletes, few[0]], target).rewrite, false);
  // force: rewrites whenever it changes something
  assert.equal(shouldRewriteManifests([few[0]], target, { force: true }).rewrite, false);
  assert.equal(shouldRewriteManifests([manifest([entry([0], 'a'), entry([0], 'b', 2)])], target, { force: true }).rewrite, true, 'a deleted entry to drop');
  assert.equal(shouldRewriteManifests(few.slice(0, 2), target, { force: true }).rewrite, true);
});
