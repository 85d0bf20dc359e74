import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startServer } from '../../src/server/server.ts';
import type { CheckResult } from '../../src/server/server.ts';
import { PipelineMetrics } from '../../src/pipeline/metrics.ts';

function setup(state: { health: CheckResult | (() => Promise<CheckResult>); ready: CheckResult | (() => Promise<CheckResult>) }, checkTimeoutMs?: number) {
  const registry = new Registry();
  const metrics = new PipelineMetrics(registry);
  const call = (c: CheckResult | (() => Promise<CheckResult>)) => (typeof c === 'function' ? c() : c);
  return {
    registry,
    metrics,
    server: startServer({ port: 0, registry, health: () => call(state.health), ready: () => call(state.ready), checkTimeoutMs }),
  };
}

test('GET /metrics serves the registry in the Prometheus text format', async () => {
  const { metrics, server } = setup({ health: { ok: true }, ready: { ok: true } });
  const s = await server;
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(s.port > 0);
    metrics.consumed('orders', 12);
    const r = await fetch(`${s.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await r.text();
    assert.match(text, /^floe_records_consumed_total\{topic="orders"\} 12$/m);
    assert.match(text, /# TYPE floe_data_freshness_seconds histogram/);
    metrics.consumed('orders', 3); // each scrape reads the current values
    assert.match(await (await fetch(`${s.url}/metrics?x=1`)).text(), /^floe_records_consumed_total\{topic="orders"\} 15$/m);
  } finally {
    await s.close();
  }
});

test('/healthz and /readyz: 200 with JSON when ok, 503 with details when not', async () => {
  const state: { health: CheckResult; ready: CheckResult } = {
    health: { ok: true, details: { uptimeSeconds: 3 } },
    ready: { ok: false, details: { unsought: ['orders[2]'], catalog: 'unreachable' } },
  };
  const { server } = setup(state);
  const s = await server;
  try {
    let r = await fetch(`${s.url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await r.json(), { status: 'ok', details: { uptimeSeconds: 3 } });
    r = await fetch(`${s.url}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'unavailable', details: { unsought: ['orders[2]'], catalog: 'unreachable' } });
    // the callbacks are asked on every request
    state.ready = { ok: true, details: { partitions: 4, offset: 9007199254740993n } };
    state.health = { ok: false };
    r = await fetch(`${s.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok', details: { partitions: 4, offset: '9007199254740993' } });
    r = await fetch(`${s.url}/healthz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'unavailable', details: null });
  } finally {
    await s.close();
  }
});

test('a check that throws or hangs answers 503 with the reason', async () => {
  const state = {
    health: async (): Promise<CheckResult> => {
      throw new Error('consumer loop died');
    },
    ready: () => new Promise<CheckResult>(() => {}), // never answers
  };
  const { server } = setup(state, 100);
  const s = await server;
  try {
    let r = await fetch(`${s.url}/healthz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'unavailable', error: 'consumer loop died' });
    const t0 = performance.now();
    r = await fetch(`${s.url}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'unavailable', error: 'check did not answer within 100 ms' });
    assert.ok(performance.now() - t0 < 5000);
  } finally {
    await s.close();
  }
});

test('unknown paths are 404, other methods 405, HEAD has no body', async () => {
  const { server } = setup({ health: { ok: true }, ready: { ok: true } });
  const s = await server;
  try {
    let r = await fetch(`${s.url}/nope`);
    assert.equal(r.status, 404);
    await r.text();
    r = await fetch(`${s.url}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    await r.text();
    r = await fetch(`${s.url}/healthz`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.ok(Number(r.headers.get('content-length')) > 0);
    assert.equal(await r.text(), '');
  } finally {
    await s.close();
  }
});

test('close() returns promptly even with a request in flight', async () => {
  let reached!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const hang = (): Promise<CheckResult> => {
    reached();
    return new Promise<CheckResult>(() => {});
  };
  const { server } = setup({ health: { ok: true }, ready: hang }, 60_000);
  const s = await server;
  const inFlight = fetch(`${s.url}/readyz`).then(
    (r) => r.status,
    (e: unknown) => e,
  );
  await reachedP; // the request is being handled
  const t0 = performance.now();
  await s.close();
  assert.ok(performance.now() - t0 < 2000, 'close waited for the hanging request');
  assert.ok((await inFlight) instanceof Error, 'the in-flight request was cut');
  await assert.rejects(fetch(`${s.url}/healthz`));
});

test('a port in use is an error from startServer', async () => {
  const { server } = setup({ health: { ok: true }, ready: { ok: true } });
  const s = await server;
  try {
    await assert.rejects(startServer({ port: s.port, registry: new Registry(), health: () => ({ ok: true }), ready: () => ({ ok: true }) }), /EADDRINUSE/);
  } finally {
    await s.close();
  }
});
