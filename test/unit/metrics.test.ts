import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { BulkHistogram, PipelineMetrics } from '../../src/pipeline/metrics.ts';

/** Sample lines of the text exposition, without HELP/TYPE comments. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

test('every metric is registered on the given registry, none on the global one, with floe_ names and types', async () => {
  const a = new Registry();
  const b = new Registry();
  new PipelineMetrics(a);
  new PipelineMetrics(b); // a second set on another registry: no name clash
  const json = await a.getMetricsAsJSON();
  const types = Object.fromEntries(json.map((m) => [m.name, String(m.type)]));
  assert.deepEqual(types, {
    floe_records_consumed_total: 'counter',
    floe_records_written_total: 'counter',
    floe_dead_letters_total: 'counter',
    floe_data_written_bytes_total: 'counter',
    floe_data_files_written_total: 'counter',
    floe_commits_total: 'counter',
    floe_commit_duration_seconds: 'histogram',
    floe_flush_batch_rows: 'histogram',
    floe_data_freshness_seconds: 'histogram',
    floe_consumer_lag_records: 'gauge',
    floe_errors_total: 'counter',
    floe_rebalances_total: 'counter',
    floe_buffered_bytes: 'gauge',
    floe_paused_partitions: 'gauge',
    floe_last_commit_timestamp_seconds: 'gauge',
  });
  const { register } = await import('prom-client');
  assert.equal(register.getSingleMetric('floe_records_consumed_total'), undefined);
  assert.throws(() => new PipelineMetrics(a), /already been registered/);
});

test('helpers update the metrics the pipeline reads back', async () => {
  const r = new Registry();
  const m = new PipelineMetrics(r);
  m.consumed('orders', 500);
  m.consumed('orders', 250);
  m.consumed('refunds', 0); // no series for a zero count
  m.flushed('shop.orders', 750);
  m.commitAttempt('shop.orders', 'conflict-retried', 0.2);
  m.commitAttempt('shop.orders', 'ok', 0.03);
  const commitMs = 1_700_000_100_000;
  m.committed('shop.orders', {
    rows: 750,
    bytes: 123456,
    files: 2,
    commitTimeMs: commitMs,
    timestampsMs: [commitMs - 400, commitMs - 1500, commitMs - 7000, commitMs + 50 /* skew → 0 */, -1 /* none */],
  });
  m.setLag('orders', 0, 42n);
  m.setLag('orders', 1, 7);
  m.bufferedBytes.set(1 << 20);
  m.pausedPartitions.set(2);
  const s = samples(await r.metrics());
  assert.equal(s.get('floe_records_consumed_total{topic="orders"}'), 750);
  assert.equal(s.has('floe_records_consumed_total{topic="refunds"}'), false);
  assert.equal(s.get('floe_records_written_total{table="shop.orders"}'), 750);
  assert.equal(s.get('floe_data_written_bytes_total{table="shop.orders"}'), 123456);
  assert.equal(s.get('floe_data_files_written_total{table="shop.orders"}'), 2);
  assert.equal(s.get('floe_commits_total{table="shop.orders",outcome="ok"}'), 1);
  assert.equal(s.get('floe_commits_total{table="shop.orders",outcome="conflict-retried"}'), 1);
  assert.equal(s.get('floe_commit_duration_seconds_count{table="shop.orders",outcome="ok"}'), 1);
  assert.equal(s.get('floe_commit_duration_seconds_bucket{le="0.05",table="shop.orders",outcome="ok"}'), 1);
  assert.equal(s.get('floe_commit_duration_seconds_bucket{le="0.1",table="shop.orders",outcome="conflict-retried"}'), 0);
  assert.equal(s.get('floe_flush_batch_rows_bucket{le="1000",table="shop.orders"}'), 1);
  assert.equal(s.get('floe_flush_batch_rows_bucket{le="100",table="shop.orders"}'), 0);
  assert.equal(s.get('floe_last_commit_timestamp_seconds{table="shop.orders"}'), 1_700_000_100);
  // freshness: 0.4 s, 1.5 s, 7 s, 0 s (skew); the -1 timestamp is skipped
  assert.equal(s.get('floe_data_freshness_seconds_count{table="shop.orders"}'), 4);
  assert.ok(Math.abs(s.get('floe_data_freshness_seconds_sum{table="shop.orders"}')! - 8.9) < 1e-9);
  assert.equal(s.get('floe_data_freshness_seconds_bucket{le="0.5",table="shop.orders"}'), 2);
  assert.equal(s.get('floe_data_freshness_seconds_bucket{le="2",table="shop.orders"}'), 3);
  assert.equal(s.get('floe_data_freshness_seconds_bucket{le="5",table="shop.orders"}'), 3);
  assert.equal(s.get('floe_data_freshness_seconds_bucket{le="10",table="shop.orders"}'), 4);
  assert.equal(s.get('floe_data_freshness_seconds_bucket{le="+Inf",table="shop.orders"}'), 4);
  assert.equal(s.get('floe_consumer_lag_records{topic="orders",partition="0"}'), 42);
  assert.equal(s.get('floe_consumer_lag_records{topic="orders",partition="1"}'), 7);
  assert.equal(s.get('floe_buffered_bytes'), 1048576);
  assert.equal(s.get('floe_paused_partitions'), 2);
  m.forgetPartition('orders', 0);
  const s2 = samples(await r.metrics());
  assert.equal(s2.has('floe_consumer_lag_records{topic="orders",partition="0"}'), false);
  assert.equal(s2.get('floe_consumer_lag_records{topic="orders",partition="1"}'), 7);
});

