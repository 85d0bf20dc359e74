// The maintenance worker's Prometheus metrics (maintain-worker.ts), on a registry the caller
// passes, named like the connector's (src/pipeline/metrics.ts): `floe_maintenance_` prefix,
// base units in the name, `_total` on counters.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { MaintainSummary } from './maintain.ts';

/** How a pass ended. */
export type PassOutcome =
  /** every step that was on ran (groups given up for a conflict still make it ok) */
  | 'ok'
  /** another maintenance run holds the table's lease */
  | 'skipped-lease'
  /** the table has no snapshot yet: nothing to maintain */
  | 'skipped-empty'
  /** the pass threw, or a compaction group failed (I/O, catalog); retried at the next turn */
  | 'failed'
  /** the worker was stopping: the steps after the running one were not started */
  | 'aborted';

export const PASS_OUTCOMES: readonly PassOutcome[] = ['ok', 'skipped-lease', 'skipped-empty', 'failed', 'aborted'];

export const PASS_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export class MaintenanceMetrics {
  readonly registry: Registry;
  /** floe_maintenance_passes_total{table,outcome} */
  readonly passes: Counter<'table' | 'outcome'>;
  /** floe_maintenance_pass_duration_seconds{table,outcome} */
  readonly passDuration: Histogram<'table' | 'outcome'>;
  /** floe_maintenance_compaction_groups_total{table,outcome}: committed, gave-up (a conflict or not stitchable), failed. */
  readonly groups: Counter<'table' | 'outcome'>;
  /** floe_maintenance_rewritten_files_total{table,direction}: data files compaction replaced (in) and wrote (out). */
  readonly rewrittenFiles: Counter<'table' | 'direction'>;
  /** floe_maintenance_rewritten_bytes_total{table,direction} */
  readonly rewrittenBytes: Counter<'table' | 'direction'>;
  /** floe_maintenance_snapshots_expired_total{table} */
  readonly snapshotsExpired: Counter<'table'>;
  /** floe_maintenance_files_removed_total{table,reason}: expiry (files only expired snapshots reached), orphan, unfinished (temp files, multipart uploads). */
  readonly filesRemoved: Counter<'table' | 'reason'>;
  /** floe_maintenance_removed_bytes_total{table,reason}: bytes of the files removed (unfinished writes: unknown, not counted). */
  readonly bytesRemoved: Counter<'table' | 'reason'>;
  /** floe_maintenance_last_success_timestamp_seconds{table}: Unix time of the table's last pass that ended ok. */
  readonly lastSuccess: Gauge<'table'>;
  /** floe_maintenance_tables: tables the worker maintains (names and pattern matches). */
  readonly tables: Gauge;
  /** floe_maintenance_catalog_errors_total: listing namespaces or tables for a pattern failed. */
  readonly catalogErrors: Counter;

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.passes = new Counter({
      name: 'floe_maintenance_passes_total',
      help: 'Maintenance passes by table and outcome: ok, skipped-lease (another run holds the lease), skipped-empty (no snapshot), failed, aborted (worker stopping).',
      labelNames: ['table', 'outcome'] as const,
      registers,
    });
    this.passDuration = new Histogram({
      name: 'floe_maintenance_pass_duration_seconds',
      help: 'Duration of one maintenance pass.',
      labelNames: ['table', 'outcome'] as const,
      buckets: PASS_DURATION_BUCKETS,
      registers,
    });
    this.groups = new Counter({
      name: 'floe_maintenance_compaction_groups_total',
      help: 'Compaction groups by outcome: committed, gave-up (lost a race with another commit twice, inputs gone, not stitchable), failed.',
      labelNames: ['table', 'outcome'] as const,
      registers,
    });
    this.rewrittenFiles = new Counter({
      name: 'floe_maintenance_rewritten_files_total',
      help: 'Data files replaced (direction="in") and written (direction="out") by committed compactions.',
      labelNames: ['table', 'direction'] as const,
      registers,
    });
    this.rewrittenBytes = new Counter({
      name: 'floe_maintenance_rewritten_bytes_total',
      help: 'Bytes of data files replaced (direction="in") and written (direction="out") by committed compactions.',
      labelNames: ['table', 'direction'] as const,
      registers,
    });
    this.snapshotsExpired = new Counter({ name: 'floe_maintenance_snapshots_expired_total', help: 'Snapshots removed by expiry.', labelNames: ['table'] as const, registers });
    this.filesRemoved = new Counter({
      name: 'floe_maintenance_files_removed_total',
      help: 'Files deleted: reason="expiry" (reached only by expired snapshots), "orphan" (referenced by nothing), "unfinished" (temporary files and multipart uploads of killed writers).',
      labelNames: ['table', 'reason'] as const,
      registers,
    });
    this.bytesRemoved = new Counter({
      name: 'floe_maintenance_removed_bytes_total',
      help: 'Bytes of the files deleted, by reason (expiry, orphan).',
      labelNames: ['table', 'reason'] as const,
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'floe_maintenance_last_success_timestamp_seconds',
      help: 'Unix time of the last maintenance pass that ended ok, per table.',
      labelNames: ['table'] as const,
      registers,
    });
    this.tables = new Gauge({ name: 'floe_maintenance_tables', help: 'Tables the maintenance worker maintains.', registers });
    this.catalogErrors = new Counter({ name: 'floe_maintenance_catalog_errors_total', help: 'Failed listings of namespaces or tables (pattern entries).', registers });
  }

  /** One pass ended; `summary` when it returned one. */
  pass(table: string, outcome: PassOutcome, seconds: number, summary?: MaintainSummary, endMs = Date.now()): void {
    this.passes.inc({ table, outcome });
    this.passDuration.observe({ table, outcome }, seconds);
    if (outcome === 'ok') this.lastSuccess.set({ table }, endMs / 1000);
    if (!summary) return;
    const g = summary.groups;
    const inc = (c: Counter<'table' | 'outcome'> | Counter<'table' | 'direction'> | Counter<'table' | 'reason'>, labels: Record<string, string>, n: number) => {
      if (n > 0) (c as Counter<string>).inc({ table, ...labels }, n);
    };
    inc(this.groups, { outcome: 'committed' }, g.committed);
    inc(this.groups, { outcome: 'gave-up' }, g.gaveUp);
    inc(this.groups, { outcome: 'failed' }, g.failed);
    inc(this.rewrittenFiles, { direction: 'in' }, g.filesIn);
    inc(this.rewrittenFiles, { direction: 'out' }, g.filesOut);
    inc(this.rewrittenBytes, { direction: 'in' }, g.bytesIn);
    inc(this.rewrittenBytes, { direction: 'out' }, g.bytesOut);
    if (summary.expired.snapshots > 0) this.snapshotsExpired.inc({ table }, summary.expired.snapshots);
    inc(this.filesRemoved, { reason: 'expiry' }, summary.expired.files);
    inc(this.bytesRemoved, { reason: 'expiry' }, summary.expired.bytes);
    inc(this.filesRemoved, { reason: 'orphan' }, summary.orphans.files);
    inc(this.bytesRemoved, { reason: 'orphan' }, summary.orphans.bytes);
    inc(this.filesRemoved, { reason: 'unfinished' }, summary.orphans.unfinished);
  }
}
