import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sustainedRecordsPerSec } from '../../bench/e2e/floe-run.ts';
import type { SeenSnapshot } from '../../bench/e2e/floe-run.ts';

let seq = 0;
function snap(table: string, timestampMs: number, addedRecords: number, partitions = 't:0,t:1'): SeenSnapshot {
  seq++;
  return { id: BigInt(seq), sequence: seq, timestampMs, observedMs: timestampMs, addedRecords, addedFiles: addedRecords > 0 ? 1 : 0, offsets: new Map(), table, partitions };
}

test('the sustained rate leaves out the last snapshot, which holds the tail that waited for the commit interval', () => {
  // assigned at 1,000 ms; busy intervals commit 600k records at 3,000 and 5,000 ms; the last 100k records wait until 7,000 ms
  const snaps = [snap('t', 3000, 600_000), snap('t', 5000, 600_000), snap('t', 7000, 100_000)];
  const r = sustainedRecordsPerSec(snaps, 1000);
  assert.deepEqual(r, { recordsPerSec: 300_000, writers: 1 });
  // every record to the last commit would have said 1.3M / 6 s = 216,667
});

test('with several tables each table leaves out its own last snapshot, and the rates of the tables add up; snapshots without rows count for nothing', () => {
  const snaps = [snap('a', 2000, 100), snap('b', 2100, 300), snap('a', 3000, 0), snap('a', 4000, 200), snap('b', 4100, 50), snap('a', 5000, 10)];
  // a: 100 + 200 to 4,000 ms (its last, 10 at 5,000, left out): 75/s; b: 300 to 2,100 ms (its last, 50, left out): 142.9/s
  assert.deepEqual(sustainedRecordsPerSec(snaps, 0), { recordsPerSec: 218, writers: 2 });
  // one end time for both (a's 4,000 ms) would have given 600 / 4 s = 150/s: b's records up to 2,100 ms over a's time
});

test('a writer with one snapshot counts its records to it, beside writers with more', () => {
  const snaps = [snap('a', 2000, 100), snap('a', 4000, 100), snap('b', 3000, 60)];
  assert.deepEqual(sustainedRecordsPerSec(snaps, 0), { recordsPerSec: 70, writers: 2 });
});

test('with two group members on one table each member leaves out its own last snapshot', () => {
  // members A (t:0) and B (t:1) each commit 300k at ~3 s; A's tail of 200k at 5 s, B's of 10k at 7 s: 300k/2 s + 300k/2.1 s
  const snaps = [snap('t', 3000, 300_000, 't:0'), snap('t', 3100, 300_000, 't:1'), snap('t', 5000, 200_000, 't:0'), snap('t', 7000, 10_000, 't:1')];
  assert.deepEqual(sustainedRecordsPerSec(snaps, 1000), { recordsPerSec: 292_857, writers: 2 });
});

test("one member's snapshots naming different partitions (an interval a partition gave a table nothing) are one writer", () => {
  const snaps = [snap('t', 3000, 300_000, 't:0,t:1'), snap('t', 5000, 100_000, 't:1,t:2'), snap('t', 6000, 300_000, 't:0,t:2'), snap('t', 9000, 1_000, 't:2')];
  // t:0, t:1 and t:2 are named together: one writer, whose last snapshot (9,000 ms) alone is left out
  assert.deepEqual(sustainedRecordsPerSec(snaps, 1000), { recordsPerSec: 140_000, writers: 1 });
});

test('a run whose tables have one snapshot each has no sustained rate', () => {
  assert.equal(sustainedRecordsPerSec([snap('a', 2000, 100), snap('b', 2500, 100)], 0), undefined);
  assert.equal(sustainedRecordsPerSec([], 0), undefined);
  // a snapshot taken before the start cannot make a rate
  assert.equal(sustainedRecordsPerSec([snap('a', 500, 100), snap('a', 900, 100)], 1000), undefined);
});
