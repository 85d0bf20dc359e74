// `floe run` with `workers: N`, the parts that need no broker: the connector file's key, how many
// members `auto` means, each member's share of the config, and /metrics joined over threads.
// The process with two members against a real broker: test/kafka/workers.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../../src/config/config-reader.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { memberConfig } from '../../src/cli/member-config.ts';
import { joinedMetrics } from '../../src/cli/thread-metrics.ts';
import { cgroupCpuQuota, encoderOnThread, usableCores, workerCount } from '../../src/cli/worker-count.ts';
import { PipelineMetrics } from '../../src/pipeline/metrics.ts';

const yaml = (extra: string) => `
name: orders
kafka: { brokers: ["127.0.0.1:9092"] }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [orders]
table: { name: shop.orders }
bufferMaxBytes: 100000000
${extra}
`;

test('workers in a connector file: a whole number of at least 1 or auto; absent is 1', () => {
  assert.equal(parseConnectorConfig(yaml(''), 'c.yaml', {}).workers, 1);
  assert.equal(parseConnectorConfig(yaml('workers: 4'), 'c.yaml', {}).workers, 4);
  assert.equal(parseConnectorConfig(yaml('workers: auto'), 'c.yaml', {}).workers, 'auto');
  for (const bad of ['workers: 0', 'workers: 1.5', 'workers: four', 'workers: [2]']) {
    assert.throws(
      () => parseConnectorConfig(yaml(bad), 'c.yaml', {}),
      (e: unknown) => e instanceof ConfigError && /c\.yaml: workers: /.test(e.message),
      bad,
    );
  }
});

test('auto is the CPUs the process may run on, capped by its cgroup CPU quota (rounded down, at least 1)', () => {
  assert.equal(usableCores(8, undefined), 8);
  assert.equal(usableCores(8, 2.5), 2);
  assert.equal(usableCores(8, 0.5), 1);
  assert.equal(usableCores(2, 4), 2);
  const files = (m: Record<string, string>) => (f: string) => m[f];
  assert.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' })), undefined);
  assert.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' })), 1.5);
  assert.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' })), 3);
  assert.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' })), undefined);
  assert.equal(cgroupCpuQuota(files({})), undefined);
  assert.equal(
    workerCount(undefined, () => 7),
    1,
  );
  assert.equal(
    workerCount(3, () => 7),
    3,
  );
  assert.equal(
    workerCount('auto', () => 7),
    7,
  );
});

test('each member: its own client id, an equal share of bufferMaxBytes, no metrics server of its own', () => {
  const cfg = parseConnectorConfig(yaml('workers: 3\nmetricsPort: 9464'), 'c.yaml', {});
  const m = memberConfig(cfg, 2, 3);
  assert.equal(m.kafka.clientId, 'floe-orders-2');
  assert.equal(m.kafka.groupId, cfg.kafka.groupId, 'one consumer group');
  assert.equal(m.bufferMaxBytes, 33333333);
  assert.equal(m.metricsPort, 0);
  assert.equal(m.workers, 1);
  assert.equal(cfg.kafka.clientId, 'floe-orders', 'the process config is left as it was');
});

test('/metrics over threads: counters and histograms summed, the last-commit time the latest, process metrics once', async () => {
  const main = new Registry();
  collectDefaultMetrics({ register: main });
  const members = [new PipelineMetrics(new Registry()), new PipelineMetrics(new Registry())];
  members[0].consumed('orders', 3);
  members[1].consumed('orders', 4);
  members[0].committed('shop.orders', { rows: 10, bytes: 100, files: 1, commitTimeMs: 5_000, timestampsMs: [4_000] });
  members[1].committed('shop.orders', { rows: 20, bytes: 200, files: 2, commitTimeMs: 9_000, timestampsMs: [8_500, 8_900] });
  members[0].setLag('orders', 0, 5);
  members[1].setLag('orders', 1, 6);
  const text = await joinedMetrics(main, await Promise.all(members.map((m) => m.registry.getMetricsAsJSON())));
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    assert.ok(line, `${series} in:\n${text}`);
    return Number(line.slice(series.length + 1));
  };
  assert.equal(value('floe_records_consumed_total{topic="orders"}'), 7);
  assert.equal(value('floe_records_written_total{table="shop.orders"}'), 30);
  assert.equal(value('floe_data_files_written_total{table="shop.orders"}'), 3);
  assert.equal(value('floe_last_commit_timestamp_seconds{table="shop.orders"}'), 9);
  assert.equal(value('floe_data_freshness_seconds_count{table="shop.orders"}'), 3);
  assert.equal(value('floe_data_freshness_seconds_bucket{le="1",table="shop.orders"}'), 3);
  assert.equal(value('floe_consumer_lag_records{topic="orders",partition="0"}'), 5);
  assert.equal(value('floe_consumer_lag_records{topic="orders",partition="1"}'), 6);
  assert.equal(text.match(/^# TYPE process_cpu_seconds_total /gm)?.length, 1);
  assert.equal(text.match(/^# TYPE floe_records_consumed_total counter$/gm)?.length, 1);
});

test('each member encodes on a thread of its own only when the process has a core to spare beyond its members', () => {
  assert.equal(encoderOnThread(1, 2), true);
  assert.equal(encoderOnThread(1, 1), false); // taskset -c 0, or a 1-CPU quota
  assert.equal(encoderOnThread(2, 2), false); // workers: auto on 2 cores
  assert.equal(encoderOnThread(2, 4), true);
  assert.equal(encoderOnThread(4, 3), false);
});
