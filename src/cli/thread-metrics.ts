// /metrics of `floe run` with `workers: N`: the main thread's own registry (prom-client's process
// and Node.js metrics: process_* cover every thread of the process, nodejs_* the main thread's
// isolate) and each connector thread's metrics (getMetricsAsJSON), joined into one text with
// prom-client's AggregatorRegistry.aggregate: series with the same name and labels are summed
// (counters, histograms, the lag and buffer gauges: members own disjoint partitions), except the
// metrics named below.
import { AggregatorRegistry } from 'prom-client';
import type { Aggregator, Registry } from 'prom-client';
import type { MetricJson } from './connector-thread-messages.ts';

/** Metrics whose sum over the members means nothing: a point in time is the latest member's. */
export const THREAD_AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  floe_last_commit_timestamp_seconds: 'max',
};

/** The Prometheus text of `main`'s metrics and every thread's, joined. */
export async function joinedMetrics(main: Registry, threads: MetricJson[][]): Promise<string> {
  const perRegistry = [await main.getMetricsAsJSON(), ...threads].map((metrics) => metrics.map((m) => (m.name in THREAD_AGGREGATORS ? { ...m, aggregator: THREAD_AGGREGATORS[m.name] } : m)));
  return await AggregatorRegistry.aggregate(perRegistry).metrics();
}
