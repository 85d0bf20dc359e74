// Exactly once when other engines write to floe's table (PyIceberg as the other engine; Spark in
// foreign-writers-spark.test.ts). Their snapshots carry no floe key; floe must find its offsets in
// main's ancestry, or in the floor once those snapshots are expired, and land every Kafka record
// exactly once across foreign appends, row deletes, expiry, a rollback, a second connector on
// the same table, SIGKILLs and restarts. Judged by PyIceberg: (partition, offset) once each.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { commitBatch, FencedError } from '../../src/commit/exactly-once.ts';
import { offsetsKey, parseOffsets } from '../../src/commit/offsets-map.ts';
import { snapshotLineage } from '../../src/commit/lineage.ts';
import { currentSchema, currentSnapshot, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { writeDataFiles } from '../../src/writer/fanout-writer.ts';
import { assertExactlyOnce, FloeProcess, kafkaRows, newScenario, produce, pyiceberg, waitCovered, waitForLog } from './foreign-harness.ts';
import type { Scenario } from './foreign-harness.ts';
import { kafkaClients } from './helpers.ts';

const kafka = kafkaClients();

const procs: FloeProcess[] = [];
after(async () => {
  for (const p of procs) await p.kill();
});
function floe(s: Scenario, name = 'fw'): FloeProcess {
  const p = new FloeProcess(s, name);
  procs.push(p);
  return p;
}

/** Rows another engine appends: Kafka columns filled with a topic of their own, so the judge skips them. */
function foreignRows(tag: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({ n: String(-1 - i), src: tag, _kafka_topic: tag, _kafka_partition: 0, _kafka_offset: String(i) }));
}

async function head(s: Scenario) {
  const t = await s.catalog.loadTable(parseTableName(s.table));
  return { table: t, snapshot: currentSnapshot(t.metadata)! };
}

for (const kind of ['sql', 'rest'] as const) {
  test(`${kind}: PyIceberg appends and a row delete between floe commits, a commit on one partition, SIGKILL and restarts: every record once, the deleted row stays deleted`, async () => {
    const s = await newScenario(kafka, `fw-py-${kind}`, { kind });
    const p = floe(s).start();
    await produce(s, 400);
    await waitCovered(s, [p]);

    // a foreign append on top while floe runs; floe's next commit must still see its map
    await pyiceberg(s, [{ op: 'append', rows: foreignRows('pyiceberg', 3) }]);
    await produce(s, 200);
    await waitCovered(s, [p]);

    // a row delete (GDPR): n = 5 is partition 1, offset 1
    await pyiceberg(s, [{ op: 'delete', row_filter: `_kafka_topic == '${s.topic}' and n == 5` }]);
    const gone = new Set(['1:1']);
    // 50 records on one partition: the snapshot floe writes must still hold every partition
    await produce(s, 50, { partition: 2 });
    await waitCovered(s, [p]);
    const { snapshot } = await head(s);
    assert.deepEqual([...parseOffsets(snapshot.summary[offsetsKey('fw')]).get(s.topic)!.keys()].sort(), [0, 1, 2, 3], 'floe carries the whole map forward');
    const lineage = snapshotLineage(snapshot)!;
    assert.equal(lineage.connector, 'fw');
    assert.deepEqual(
      lineage.ranges.map((r) => [r.partition, r.from, r.to]),
      [[2, 150n, 200n]],
      'the lineage names the one range this commit covers',
    );

    // SIGKILL with records in flight, a foreign append on top, restart
    await produce(s, 200);
    await p.kill();
    await pyiceberg(s, [{ op: 'append', rows: foreignRows('pyiceberg2', 2) }]);
    p.start();
    await waitCovered(s, [p]);
    await p.stop();
    // a clean restart with a foreign snapshot on top again
    await pyiceberg(s, [{ op: 'append', rows: foreignRows('pyiceberg3', 1) }]);
    p.start();
    await produce(s, 100);
    await waitCovered(s, [p]);
    await p.stop();
    await assertExactlyOnce(s, gone);
    assert.equal((await kafkaRows(s, 'pyiceberg')).length, 3, 'the foreign rows are kept');
  });
}

