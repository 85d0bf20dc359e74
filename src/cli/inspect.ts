// `floe inspect <table>`: snapshots (with floe's lineage), files, rows, each connector's Kafka
// offsets and where they came from; `--offset topic:partition:offset` says which snapshot holds one.
import { parseTableName } from '../catalog/catalog.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { findOffset, inspectTable } from '../table/inspect.ts';
import { formatOffsets } from '../commit/offsets-map.ts';
import type { TableReport } from '../table/inspect.ts';
import { targetFileSize } from '../maintenance/compaction-plan.ts';

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
const mib = formatBytes;

/** A file under a quarter of the table's target file size counts as small in `floe inspect`. */
export function smallFileThreshold(properties: Record<string, string>): { bytes: number; target: number } {
  const target = targetFileSize(properties);
  return { bytes: Math.floor(target / 4), target };
}

export async function inspect(catalog: Catalog, name: string, out: (l: string) => void = console.log, maxSnapshots = 10, offset?: string): Promise<TableReport> {
  const table = await catalog.loadTable(parseTableName(name));
  const report = await inspectTable(table);
  printReport(name, report, out, maxSnapshots);
  if (offset !== undefined) {
    const { topic, partition, at } = parseOffsetArg(offset);
    out(`  ${findOffset(table.metadata, topic, partition, at).note}`);
  }
  return report;
}

/** "topic:partition:offset" (Kafka topic names have no colon). */
export function parseOffsetArg(v: string): { topic: string; partition: number; at: bigint } {
  const m = /^(.+):(\d+):(\d+)$/.exec(v);
  if (!m) throw new Error(`--offset must be topic:partition:offset, got "${v}"`);
  return { topic: m[1], partition: Number(m[2]), at: BigInt(m[3]) };
}

export function printReport(name: string, r: TableReport, out: (l: string) => void, maxSnapshots = 10): void {
  out(`table ${name}  (format v${r.formatVersion})  ${r.location}`);
  out(`  rows: ${r.rows}   data files: ${r.files.length}   bytes: ${r.bytes}   manifests: ${r.manifests}   snapshots: ${r.snapshots.length}`);
  const shown = r.snapshots.slice(-maxSnapshots);
  if (shown.length < r.snapshots.length) out(`  (last ${shown.length} snapshots)`);
  for (const s of shown) {
    const cur = s.id === r.currentSnapshotId ? '*' : ' ';
    out(`  ${cur} ${s.id}  seq ${s.sequenceNumber}  ${new Date(s.timestampMs).toISOString()}  ${s.operation}  +${s.addedRecords} rows  total ${s.totalRecords ?? '?'}`);
    if (s.maintenance) {
      const mt = s.maintenance;
      out(
        `      maintenance ${mt.action}: ${mt.groups !== undefined ? `${mt.groups} group${mt.groups === 1 ? '' : 's'}, ` : ''}${mt.filesIn} files → ${mt.filesOut}, ${mib(mt.bytesIn)} → ${mib(mt.bytesOut)}${mt.runId ? ` (run ${mt.runId})` : ''}`,
      );
    } else if (s.lineage) {
      const l = s.lineage;
      const ranges = l.ranges.map((x) => `${x.topic}[${x.partition}] ${x.from}..${x.to - 1n}`).join(', ');
      out(`      by connector ${l.connector} (floe ${l.version}): ${ranges || 'no offsets'}${l.schemaIds.length > 0 ? `; schema ids ${l.schemaIds.join(', ')}` : ''}`);
    } else {
      out('      not committed by a floe connector');
    }
  }
  const small = smallFileThreshold(r.properties);
  const byPartition = new Map<string, { files: number; small: number; rows: number; bytes: number }>();
  for (const f of r.files) {
    const k = f.partitionPath;
    const e = byPartition.get(k) ?? { files: 0, small: 0, rows: 0, bytes: 0 };
    e.files++;
    if (f.bytes < small.bytes) e.small++;
    e.rows += f.records;
    e.bytes += f.bytes;
    byPartition.set(k, e);
  }
  const smallFiles = r.files.filter((f) => f.bytes < small.bytes).length;
  out(`  small files: ${smallFiles} of ${r.files.length} (under ${mib(small.bytes)}, a quarter of the target file size ${mib(small.target)})`);
  if (r.files.some((f) => f.partition.length > 0)) {
    out('  partitions:');
    for (const [k, v] of [...byPartition].sort()) out(`    ${k}  ${v.files} files (${v.small} small)  ${v.rows} rows  ${mib(v.bytes)}`);
  }
  for (const [connector, source] of Object.entries(r.offsetSources)) {
    if ('error' in source) {
      out(`  offsets (${connector}): unknown: ${source.error}`);
      continue;
    }
    const from =
      source.source === 'ancestry' ? `snapshot ${source.snapshotId}` : source.source === 'floor' ? `the floor (snapshot ${source.snapshotId}, expired)` : 'nowhere: starts from kafka.startFrom';
    out(`  offsets (${connector}) from ${from}: ${formatOffsets(r.offsets[connector] ?? new Map())}`);
    if (source.notice) out(`      ${source.notice}`);
  }
}
