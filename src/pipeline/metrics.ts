// The pipeline's Prometheus metrics, made on a registry the caller passes (never prom-client's
// global default registry, so a test or a process with several connectors can make many).
//
// Names follow Prometheus conventions: `floe_` prefix, base units in the name (`_seconds`,
// `_bytes`), `_total` on counters. Per-record work must not touch a prom-client metric per
// record (a prom-client observe costs about 0.3 µs of CPU even on a bound child; see docs/decisions.md): count records per fetch or per
// batch with `inc(labels, n)`, and feed a batch's timestamps to `observeFreshness`, which bins
// them in a typed array and exposes the result as an ordinary Prometheus histogram.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metric, Registry } from 'prom-client';

/** A sample as prom-client's registry formats it. */
export interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** How one commit attempt of a table ended. */
export type CommitOutcome =
  /** the snapshot is committed */
  | 'ok'
  /** the catalog refused on a concurrent change; the table still says our offset, so we retry */
  | 'conflict-retried'
  /** the table's offsets moved: another worker owns the partitions, the batch is dropped */
  | 'fenced'
  /** any other error (catalog unreachable, commit state unknown, ...) */
  | 'failed';

export const COMMIT_OUTCOMES: readonly CommitOutcome[] = ['ok', 'conflict-retried', 'fenced', 'failed'];

export const DEFAULT_BUCKETS = {
  commitDurationSeconds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  flushBatchRows: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000],
  dataFreshnessSeconds: [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400],
};

type Labels<L extends string> = Partial<Record<L, string | number>>;

interface Series {
  /** every label name of the histogram has a value (checked when the series is made) */
  labels: Record<string, string | number>;
  /** counts per bucket (not cumulative); the last slot is the +Inf overflow */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram that takes many observations in one call: values are binned in a
 * typed array (about 40 ns of CPU a value) instead of one prom-client `observe` each. It registers
 * on a prom-client Registry like any metric and prints in the same text format.
 */
export class BulkHistogram<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly labelNames: readonly L[];
  readonly upperBounds: readonly number[];
  readonly aggregator = 'sum' as const;
  #series = new Map<string, Series>();
  #bounds: Float64Array;

