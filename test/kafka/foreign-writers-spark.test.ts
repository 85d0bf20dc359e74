// Exactly once when Spark, the engine users run for maintenance, commits to floe's table between
// floe's commits and across a SIGKILL and restarts: rewrite_data_files (a replace snapshot on
// top of floe's), rewrite_manifests, an INSERT, a column added, and rewrite_data_files followed
// by expire_snapshots keeping only the newest snapshot (no snapshot with floe's key is left: the
// floor must carry it). Judged by PyIceberg: every (partition, offset) once; Spark's own row kept.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { offsetsKey } from '../../src/commit/offsets-map.ts';
import { currentSchema, currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import { runSpark, sparkTable } from '../helpers/spark.ts';
import type { SparkOptions } from '../helpers/spark.ts';
import { stackS3 } from '../helpers/stack.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import { assertExactlyOnce, FloeProcess, kafkaRows, newScenario, produce, waitCovered, waitForLog } from './foreign-harness.ts';
import type { Scenario } from './foreign-harness.ts';
import { kafkaClients } from './helpers.ts';

const kafka = kafkaClients();
const procs: FloeProcess[] = [];
after(async () => {
  for (const p of procs) await p.kill();
});

function sparkOptions(s: Scenario): SparkOptions {
  if (s.reader.type === 'rest') return { catalog: { type: 'rest', uri: s.reader.uri }, s3: stackS3() };
  return { catalog: { type: 'sql', uri: s.reader.uri, warehouse: s.reader.warehouse, name: s.reader.name } };
}

async function head(s: Scenario) {
  const t = await s.catalog.loadTable(parseTableName(s.table));
  return { table: t, snapshot: currentSnapshot(t.metadata)! };
}

for (const kind of ['sql', 'rest'] as const) {
  test(`${kind}: Spark compaction, manifest rewrite, INSERT, a new column and expiry between floe commits, a SIGKILL and restarts: every record once`, async () => {
    const s = await newScenario(kafka, `fw-spark-${kind}`, { kind });
    const spark = sparkOptions(s);
    const t = sparkTable(spark, s.table);
    const p = new FloeProcess(s).start();
    procs.push(p);
    // several small commits, so compaction has files to combine
    for (let i = 0; i < 3; i++) {
      await produce(s, 120);
      await waitCovered(s, [p]);
    }

    // 1. compaction while floe runs: a replace snapshot without floe's key on top
    const [[rewrite]] = await runSpark(spark, [`CALL ${sparkCatalog(t)}.system.rewrite_data_files(table => '${s.table}', options => map('min-input-files', '2'))`]);
    assert.ok(Number(rewrite.rewritten_data_files_count) >= 2, `Spark rewrote files: ${JSON.stringify(rewrite)}`);
    let h = await head(s);
    assert.equal(h.snapshot.summary.operation, 'replace');
    assert.equal(h.snapshot.summary[offsetsKey('fw')], undefined, "Spark does not copy floe's summary entries");
    await produce(s, 200);
    await waitCovered(s, [p]);

    // 2. SIGKILL with records in flight; Spark rewrites manifests and INSERTs a row; restart
    await produce(s, 100);
    await p.kill();
    await runSpark(spark, [
      `CALL ${sparkCatalog(t)}.system.rewrite_manifests('${s.table}')`,
      `INSERT INTO ${t} (n, src, _kafka_topic, _kafka_partition, _kafka_offset, _kafka_timestamp) VALUES (-1, 'spark', 'spark', 0, 0, TIMESTAMP '2026-12-06 00:00:00')`,
    ]);
    p.start();
    await waitCovered(s, [p]);

    // 3. Spark adds a column while floe runs; floe keeps landing records
    await runSpark(spark, [`ALTER TABLE ${t} ADD COLUMN note string`]);
    await produce(s, 100);
    await waitCovered(s, [p]);
    await p.stop();

    // 4. compaction, then expiry of every snapshot but the newest: no floe key is left anywhere
    await runSpark(spark, [
      `CALL ${sparkCatalog(t)}.system.rewrite_data_files(table => '${s.table}', options => map('min-input-files', '2'))`,
      `CALL ${sparkCatalog(t)}.system.expire_snapshots(table => '${s.table}', older_than => TIMESTAMP '2100-01-01 00:00:00', retain_last => 1)`,
    ]);
    h = await head(s);
    assert.equal(h.table.metadata.snapshots!.length, 1, 'one snapshot left');
    assert.equal(h.snapshot.summary.operation, 'replace');
    assert.equal(resolveOffsets(h.table.metadata, 'fw').source, 'floor', 'only the floor knows the offsets now');
    assert.ok(
      currentSchema(h.table.metadata).fields.some((f) => f.name === 'note'),
      "Spark's column is there",
    );

    p.start();
    await waitForLog(p, /expired: resuming from the floor/);
    await produce(s, 100);
    await waitCovered(s, [p]);
    await p.stop();
    await assertExactlyOnce(s);
    assert.equal((await kafkaRows(s, 'spark')).length, 1, "Spark's row is kept");
  });
}

test("sql: a column Spark renames while floe runs takes the records' field of the old name; no column of the old name comes back", async () => {
  const s = await newScenario(kafka, 'fw-spark-rename', { kind: 'sql' });
  const spark = sparkOptions(s);
  const t = sparkTable(spark, s.table);
  const p = new FloeProcess(s).start();
  procs.push(p);
  await produce(s, 60);
  await waitCovered(s, [p]);
  await runSpark(spark, [`ALTER TABLE ${t} RENAME COLUMN src TO source`]);
  await produce(s, 60); // still {"n": ..., "src": "kafka"}
  await waitCovered(s, [p]);
  await p.stop();
  await assertExactlyOnce(s);
  const names = currentSchema((await head(s)).table.metadata).fields.map((f) => f.name);
  assert.ok(names.includes('source') && !names.includes('src'), `columns: ${names.join(', ')}`);
  const rows = await readWithPyIceberg({ catalog: s.reader, table: s.table, columns: ['n', 'source'], timeoutMs: 120_000 });
  assert.equal(rows.rows.length, 120);
  assert.deepEqual([...new Set(rows.rows.map((r) => r.source))], ['kafka'], 'every record, before and after the rename, in the renamed column');
});

/** The catalog part of a qualified Spark table name (procedures are called on it). */
function sparkCatalog(qualified: string): string {
  return qualified.slice(0, qualified.length - qualified.split('.').slice(-2).join('.').length - 1);
}
