// The cost of one commit as `floe run` makes it with many tables: commitBatch of a one-file
// snapshot with its offsets (a manifest, a manifest list and a metadata file written and fsynced,
// then the catalog's swap), on the embedded SQL catalog and a local warehouse, round-robin over
// T tables, one after another. The data file itself is not written (see writer.bench.ts).
//
//   node bench/commit.bench.ts            (N=300 commits over T=10 tables)
//   N=600 T=100 taskset -c 1 node bench/commit.bench.ts
//
// Prints wall, user and system CPU per commit, then one JSON line with the machine and load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../src/catalog/sql-catalog.ts';
import { commitBatch } from '../src/commit/exactly-once.ts';
import type { OffsetRange } from '../src/commit/exactly-once.ts';
import type { DataFile } from '../src/iceberg/data-file.ts';
import type { Schema } from '../src/iceberg/types.ts';

const N = Number(process.env.N ?? 300);
const T = Number(process.env.T ?? 10);
const PARTITIONS = 12;
const ROWS = 3000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-commit-bench-'));
const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
// the sample event's width: 17 columns
const fields = Array.from({ length: 17 }, (_, i) => ({ id: i + 1, name: `f${i}`, required: false, type: i % 3 === 0 ? 'long' : 'string' }));
const schema = { type: 'struct', 'schema-id': 0, fields } as Schema;
// as a table floe creates (tables.ts): metadata files kept to 25
const properties = { 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '25' };

try {
  await catalog.createNamespace(['bench']);
  const tables = [];
  for (let t = 0; t < T; t++) {
    const id = { namespace: ['bench'], name: `t${t}` };
    await catalog.createTable(id, { schema, properties });
    tables.push(id);
  }
  const counts = new Map(fields.map((f) => [f.id, ROWS]));
  const bound = new Map(fields.map((f) => [f.id, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])]));
  const dataFile = (i: number): DataFile => ({
    content: 0,
    'file-path': `${pathToFileURL(dir).href}/data/f${i}.parquet`,
    'file-format': 'PARQUET',
    partition: [],
    'record-count': ROWS,
    'file-size-in-bytes': 100_000,
    'column-sizes': counts,
    'value-counts': counts,
    'null-value-counts': counts,
    'nan-value-counts': new Map(),
    'lower-bounds': bound,
    'upper-bounds': bound,
  });
  const next = new Map<number, bigint>();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const t = i % T;
    const from = next.get(t) ?? 0n;
    next.set(t, from + BigInt(ROWS));
    // every partition moves, as with field routing (each table is fed by every partition)
    const ranges: OffsetRange[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'events', partition, from, to: from + BigInt(ROWS) }));
    await commitBatch({ connector: 'bench', catalog, table: tables[t], files: [dataFile(i)], ranges, specId: 0 });
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = (performance.now() - t0) / N;
  const userMs = cpu.user / 1000 / N;
  const systemMs = cpu.system / 1000 / N;
  console.log(`${N} commits over ${T} tables: ${wallMs.toFixed(2)} ms wall, ${userMs.toFixed(2)} ms user, ${systemMs.toFixed(2)} ms system CPU per commit`);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'commit',
      machine: { cpu: os.cpus()[0]?.model.trim(), cores: os.cpus().length, node: process.version, loadavg: os.loadavg().map(r2) },
      commits: N,
      tables: T,
      perCommitMs: { wall: r2(wallMs), user: r2(userMs), system: r2(systemMs) },
    }),
  );
} finally {
  await catalog.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
