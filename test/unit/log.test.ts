// The log lines (src/log.ts): text and JSON formats, levels, fields, and the streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogs, fromEnv, loggerFor } from '../../src/log.ts';

function capture(): { out: string[]; err: string[]; sink: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sink: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

test('text: "floe[name] message" with fields as k=v; warnings and errors to stderr', () => {
  const c = capture();
  configureLogs({ format: 'text', level: 'info' }, c.sink);
  const log = loggerFor('orders');
  log.info('committed', { rows: 3 });
  log.warn('slow');
  log.debug('hidden');
  assert.deepEqual(c.out, ['floe[orders] committed rows=3']);
  assert.deepEqual(c.err, ['floe[orders] slow']);
});

test('json: one object per line with time, level, connector, message and the fields', () => {
  const c = capture();
  configureLogs({ format: 'json', level: 'debug' }, c.sink);
  const log = loggerFor('orders');
  log.debug('fetch', { partition: 3, offset: 12n });
  log.error('stopped: x "quoted"', { kind: 'fatal' });
  const a = JSON.parse(c.out[0]) as Record<string, unknown>;
  assert.equal(a.level, 'debug');
  assert.equal(a.connector, 'orders');
  assert.equal(a.message, 'fetch');
  assert.equal(a.partition, 3);
  assert.equal(a.offset, '12');
  assert.ok(!Number.isNaN(Date.parse(a.time as string)));
  const b = JSON.parse(c.err[0]) as Record<string, unknown>;
  assert.deepEqual([b.level, b.message, b.kind], ['error', 'stopped: x "quoted"', 'fatal']);
  configureLogs({ format: 'text', level: 'info' });
});

test('level warn drops info; settings from the environment, with a clear error for a bad one', () => {
  const c = capture();
  configureLogs({ format: 'text', level: 'warn' }, c.sink);
  loggerFor('x').info('no');
  loggerFor('x').error('yes');
  assert.deepEqual([c.out, c.err], [[], ['floe[x] yes']]);
  assert.deepEqual(fromEnv({ FLOE_LOG_FORMAT: 'json', FLOE_LOG_LEVEL: 'debug' }), { format: 'json', level: 'debug' });
  assert.deepEqual(fromEnv({}), { format: 'text', level: 'info' });
  assert.throws(() => fromEnv({ FLOE_LOG_FORMAT: 'xml' }), /FLOE_LOG_FORMAT must be one of text, json, got "xml"/);
  configureLogs({ format: 'text', level: 'info' });
});