test('expiry: every snapshot holding the offsets expired under a foreign snapshot on top; restart resumes from the floor', async () => {
  const s = await newScenario(kafka, 'fw-expire');
  const p = floe(s).start();
  await produce(s, 300);
  await waitCovered(s, [p]);
  await p.stop();
  await pyiceberg(s, [{ op: 'append', rows: foreignRows('pyiceberg', 2) }, { op: 'expire_all_but_current' }]);
  const { table } = await head(s);
  assert.equal(table.metadata.snapshots!.length, 1, 'only the foreign snapshot is left');
  const resolved = resolveOffsets(table.metadata, 'fw');
  assert.equal(resolved.source, 'floor');
  assert.deepEqual([...resolved.offsets.get(s.topic)!.values()], [75n, 75n, 75n, 75n]);

  p.start();
  await waitForLog(p, /expired: resuming from the floor/);
  await produce(s, 200);
  await waitCovered(s, [p]);
  await p.stop();
  await assertExactlyOnce(s);
  const after = await head(s);
  assert.equal(resolveOffsets(after.table.metadata, 'fw').source, 'ancestry', "floe's next snapshot carries the map again");
});

test('rollback of main to an older snapshot: the rolled-back records land again, each once, and floe says so', async () => {
  const s = await newScenario(kafka, 'fw-rollback');
  const p = floe(s).start();
  await produce(s, 200);
  await waitCovered(s, [p]);
  const older = (await head(s)).snapshot['snapshot-id'];
  await produce(s, 200);
  await waitCovered(s, [p]);
  await p.stop();
  await pyiceberg(s, [{ op: 'rollback', snapshot_id: String(older) }]);
  assert.equal((await kafkaRows(s)).length, 200, 'the rollback removed the later rows');

  p.start();
  await waitForLog(p, /rolled back/);
  await produce(s, 40);
  await waitCovered(s, [p]);
  await p.stop();
  await assertExactlyOnce(s);
});

test('two connectors with different names on one table, each restarted after the other committed: each finds its own map', async () => {
  const s = await newScenario(kafka, 'fw-two', { connectors: ['fa', 'fb'] });
  const a = floe(s, 'fa').start();
  const b = floe(s, 'fb').start();
  for (let round = 0; round < 3; round++) {
    await produce(s, 150, { connector: 'fa' });
    await produce(s, 100, { connector: 'fb' });
    await waitCovered(s, [a, b], 'fa');
    await waitCovered(s, [a, b], 'fb');
    if (round === 1) {
      await a.kill();
      await b.stop();
      a.start();
      b.start();
    }
  }
  await a.stop();
  await b.stop();
  // the newest snapshot (whichever connector wrote it) carries both maps
  const { snapshot } = await head(s);
  assert.ok(snapshot.summary[offsetsKey('fa')] && snapshot.summary[offsetsKey('fb')], `both maps in the head snapshot: ${JSON.stringify(snapshot.summary)}`);
  // restart both once more on a table the other wrote last
  a.start();
  b.start();
  await produce(s, 60, { connector: 'fa' });
  await produce(s, 60, { connector: 'fb' });
  await waitCovered(s, [a, b], 'fa');
  await waitCovered(s, [a, b], 'fb');
  await a.stop();
  await b.stop();
  await assertExactlyOnce(s, new Set(), 'fa');
  await assertExactlyOnce(s, new Set(), 'fb');
});

test('a zombie is fenced while the connector runs and another engine commits on top of its last snapshot: its rows never land', async () => {
  const s = await newScenario(kafka, 'fw-zombie');
  const p = floe(s).start();
  await produce(s, 100);
  await waitCovered(s, [p]);
  await pyiceberg(s, [{ op: 'append', rows: foreignRows('pyiceberg', 1) }]);
  const before = await head(s);
  // a worker that lost partition 0 but still believes it starts at 0: it wrote offsets 0..24 again
  const t = before.table;
  const batch = new PartitionedBatch(s.table, currentSchema(t.metadata), defaultSpec(t.metadata));
  for (let o = 0; o < 25; o++) batch.append({ n: BigInt(o * 4), src: 'kafka', _kafka_topic: s.topic, _kafka_partition: 0, _kafka_offset: BigInt(o) });
  const files = await writeDataFiles(t, currentSchema(t.metadata), defaultSpec(t.metadata), batch.drain());
  await assert.rejects(
    commitBatch({ connector: 'fw', catalog: s.catalog, table: parseTableName(s.table), files, ranges: [{ topic: s.topic, partition: 0, from: 0n, to: 25n }] }),
    (e: unknown) => e instanceof FencedError && e.moved[0].actual === 25n,
  );
  assert.equal((await head(s)).snapshot['snapshot-id'], before.snapshot['snapshot-id'], 'the zombie committed nothing');
  // the running connector goes on committing on top of the foreign snapshot
  await produce(s, 100);
  await waitCovered(s, [p]);
  await p.stop();
  await assertExactlyOnce(s);
});
