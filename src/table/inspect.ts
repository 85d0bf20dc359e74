// What a table holds now: its snapshots (with the lineage of floe's), its live data files and
// row count, each connector's committed Kafka offsets (committed-offsets.ts) and which snapshot
// holds a given offset. Read-only.
import type { LoadedTable } from '../catalog/catalog.ts';
import { readManifest } from '../iceberg/manifest.ts';
import { readManifestList } from '../iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import { partitionPath } from '../iceberg/transforms.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import type { OffsetsMap } from '../commit/offsets-map.ts';
import { connectorsOf, mainAncestry, resolveOffsets } from '../commit/committed-offsets.ts';
import type { ResolvedOffsets } from '../commit/committed-offsets.ts';
import { snapshotLineage } from '../commit/lineage.ts';
import type { Lineage } from '../commit/lineage.ts';
import type { TableMetadata } from '../iceberg/table-metadata.ts';

export interface TableReport {
  location: string;
  formatVersion: number;
  currentSnapshotId: bigint | null;
  /** The table's properties (write.target-file-size-bytes, ...). */
  properties: Record<string, string>;
  snapshots: {
    id: bigint;
    parentId: bigint | null;
    sequenceNumber: number;
    timestampMs: number;
    operation: string;
    addedRecords: number;
    totalRecords: number | null;
    lineage?: Lineage;
    /** A maintenance snapshot's own `floe.maintenance.*` entries (it carries its parent's lineage, not its own). */
    maintenance?: MaintenanceSummary;
  }[];
  manifests: number;
  files: { path: string; records: number; bytes: number; partition: unknown[]; partitionPath: string }[];
  rows: number;
  bytes: number;
  /** connector name → topic → partition → next offset, as committed-offsets.ts resolves them. */
  offsets: Record<string, OffsetsMap>;
  /** connector name → where its offsets came from (or the error that says they are unknown). */
  offsetSources: Record<string, Omit<ResolvedOffsets, 'offsets'> | { error: string }>;
}

/** What a maintenance snapshot says it did (rewrite-files.ts writes these entries). */
export interface MaintenanceSummary {
  action: string;
  /** Compaction groups the snapshot committed together (absent before batched commits, and for a manifest rewrite). */
  groups?: number;
  filesIn: number;
  filesOut: number;
  bytesIn: number;
  bytesOut: number;
  runId?: string;
}

function maintenanceOf(summary: Record<string, string>): MaintenanceSummary | undefined {
  const action = summary['floe.maintenance.action'];
  if (action === undefined) return undefined;
  const n = (k: string) => Number(summary[`floe.maintenance.${k}`] ?? 0);
  const groups = summary['floe.maintenance.groups'];
  return {
    action,
    ...(groups === undefined ? {} : { groups: Number(groups) }),
    filesIn: n('files-in'),
    filesOut: n('files-out'),
    bytesIn: n('bytes-in'),
    bytesOut: n('bytes-out'),
    runId: summary['floe.maintenance.run-id'],
  };
}

export async function inspectTable(table: LoadedTable, io: FileIO = fileIOFor(table.metadata.location, table.config)): Promise<TableReport> {
  const m = table.metadata;
  const current = currentSnapshot(m);
  const report: TableReport = {
    location: m.location,
    formatVersion: m['format-version'],
    properties: { ...(m.properties ?? {}) },
    currentSnapshotId: current?.['snapshot-id'] ?? null,
    snapshots: (m.snapshots ?? []).map((s) => ({
      id: s['snapshot-id'],
      parentId: s['parent-snapshot-id'] ?? null,
      sequenceNumber: s['sequence-number'],
      timestampMs: s['timestamp-ms'],
      operation: s.summary.operation,
      addedRecords: Number(s.summary['added-records'] ?? 0),
      totalRecords: s.summary['total-records'] === undefined ? null : Number(s.summary['total-records']),
      lineage: snapshotLineage(s),
      maintenance: maintenanceOf(s.summary),
    })),
    manifests: 0,
    files: [],
    rows: 0,
    bytes: 0,
    offsets: {},
    offsetSources: {},
  };
  for (const connector of connectorsOf(m)) {
    try {
      const { offsets, ...source } = resolveOffsets(m, connector);
      report.offsets[connector] = offsets;
      report.offsetSources[connector] = source;
    } catch (err) {
      report.offsetSources[connector] = { error: (err as Error).message };
    }
  }
  if (!current) return report;
  const manifests = readManifestList(await io.read(current['manifest-list']));
  report.manifests = manifests.length;
  for (const mf of manifests) {
    if (mf.content !== 0) continue;
    const { entries } = readManifest(await io.read(mf.manifestPath));
    const spec = m['partition-specs'].find((p) => p['spec-id'] === mf.partitionSpecId);
    for (const e of entries) {
      if (e.status === 2) continue;
      const f = e.dataFile;
      report.files.push({
        path: f['file-path'],
        records: f['record-count'],
        bytes: f['file-size-in-bytes'],
        partition: f.partition,
        partitionPath: spec && spec.fields.length > 0 ? partitionPath(spec, currentSchema(m), f.partition) : '',
      });
      report.rows += f['record-count'];
      report.bytes += f['file-size-in-bytes'];
    }
  }
  return report;
}

export interface OffsetLocation {
  /** The snapshot whose commit covered the offset (its row, if it became one, came in that commit). */
  snapshot?: { id: bigint; connector: string; from: bigint; to: bigint; inMain: boolean; timestampMs: number };
  /** What can be said when no kept snapshot covers it. */
  note: string;
}

/**
 * Which snapshot holds offset `offset` of `topic`[`partition`]: the floe snapshot whose lineage
 * range covers it (main's ancestry first, then any other kept snapshot). When none is kept, says
 * whether a connector's committed offsets are past it (committed; that snapshot was expired) or
 * not (not committed yet).
 */
export function findOffset(metadata: TableMetadata, topic: string, partition: number, offset: bigint): OffsetLocation {
  const main = mainAncestry(metadata).chain;
  const inMain = new Set(main.map((s) => s['snapshot-id']));
  const rest = (metadata.snapshots ?? []).filter((s) => !inMain.has(s['snapshot-id']));
  for (const s of [...main, ...rest]) {
    // a maintenance snapshot carries its parent's lineage forward; the commit that read the record is older
    if (s.summary['floe.maintenance.action'] !== undefined) continue;
    const l = snapshotLineage(s);
    const r = l?.ranges.find((x) => x.topic === topic && x.partition === partition && x.from <= offset && offset < x.to);
    if (l && r) {
      const where = inMain.has(s['snapshot-id']) ? "in main's history" : "not in main's history (rolled back or on another branch): read again by the connector";
      return {
        snapshot: { id: s['snapshot-id'], connector: l.connector, from: r.from, to: r.to, inMain: inMain.has(s['snapshot-id']), timestampMs: s['timestamp-ms'] },
        note: `${topic}[${partition}] offset ${offset} was committed by connector ${l.connector} in snapshot ${s['snapshot-id']} (range ${r.from}..${r.to - 1n}), ${where}`,
      };
    }
  }
  const past: string[] = [];
  for (const c of connectorsOf(metadata)) {
    try {
      const at = resolveOffsets(metadata, c).offsets.get(topic)?.get(partition);
      if (at !== undefined && at > offset) past.push(c);
    } catch {
      // unknown offsets: nothing to say for this connector
    }
  }
  return {
    note:
      past.length > 0
        ? `${topic}[${partition}] offset ${offset} was committed by ${past.join(', ')}, in a snapshot since expired`
        : `${topic}[${partition}] offset ${offset} is not committed to this table (yet)`,
  };
}
