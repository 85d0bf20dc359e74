// Exactly once when Trino compacts floe's table: `floe run` lands JSON records from the real
// broker in a table (REST catalog on S3, or floe's embedded SQLite catalog), Trino runs `ALTER TABLE ... EXECUTE optimize` (a replace
// snapshot without floe's summary entries) while floe is idle and again while floe commits, and
// floe goes on. Judged by Trino itself (the _kafka_* metadata columns: every (partition, offset)
// once, every value of n) and by PyIceberg (assertExactlyOnce); floe's offsets summary on the
// newest snapshot says the topic's end offsets.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { offsetsKey } from '../../src/commit/offsets-map.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import { openTrinoSqlCatalog, trino, trinoQuery, trinoTable } from '../helpers/trino.ts';
import { assertExactlyOnce, FloeProcess, newScenario, produce, waitCovered } from './foreign-harness.ts';
import type { Scenario } from './foreign-harness.ts';
import { kafkaClients } from './helpers.ts';

const kafka = kafkaClients();
const procs: FloeProcess[] = [];
after(async () => {
  for (const p of procs) await p.kill();
});

const fileCount = async (s: Scenario, catalog: string) => Number((await trino(`SELECT count(*) AS n FROM ${trinoTable(`${s.table}$files`, catalog)}`))[0].n);

for (const kind of ['rest', 'sql'] as const) {
  test(`${kind}: Trino's optimize between and during floe's commits: every record once, floe's offsets right after it`, async () => {
    const s = await newScenario(kafka, `fw-trino-${kind}`, { kind });
    const catalog = s.reader.type === 'sql' ? await openTrinoSqlCatalog(s.reader) : { name: 'floe', drop: async () => {} };
    const t = trinoTable(s.table, catalog.name);
    const p = new FloeProcess(s).start();
    procs.push(p);
    try {
      // several small commits, so optimize has files to combine
      for (let i = 0; i < 3; i++) {
        await produce(s, 100);
        await waitCovered(s, [p]);
      }
      assert.deepEqual(await trino(`SELECT count(*) AS n FROM ${t}`), [{ n: '300' }]);
      const filesBefore = await fileCount(s, catalog.name);

      // 1. optimize while floe is idle: one replace snapshot on top of floe's, fewer files
      const optimize = await trinoQuery(`ALTER TABLE ${t} EXECUTE optimize`);
      assert.equal(optimize.updateType, 'ALTER TABLE EXECUTE');
      const filesAfter = await fileCount(s, catalog.name);
      assert.ok(filesAfter < filesBefore, `optimize combined files: ${filesBefore} → ${filesAfter}`);
      const head = currentSnapshot((await s.catalog.loadTable(parseTableName(s.table))).metadata)!;
      assert.equal(head.summary.operation, 'replace');
      assert.deepEqual(
        Object.keys(head.summary).filter((k) => k.startsWith('floe.')),
        [],
        "Trino's snapshot carries none of floe's entries",
      );

      // 2. floe goes on on top of Trino's snapshot (its offsets come from the ancestry)
      await produce(s, 150);
      await waitCovered(s, [p]);

      // 3. optimize while floe commits (records produced before and during it)
      await produce(s, 200);
      const during = trinoQuery(`ALTER TABLE ${t} EXECUTE optimize`);
      await produce(s, 200);
      await during;
      await produce(s, 50);
      await waitCovered(s, [p]);
      await p.stop();

      // ---- the judges: Trino (metadata columns and values) and PyIceberg
      const total = s.produced.get(s.topic)!;
      const ends = await s.kafka.admin.endOffsets(s.topic);
      const perPartition = await trino(
        `SELECT _kafka_partition AS p, count(*) AS n, count(DISTINCT _kafka_offset) AS distinct_offsets, min(_kafka_offset) AS lo, max(_kafka_offset) AS hi ` +
          `FROM ${t} WHERE _kafka_topic = '${s.topic}' GROUP BY _kafka_partition ORDER BY 1`,
      );
      assert.deepEqual(
        perPartition,
        [...ends].sort(([a], [b]) => a - b).map(([part, end]) => ({ p: String(part), n: String(end), distinct_offsets: String(end), lo: '0', hi: String(end - 1n) })),
        'Trino: every (partition, offset) once',
      );
      assert.deepEqual(await trino(`SELECT count(*) AS n, count(DISTINCT n) AS distinct_n, sum(n) AS total, min(n) AS lo FROM ${t}`), [
        { n: String(total), distinct_n: String(total), total: String((total * (total - 1)) / 2), lo: '0' },
      ]);
      await assertExactlyOnce(s);

      // floe's offsets: the newest snapshot is floe's, its summary says the end offsets; Trino's are replaces without them
      const snaps = await trino(`SELECT operation, summary FROM ${trinoTable(`${s.table}$snapshots`, catalog.name)} ORDER BY committed_at`);
      console.log(`# snapshots: ${snaps.map((x) => x.operation).join(' ')}`);
      const replaces = snaps.filter((x) => x.operation === 'replace');
      assert.equal(replaces.length, 2, `two optimize snapshots: ${snaps.map((x) => x.operation).join(', ')}`);
      for (const r of replaces)
        assert.deepEqual(
          (r.summary as [string, string][]).filter(([k]) => k.startsWith('floe.')),
          [],
        );
      const newest = Object.fromEntries(snaps.at(-1)!.summary as [string, string][]);
      assert.equal(snaps.at(-1)!.operation, 'append');
      const want = { [s.topic]: Object.fromEntries([...ends].map(([part, end]) => [String(part), Number(end)])) };
      assert.deepEqual(JSON.parse(newest[offsetsKey('fw')]), want, "floe's offsets summary on the newest snapshot");
      const resolved = resolveOffsets((await s.catalog.loadTable(parseTableName(s.table))).metadata, 'fw');
      assert.deepEqual(Object.fromEntries([...resolved.offsets.get(s.topic)!].map(([part, o]) => [String(part), Number(o)])), want[s.topic]);
    } finally {
      await catalog.drop().catch(() => {});
    }
  });
}