test('floe_buffered_bytes is read from its source at each scrape', async () => {
  const r = new Registry();
  const m = new PipelineMetrics(r);
  let held = 100;
  m.measureBufferedBytes(() => held);
  assert.equal(samples(await r.metrics()).get('floe_buffered_bytes'), 100);
  held = 7;
  assert.equal(samples(await r.metrics()).get('floe_buffered_bytes'), 7, 'the value as it is when scraped, not as it was at the last commit');
});

test('BulkHistogram gives the same exposition as observing one value at a time', async () => {
  const r = new Registry();
  const h = new BulkHistogram({ name: 'x_seconds', help: 'x', labelNames: ['t'] as const, buckets: [5, 1, 2], registers: [r] });
  const values = [0.5, 1, 1.0001, 2, 3, 99, Number.NaN, 0];
  h.observeMany({ t: 'a' }, values);
  h.observe({ t: 'b' }, 1.5, 3);
  // prom-client's own Histogram, one observe per value, prints the same lines
  const ref = new Registry();
  const refH = new Histogram({ name: 'x_seconds', help: 'x', labelNames: ['t'] as const, buckets: [1, 2, 5], registers: [ref] });
  for (const v of values) if (Number.isFinite(v)) refH.observe({ t: 'a' }, v);
  for (let i = 0; i < 3; i++) refH.observe({ t: 'b' }, 1.5);
  assert.equal(await r.metrics(), await ref.metrics());
  const s = samples(await r.metrics());
  // buckets are cumulative, le is inclusive, NaN skipped
  assert.equal(s.get('x_seconds_bucket{le="1",t="a"}'), 3);
  assert.equal(s.get('x_seconds_bucket{le="2",t="a"}'), 5);
  assert.equal(s.get('x_seconds_bucket{le="5",t="a"}'), 6);
  assert.equal(s.get('x_seconds_bucket{le="+Inf",t="a"}'), 7);
  assert.equal(s.get('x_seconds_count{t="a"}'), 7);
  assert.ok(Math.abs(s.get('x_seconds_sum{t="a"}')! - 106.5001) < 1e-9);
  assert.equal(s.get('x_seconds_bucket{le="1",t="b"}'), 0);
  assert.equal(s.get('x_seconds_bucket{le="2",t="b"}'), 3);
  assert.equal(s.get('x_seconds_sum{t="b"}'), 4.5);
  assert.match(await r.metrics(), /# TYPE x_seconds histogram/);
  assert.throws(() => h.observe({ t: 'a' }, Number.POSITIVE_INFINITY), /finite/);
  assert.throws(() => h.observeMany({} as { t: string }, [1]), /missing label t/);
  assert.throws(() => h.observeMany({ t: 'a', u: 'b' } as { t: string }, [1]), /unknown label u/);
  h.remove({ t: 'a' });
  assert.equal(samples(await r.metrics()).has('x_seconds_count{t="a"}'), false);
  r.resetMetrics();
  assert.equal(samples(await r.metrics()).size, 0);
  assert.throws(() => new BulkHistogram({ name: 'y', help: 'y', buckets: [1, 1] }), /distinct/);
});

test('label values are escaped in the text format', async () => {
  const r = new Registry();
  const m = new PipelineMetrics(r);
  m.consumed('we"ird\\topic\nx', 1);
  m.observeFreshness('a"b', 1000, [0]);
  const text = await r.metrics();
  assert.ok(text.includes('floe_records_consumed_total{topic="we\\"ird\\\\topic\\nx"} 1'), text);
  assert.ok(text.includes('floe_data_freshness_seconds_count{table="a\\"b"} 1'));
});