  constructor(config: { name: string; help: string; labelNames?: readonly L[]; buckets: readonly number[]; registers?: Registry[] }) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames ?? [];
    if (this.labelNames.includes('le' as L)) throw new Error(`${config.name}: "le" is reserved for histogram buckets`);
    const sorted = [...config.buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new Error(`${config.name}: buckets must be distinct finite numbers`);
    }
    this.upperBounds = sorted;
    this.#bounds = Float64Array.from(sorted);
    for (const r of config.registers ?? []) r.registerMetric(this as unknown as Metric);
  }

  #seriesFor(labels: Labels<L>): Series {
    let key = '';
    for (const n of this.labelNames) {
      const v = labels[n];
      if (v === undefined) throw new Error(`${this.name}: missing label ${n}`);
      key += `${v}\u0000`;
    }
    for (const k of Object.keys(labels)) {
      if (!this.labelNames.includes(k as L)) throw new Error(`${this.name}: unknown label ${k}`);
    }
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels } as Record<string, string | number>, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    return s;
  }

  #bucket(v: number): number {
    const b = this.#bounds;
    // few buckets: a linear scan beats a binary search
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    return i;
  }

  /** One value observed `count` times. */
  observe(labels: Labels<L>, value: number, count = 1): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: value is not a finite number: ${value}`);
    const s = this.#seriesFor(labels);
    s.counts[this.#bucket(value)] += count;
    s.sum += value * count;
    s.count += count;
  }

  /** Every value of `values` observed once (non-finite values are skipped). */
  observeMany(labels: Labels<L>, values: ArrayLike<number>): void {
    const s = this.#seriesFor(labels);
    const counts = s.counts;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      counts[this.#bucket(v)]++;
      sum += v;
      n++;
    }
    s.sum += sum;
    s.count += n;
  }

  /** Drop one label combination's series. */
  remove(labels: Labels<L>): void {
    let key = '';
    for (const n of this.labelNames) key += `${labels[n]}\u0000`;
    this.#series.delete(key);
  }

  reset(): void {
    this.#series.clear();
  }

  /** What prom-client's registry reads from a metric (its typings call `type` an enum; the runtime uses the string). */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    for (const s of this.#series.values()) {
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += s.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: this.upperBounds[i], ...s.labels }, value: acc });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}

export interface PipelineMetricsOptions {
  buckets?: Partial<typeof DEFAULT_BUCKETS>;
}

/** Everything the pipeline measures. The fields are plain prom-client metrics; the methods cover the common updates. */
export class PipelineMetrics {
  readonly registry: Registry;
  /** floe_records_consumed_total{topic}: records fetched from Kafka (count per fetch, not per record). */
  readonly recordsConsumed: Counter<'topic'>;
  /** floe_records_written_total{table}: rows in committed data files. */
  readonly recordsWritten: Counter<'table'>;
  /** floe_dead_letters_total{topic,error_class}: dead letters the broker acknowledged, by original topic. */
  readonly deadLetters: Counter<'topic' | 'error_class'>;
  /** floe_data_written_bytes_total{table}: bytes of committed data files. */
  readonly bytesWritten: Counter<'table'>;
  /** floe_data_files_written_total{table}: committed data files. */
  readonly filesWritten: Counter<'table'>;
  /** floe_commits_total{table,outcome}: commit attempts by how they ended. */
  readonly commits: Counter<'table' | 'outcome'>;
  /** floe_commit_duration_seconds{table,outcome}: one commit attempt, request to answer. */
  readonly commitDuration: Histogram<'table' | 'outcome'>;
  /** floe_flush_batch_rows{table}: rows in a flushed batch. */
  readonly flushBatchRows: Histogram<'table'>;
  /** floe_data_freshness_seconds{table}: per committed row, commit time minus the record's Kafka timestamp. */
  readonly dataFreshness: BulkHistogram<'table'>;
  /** floe_consumer_lag_records{topic,partition}: high watermark minus next offset to read. */
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  /** floe_buffered_bytes: bytes held in batches not yet committed (read at each scrape from measureBufferedBytes' source, when one is given). */
  readonly bufferedBytes: Gauge;
  #bufferedSource: (() => number) | undefined;
  /** floe_paused_partitions: partitions paused for backpressure. */
  readonly pausedPartitions: Gauge;
  /** floe_last_commit_timestamp_seconds{table}: Unix time of the table's last successful commit. */
  readonly lastCommitTimestamp: Gauge<'table'>;
  /** floe_errors_total{kind}: errors the connector handled, by kind (src/errors.ts): dead letters, retried outages, fenced commits, the stop. */
  readonly errors: Counter<'kind'>;
  /** floe_rebalances_total{change}: partitions assigned or revoked by the consumer group. */
  readonly rebalances: Counter<'change'>;

  constructor(registry: Registry, options: PipelineMetricsOptions = {}) {
    this.registry = registry;
    const registers = [registry];
    const buckets = { ...DEFAULT_BUCKETS, ...options.buckets };
    this.recordsConsumed = new Counter({ name: 'floe_records_consumed_total', help: 'Records fetched from Kafka.', labelNames: ['topic'] as const, registers });
    this.recordsWritten = new Counter({ name: 'floe_records_written_total', help: 'Rows in data files committed to Iceberg.', labelNames: ['table'] as const, registers });
    this.deadLetters = new Counter({
      name: 'floe_dead_letters_total',
      help: 'Records sent to the dead-letter topic (acknowledged by the broker), by original topic and error class.',
      labelNames: ['topic', 'error_class'] as const,
      registers,
    });
    this.bytesWritten = new Counter({ name: 'floe_data_written_bytes_total', help: 'Bytes of data files committed to Iceberg.', labelNames: ['table'] as const, registers });
    this.filesWritten = new Counter({ name: 'floe_data_files_written_total', help: 'Data files committed to Iceberg.', labelNames: ['table'] as const, registers });
    this.commits = new Counter({
      name: 'floe_commits_total',
      help: 'Iceberg commit attempts by outcome: ok, conflict-retried (concurrent change, retried), fenced (another worker owns the offsets; batch dropped), failed.',
      labelNames: ['table', 'outcome'] as const,
      registers,
    });
    this.commitDuration = new Histogram({
      name: 'floe_commit_duration_seconds',
      help: 'Duration of one Iceberg commit attempt.',
      labelNames: ['table', 'outcome'] as const,
      buckets: [...buckets.commitDurationSeconds],
      registers,
    });
    this.flushBatchRows = new Histogram({ name: 'floe_flush_batch_rows', help: 'Rows in a flushed batch.', labelNames: ['table'] as const, buckets: [...buckets.flushBatchRows], registers });
    this.dataFreshness = new BulkHistogram({
      name: 'floe_data_freshness_seconds',
      help: "Per committed row: the commit's time minus the record's Kafka timestamp.",
      labelNames: ['table'] as const,
      buckets: buckets.dataFreshnessSeconds,
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'floe_consumer_lag_records',
      help: 'High watermark minus the next offset to read, per assigned partition.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    });
    this.errors = new Counter({ name: 'floe_errors_total', help: 'Errors handled, by kind: bad-record, retryable, conflict, unknown-outcome, fatal.', labelNames: ['kind'] as const, registers });
    this.rebalances = new Counter({ name: 'floe_rebalances_total', help: 'Consumer-group rebalances that assigned or revoked partitions of this worker.', labelNames: ['change'] as const, registers });
    this.bufferedBytes = new Gauge({
      name: 'floe_buffered_bytes',
      help: 'Bytes held in batches not yet committed.',
      registers,
      collect: () => {
        if (this.#bufferedSource !== undefined) this.bufferedBytes.set(this.#bufferedSource());
      },
    });
    this.pausedPartitions = new Gauge({ name: 'floe_paused_partitions', help: 'Partitions paused because the buffers are full.', registers });
    this.lastCommitTimestamp = new Gauge({ name: 'floe_last_commit_timestamp_seconds', help: 'Unix time of the last successful commit, per table.', labelNames: ['table'] as const, registers });
  }

  /** floe_buffered_bytes is read from `source` at each scrape (summing every open table's batch costs too much to do per commit with many tables). */
  measureBufferedBytes(source: () => number): void {
    this.#bufferedSource = source;
  }

  /** `n` records fetched from `topic`. */
  consumed(topic: string, n: number): void {
    if (n > 0) this.recordsConsumed.inc({ topic }, n);
  }

  /** A batch of `rows` rows flushed for `table`. */
  flushed(table: string, rows: number): void {
    this.flushBatchRows.observe({ table }, rows);
  }

  /** One commit attempt ended. */
  commitAttempt(table: string, outcome: CommitOutcome, durationSeconds: number): void {
    this.commits.inc({ table, outcome });
    this.commitDuration.observe({ table, outcome }, durationSeconds);
  }

  /**
   * A successful commit: the rows, bytes and files it added, the last-commit time, and the
   * freshness of each row (commitTimeMs minus each Kafka timestamp; timestamps below 0 mean
   * "none" and are skipped; a timestamp after the commit time, from clock skew, counts as 0).
   * Does not count the attempt itself: call `commitAttempt(table, 'ok', ...)` for that.
   */
  committed(table: string, c: { rows: number; bytes: number; files: number; commitTimeMs: number; timestampsMs?: ArrayLike<number | bigint> }): void {
    this.recordsWritten.inc({ table }, c.rows);
    this.bytesWritten.inc({ table }, c.bytes);
    this.filesWritten.inc({ table }, c.files);
    this.lastCommitTimestamp.set({ table }, c.commitTimeMs / 1000);
    if (c.timestampsMs !== undefined) this.observeFreshness(table, c.commitTimeMs, c.timestampsMs);
  }

  /** Per record: (commitTimeMs - timestampMs) / 1000 into floe_data_freshness_seconds. */
  observeFreshness(table: string, commitTimeMs: number, timestampsMs: ArrayLike<number | bigint>): void {
    const n = timestampsMs.length;
    const seconds = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const t = Number(timestampsMs[i]);
      if (!(t >= 0)) continue;
      const d = commitTimeMs - t;
      seconds[k++] = d > 0 ? d / 1000 : 0;
    }
    this.dataFreshness.observeMany({ table }, seconds.subarray(0, k));
  }

  /** Kafka lag of a partition (high watermark minus next offset). */
  setLag(topic: string, partition: number, lag: number | bigint): void {
    this.consumerLag.set({ topic, partition: String(partition) }, Number(lag));
  }

  /** A partition was revoked: stop reporting its lag. */
  forgetPartition(topic: string, partition: number): void {
    this.consumerLag.remove({ topic, partition: String(partition) });
  }
}
