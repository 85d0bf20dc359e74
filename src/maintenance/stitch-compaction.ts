// A stitch-only compaction run: compactTable (compact-table.ts) with mode "stitch": groups of
// small files per partition (compaction-plan.ts) joined by copying their row groups (stitch.ts),
// each committed as its own `replace` snapshot (rewrite-files.ts); a group that cannot be
// stitched is reported as not-stitchable and skipped. For callers that must never re-encode
// (the benchmark of the stitch path); floe maintain uses compactTable, which rewrites such groups.
import type { Catalog, TableIdentifier } from '../catalog/catalog.ts';
import { compactTable } from './compact-table.ts';
import type { CompactOptions, CompactOutcome } from './compact-table.ts';
import type { CompactionGroup } from './compaction-plan.ts';
import type { RewriteFilesResult } from './rewrite-files.ts';

export type StitchRunOptions = Pick<CompactOptions, 'targetBytes' | 'maxGroups' | 'io' | 'runId'>;

export type GroupOutcome = { group: CompactionGroup; output?: string } & (RewriteFilesResult | { status: 'not-stitchable'; reason: string } | { status: 'failed'; error: unknown });

/** Plans and commits stitch compactions on a table's main branch; one outcome per group. */
export async function stitchSmallFiles(catalog: Catalog, id: TableIdentifier, options: StitchRunOptions = {}): Promise<{ runId: string; groups: GroupOutcome[] }> {
  const { runId, groups } = await compactTable(catalog, id, { ...options, mode: 'stitch' });
  return { runId, groups: groups.map((g: CompactOutcome) => ({ ...g, output: g.outputs?.[0] }) as GroupOutcome) };
}
