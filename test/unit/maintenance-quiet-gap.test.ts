// When maintenance commits (src/maintenance/quiet-gap.ts): the cadence read off the table's
// appends, and the wait for the gap after the next append, on a fake clock and a scripted catalog
// (one module's unit test; the benchmark and test/kafka/maintenance-beside-ingestion.test.ts run
// it beside a real connector).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog, LoadedTable } from '../../src/catalog/catalog.ts';
import type { Snapshot, TableMetadata } from '../../src/iceberg/table-metadata.ts';
import { afterNextAppend, appendCadence } from '../../src/maintenance/quiet-gap.ts';

function snap(id: number, at: number, operation = 'append'): Snapshot {
  return { 'snapshot-id': BigInt(id), 'timestamp-ms': at, 'manifest-list': `m${id}`, summary: { operation } } as Snapshot;
}

function tableOf(snapshots: Snapshot[]): LoadedTable {
  const head = snapshots.at(-1);
  const metadata = {
    snapshots,
    'current-snapshot-id': head?.['snapshot-id'] ?? null,
    refs: head ? { main: { 'snapshot-id': head['snapshot-id'], type: 'branch' } } : {},
  } as unknown as TableMetadata;
  return { identifier: { namespace: ['db'], name: 't' }, metadataLocation: `v${snapshots.length}`, metadata, config: {} };
}

/** A clock that sleep() moves, and a catalog whose table gains an append at the given time. */
function scripted(snapshots: Snapshot[], start: number, appendAt?: number) {
  let now = start;
  let loads = 0;
  const catalog = {
    loadTable: async () => {
      loads++;
      const list = appendAt !== undefined && now >= appendAt ? [...snapshots, snap(999, appendAt)] : snapshots;
      return tableOf(list);
    },
  } as unknown as Catalog;
  return {
    catalog,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    loads: () => loads,
  };
}

const everySecond = (n: number, from = 0) => Array.from({ length: n }, (_v, i) => snap(i + 1, from + i * 1000));

test('the cadence is the median gap of the recent appends; other operations and too few appends do not count', () => {
  assert.equal(appendCadence(tableOf([snap(1, 0), snap(2, 1000)]).metadata), undefined, 'two appends make no cadence');
  const mixed = [snap(1, 0), snap(2, 1000), snap(3, 1500, 'replace'), snap(4, 2000), snap(5, 5000), snap(6, 6000)];
  assert.deepEqual(appendCadence(tableOf(mixed).metadata), { gapMs: 1000, lastAppendMs: 6000 });
  // only the last nine appends: an old slow stretch does not count
  const recent = [...Array.from({ length: 5 }, (_v, i) => snap(i + 1, i * 60_000)), ...everySecond(9, 300_000).map((s, i) => ({ ...s, 'snapshot-id': BigInt(100 + i) }))];
  assert.equal(appendCadence(tableOf(recent).metadata)?.gapMs, 1000);
});

test('writers that append on a cadence: the first attempt waits for the next append and builds on the table it left', async () => {
  const history = everySecond(10); // appends at 0 … 9000
  const s = scripted(history, 9300, 10_000);
  const wait = afterNextAppend(s.catalog, { namespace: ['db'], name: 't' }, { now: s.now, sleep: s.sleep });
  const t = await wait(tableOf(history), 1);
  assert.equal(t.metadata['current-snapshot-id'], 999n, 'built on the table with the new append');
  assert.ok(s.now() >= 10_000 && s.now() <= 10_000 + 100, `committed within a poll (a tenth of the gap) of the append, at ${s.now()}`);
});

test('no append comes: the wait ends after one and a half gaps (or maxWaitMs) with the table as it is', async () => {
  const history = everySecond(10);
  const s = scripted(history, 9100);
  const wait = afterNextAppend(s.catalog, { namespace: ['db'], name: 't' }, { now: s.now, sleep: s.sleep });
  const t = await wait(tableOf(history), 1);
  assert.equal(t.metadata['current-snapshot-id'], 10n);
  assert.equal(s.now(), 9100 + 1500);
  const capped = scripted(history, 9100);
  await afterNextAppend(capped.catalog, { namespace: ['db'], name: 't' }, { now: capped.now, sleep: capped.sleep, maxWaitMs: 200 })(tableOf(history), 1);
  assert.equal(capped.now(), 9100 + 200);
});

test('no wait: writers that stopped, a retry after a conflict, maxWaitMs 0, a table without a cadence', async () => {
  const history = everySecond(10);
  const id = { namespace: ['db'], name: 't' };
  const stopped = scripted(history, 9000 + 3 * 1000 + 5000 + 1);
  const asLoaded = tableOf(history);
  assert.equal(await afterNextAppend(stopped.catalog, id, { now: stopped.now, sleep: stopped.sleep })(asLoaded, 1), asLoaded);
  assert.equal(stopped.loads(), 0, 'stopped writers: no poll');
  for (const [attempt, maxWaitMs] of [
    [2, undefined],
    [1, 0],
  ] as const) {
    const s = scripted(history, 9300, 10_000);
    const given = tableOf(history);
    assert.equal(await afterNextAppend(s.catalog, id, { now: s.now, sleep: s.sleep, maxWaitMs })(given, attempt), given);
    assert.equal(s.loads(), 0);
  }
  const young = [snap(1, 0), snap(2, 1000)];
  const s = scripted(young, 1200, 2000);
  const given = tableOf(young);
  assert.equal(await afterNextAppend(s.catalog, id, { now: s.now, sleep: s.sleep })(given, 1), given);
  assert.equal(s.loads(), 0);
});
