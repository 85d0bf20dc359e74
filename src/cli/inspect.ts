// `floe inspect <table>`: snapshots, files, rows and the Kafka offsets map of a table.
import { parseTableName } from '../catalog/catalog.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { inspectTable } from '../table/inspect.ts';
import { formatOffsets } from '../commit/offsets-map.ts';
import type { TableReport } from '../table/inspect.ts';

export async function inspect(catalog: Catalog, name: string, out: (l: string) => void = console.log, maxSnapshots = 10): Promise<TableReport> {
  const report = await inspectTable(await catalog.loadTable(parseTableName(name)));
  printReport(name, report, out, maxSnapshots);
  return report;
}

export function printReport(name: string, r: TableReport, out: (l: string) => void, maxSnapshots = 10): void {
  out(`table ${name}  (format v${r.formatVersion})  ${r.location}`);
  out(`  rows: ${r.rows}   data files: ${r.files.length}   bytes: ${r.bytes}   manifests: ${r.manifests}   snapshots: ${r.snapshots.length}`);
  const shown = r.snapshots.slice(-maxSnapshots);
  if (shown.length < r.snapshots.length) out(`  (last ${shown.length} snapshots)`);
  for (const s of shown) {
    const cur = s.id === r.currentSnapshotId ? '*' : ' ';
    out(`  ${cur} ${s.id}  seq ${s.sequenceNumber}  ${new Date(s.timestampMs).toISOString()}  ${s.operation}  +${s.addedRecords} rows  total ${s.totalRecords ?? '?'}`);
  }
  const byPartition = new Map<string, { files: number; rows: number }>();
  for (const f of r.files) {
    const k = f.partitionPath;
    const e = byPartition.get(k) ?? { files: 0, rows: 0 };
    e.files++;
    e.rows += f.records;
    byPartition.set(k, e);
  }
  if (r.files.some((f) => f.partition.length > 0)) {
    out('  partitions:');
    for (const [k, v] of [...byPartition].sort()) out(`    ${k}  ${v.files} files  ${v.rows} rows`);
  }
  for (const [connector, topics] of Object.entries(r.offsets)) out(`  offsets (${connector}): ${formatOffsets(topics)}`);
}
