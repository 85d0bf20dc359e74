// What a table holds now: its snapshots, its live data files and row count, and the Kafka
// offsets maps floe keeps in snapshot summaries. Read-only.
import type { LoadedTable } from '../catalog/catalog.ts';
import { readManifest } from '../iceberg/manifest.ts';
import { readManifestList } from '../iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import { partitionPath } from '../iceberg/transforms.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { OFFSETS_KEY_PREFIX, parseOffsets } from '../commit/offsets-map.ts';
import type { OffsetsMap } from '../commit/offsets-map.ts';


export interface TableReport {
  location: string;
  formatVersion: number;
  currentSnapshotId: bigint | null;
  snapshots: { id: bigint; parentId: bigint | null; sequenceNumber: number; timestampMs: number; operation: string; addedRecords: number; totalRecords: number | null }[];
  manifests: number;
  files: { path: string; records: number; bytes: number; partition: unknown[]; partitionPath: string }[];
  rows: number;
  bytes: number;
  /** connector name → topic → partition → next offset, from the current snapshot's summary. */
  offsets: Record<string, OffsetsMap>;
}

export async function inspectTable(table: LoadedTable, io: FileIO = fileIOFor(table.metadata.location, table.config)): Promise<TableReport> {
  const m = table.metadata;
  const current = currentSnapshot(m);
  const report: TableReport = {
    location: m.location,
    formatVersion: m['format-version'],
    currentSnapshotId: current?.['snapshot-id'] ?? null,
    snapshots: (m.snapshots ?? []).map((s) => ({
      id: s['snapshot-id'],
      parentId: s['parent-snapshot-id'] ?? null,
      sequenceNumber: s['sequence-number'],
      timestampMs: s['timestamp-ms'],
      operation: s.summary.operation,
      addedRecords: Number(s.summary['added-records'] ?? 0),
      totalRecords: s.summary['total-records'] === undefined ? null : Number(s.summary['total-records']),
    })),
    manifests: 0,
    files: [],
    rows: 0,
    bytes: 0,
    offsets: {},
  };
  if (!current) return report;
  for (const [k, v] of Object.entries(current.summary)) {
    if (k.startsWith(OFFSETS_KEY_PREFIX)) report.offsets[k.slice(OFFSETS_KEY_PREFIX.length)] = parseOffsets(v);
  }
  const manifests = readManifestList(await io.read(current['manifest-list']));
  report.manifests = manifests.length;
  for (const mf of manifests) {
    if (mf.content !== 0) continue;
    const { entries } = readManifest(await io.read(mf.manifestPath));
    const spec = m['partition-specs'].find((p) => p['spec-id'] === mf.partitionSpecId);
    for (const e of entries) {
      if (e.status === 2) continue;
      const f = e.dataFile;
      report.files.push({ path: f['file-path'], records: f['record-count'], bytes: f['file-size-in-bytes'], partition: f.partition, partitionPath: spec && spec.fields.length > 0 ? partitionPath(spec, currentSchema(m), f.partition) : '' });
      report.rows += f['record-count'];
      report.bytes += f['file-size-in-bytes'];
    }
  }
  return report;
}
