// One stitch compaction run on a table: plan groups of small files per partition
// (compaction-plan.ts), stitch each group into one file beside its inputs (stitch.ts), commit
// each group as its own `replace` snapshot (rewrite-files.ts). A group that cannot be stitched
// or committed is reported and skipped; the run goes on with the next.
import type { Catalog, TableIdentifier } from '../catalog/catalog.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import type { CompactionGroup, CompactionPlanOptions } from './compaction-plan.ts';
import { planCompaction } from './compaction-plan.ts';
import { rewriteFiles } from './rewrite-files.ts';
import type { RewriteFilesResult } from './rewrite-files.ts';
import { NotStitchableError, stitchDataFiles } from './stitch.ts';
import { readSnapshotFiles } from './table-files.ts';

export interface StitchRunOptions extends Pick<CompactionPlanOptions, 'targetBytes' | 'maxGroups'> {
  io?: FileIO;
  runId?: string;
}

export type GroupOutcome = { group: CompactionGroup; output?: string } & (RewriteFilesResult | { status: 'not-stitchable'; reason: string } | { status: 'failed'; error: unknown });

function outputLocation(group: CompactionGroup): string {
  const first = group.files[0]['file-path'];
  return `${first.slice(0, first.lastIndexOf('/'))}/${crypto.randomUUID()}.parquet`;
}

/** Plans and commits stitch compactions on a table's main branch; one outcome per group. */
export async function stitchSmallFiles(catalog: Catalog, id: TableIdentifier, options: StitchRunOptions = {}): Promise<{ runId: string; groups: GroupOutcome[] }> {
  const runId = options.runId ?? crypto.randomUUID();
  const table = await catalog.loadTable(id);
  const io = options.io ?? fileIOFor(table.metadata.location, table.config);
  const files = await readSnapshotFiles(io, currentSnapshot(table.metadata));
  const groups = planCompaction(files.data, {
    targetBytes: options.targetBytes,
    maxGroups: options.maxGroups,
    properties: table.metadata.properties,
    deleteFiles: files.deletes,
    unpartitionedSpecIds: table.metadata['partition-specs'].filter((s) => s.fields.length === 0).map((s) => s['spec-id']),
  });
  const schema = currentSchema(table.metadata);
  const out: GroupOutcome[] = [];
  for (const group of groups) {
    const output = outputLocation(group);
    let stitched;
    try {
      stitched = await stitchDataFiles(io, schema, group.files, output);
    } catch (error) {
      if (error instanceof NotStitchableError) out.push({ group, status: 'not-stitchable', reason: error.reason });
      else out.push({ group, status: 'failed', error });
      continue;
    }
    const result = await rewriteFiles({ catalog, table: id, inputs: group.files, outputs: [stitched.dataFile], specId: group.specId, runId, action: 'stitch', io });
    out.push({ group, output, ...result });
  }
  return { runId, groups: out };
}
