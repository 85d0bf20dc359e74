// stackEnv() and uniqueName() from test/helpers/stack.ts (no servers needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stackEnv, uniqueName } from '../helpers/stack.ts';

const FULL = {
  FLOE_TEST_S3_ENDPOINT: 'http://127.0.0.1:9000',
  FLOE_TEST_S3_ACCESS_KEY: 'a',
  FLOE_TEST_S3_SECRET_KEY: 's',
  FLOE_TEST_S3_REGION: 'us-east-1',
  FLOE_TEST_S3_BUCKET: 'warehouse',
  FLOE_TEST_REST_URI: 'http://127.0.0.1:8181',
  FLOE_TEST_KAFKA_BROKERS: '127.0.0.1:9092',
  FLOE_TEST_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  FLOE_TEST_PYTHON: '/venv/bin/python',
};

test('stackEnv maps every variable', () => {
  const env = stackEnv(FULL);
  assert.equal(env.s3Endpoint, FULL.FLOE_TEST_S3_ENDPOINT);
  assert.equal(env.restUri, FULL.FLOE_TEST_REST_URI);
  assert.equal(env.kafkaBrokers, FULL.FLOE_TEST_KAFKA_BROKERS);
  assert.equal(env.registryUrl, FULL.FLOE_TEST_REGISTRY_URL);
  assert.equal(env.python, FULL.FLOE_TEST_PYTHON);
  assert.equal(env.s3Bucket, 'warehouse');
});

test('stackEnv names the missing variable', () => {
  for (const name of Object.keys(FULL)) {
    const env: Record<string, string> = { ...FULL };
    delete env[name];
    assert.throws(
      () => stackEnv(env),
      (e: Error) => e.message.startsWith(`${name} is not set`),
    );
    assert.throws(
      () => stackEnv({ ...FULL, [name]: '' }),
      (e: Error) => e.message.startsWith(`${name} is not set`),
    );
  }
});

test('uniqueName: distinct, prefixed, [a-z0-9_] only', () => {
  const names = new Set<string>();
  for (let i = 0; i < 1000; i++) names.add(uniqueName('My-Table.x'));
  assert.equal(names.size, 1000);
  for (const n of names) {
    assert.match(n, /^my_table_x_[a-z0-9]+_[0-9a-f]{6}_[0-9]+$/);
  }
});
