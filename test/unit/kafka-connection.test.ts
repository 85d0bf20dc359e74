import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientBaseOptions } from '../../src/kafka/connection.ts';

test('broker lists are validated: host:port, IPv6 in brackets, none empty', () => {
  assert.throws(() => clientBaseOptions({ brokers: [] }, 'x'), /at least one broker/);
  assert.throws(() => clientBaseOptions({ brokers: ['localhost'] }, 'x'), /"localhost" is not host:port/);
  assert.throws(() => clientBaseOptions({ brokers: ['a:9092', 'b: 9092'] }, 'x'), /"b: 9092"/);
  const o = clientBaseOptions({ brokers: ['127.0.0.1:9092', '[::1]:9093', 'kafka-0.svc:19092'] }, 'source');
  assert.deepEqual(o.bootstrapBrokers, ['127.0.0.1:9092', '[::1]:9093', 'kafka-0.svc:19092']);
});

test('defaults and overrides of timeouts, client id, TLS and SASL', () => {
  const d = clientBaseOptions({ brokers: ['h:1'] }, 'admin');
  assert.equal(d.clientId, 'floe-admin');
  assert.equal(d.connectTimeout, 10_000);
  assert.equal(d.requestTimeout, 30_000);
  assert.equal(d.retries, 3);
  assert.equal(d.tls, undefined);
  assert.equal(d.sasl, undefined);
  const o = clientBaseOptions(
    {
      brokers: ['h:1'],
      clientId: 'mine',
      connectTimeoutMs: 1,
      requestTimeoutMs: 2,
      retries: 0,
      tls: true,
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    },
    'admin',
  );
  assert.deepEqual([o.clientId, o.connectTimeout, o.requestTimeout, o.retries, o.tls, o.sasl], ['mine', 1, 2, 0, {}, { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' }]);
});
