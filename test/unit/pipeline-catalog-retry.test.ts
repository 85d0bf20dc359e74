import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { FloeError } from '../../src/errors.ts';
import { catalogCall } from '../../src/pipeline/catalog-retry.ts';
import type { CatalogRetryHost } from '../../src/pipeline/catalog-retry.ts';
import { ConnectorStoppedError } from '../../src/pipeline/connector-stopped.ts';

function host(outageTimeoutMs: number, onWarn: (msg: string) => void = () => {}): CatalogRetryHost & { stop(): void } {
  const controller = new AbortController();
  return {
    config: { name: 'c', errors: { outageTimeoutMs } } as unknown as ConnectorConfig,
    events: undefined,
    log: { info: () => {}, warn: onWarn },
    now: () => Date.now(),
    failure: () => undefined,
    stopSignal: controller.signal,
    stop: () => controller.abort(),
  };
}

const down = (n: number) => new FloeError('retryable', `catalog down (${n})`);

test('a retryable catalog error is retried until the request succeeds', async () => {
  let calls = 0;
  const got = await catalogCall(host(60_000), 'loading table a.b', async () => {
    if (++calls < 2) throw down(calls);
    return 'table';
  });
  assert.equal(got, 'table');
  assert.equal(calls, 2);
});

test('an error of another kind is not retried', async () => {
  let calls = 0;
  const refused = new FloeError('fatal', 'forbidden');
  await assert.rejects(
    catalogCall(host(60_000), 'loading table a.b', async () => {
      calls++;
      throw refused;
    }),
    (e) => e === refused,
  );
  assert.equal(calls, 1);
});

test('past errors.outageTimeoutMs the connector stops with an error naming the request', async () => {
  await assert.rejects(
    catalogCall(host(0), 'loading table a.b', async () => {
      throw down(1);
    }),
    (e: unknown) => e instanceof ConnectorStoppedError && /loading table a\.b has failed for 0 s \(1 attempts; errors\.outageTimeoutMs is 0\): catalog down \(1\)/.test(e.message),
  );
});

test('a stop that begins during the back-off wait ends it: the request fails at once with its last error', async () => {
  // the first wait is 250-500 ms; the stop comes as it begins, and the request must fail long before it ends
  let calls = 0;
  let h: ReturnType<typeof host> | undefined = undefined;
  h = host(60_000, () => h!.stop());
  const started = performance.now();
  const outcome = await Promise.race([
    catalogCall(h, 'loading table a.b', async () => {
      throw down(++calls);
    }).then(
      () => 'resolved',
      (e: unknown) => e,
    ),
    new Promise((r) => setTimeout(() => r('still waiting'), 200)),
  ]);
  assert.ok(outcome instanceof FloeError && outcome.message === 'catalog down (1)', `got ${String(outcome)} after ${Math.round(performance.now() - started)} ms`);
  assert.equal(calls, 1, 'no attempt after the stop');
});
