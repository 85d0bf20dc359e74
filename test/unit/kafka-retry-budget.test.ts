// RetryBudget: exponential waits capped, never past the budget's end, reset by a success; and
// the error helpers that decide what a broker outage looks like.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryBudget } from '../../src/kafka/retry-budget.ts';
import { describeKafkaError, isTransientKafkaError } from '../../src/kafka/errors.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('waits double from the first delay up to the cap', () => {
  const c = clock();
  const b = new RetryBudget({ giveUpAfterMs: 60_000, initialDelayMs: 100, maxDelayMs: 1000, now: c.now });
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const d = b.failed();
    assert.equal(d.retry, true);
    if (d.retry) delays.push(d.delayMs);
    c.advance(10);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
  assert.equal(b.failures, 7);
});

test('gives up once failures have lasted the budget, and never waits past its end', () => {
  const c = clock();
  const b = new RetryBudget({ giveUpAfterMs: 3000, initialDelayMs: 1000, maxDelayMs: 10_000, now: c.now });
  assert.deepEqual(b.failed(), { retry: true, delayMs: 1000, failures: 1, failingForMs: 0 });
  c.advance(1000);
  assert.deepEqual(b.failed(), { retry: true, delayMs: 2000, failures: 2, failingForMs: 1000 });
  c.advance(1500);
  // 2000 would be due, 500 are left
  assert.deepEqual(b.failed(), { retry: true, delayMs: 500, failures: 3, failingForMs: 2500 });
  c.advance(500);
  assert.deepEqual(b.failed(), { retry: false, failures: 4, failingForMs: 3000 });
});

test('a success starts the next run of failures afresh', () => {
  const c = clock();
  const b = new RetryBudget({ giveUpAfterMs: 1000, initialDelayMs: 50, now: c.now });
  b.failed();
  c.advance(900);
  b.failed();
  assert.equal(b.failingFor(), 900);
  b.succeeded();
  assert.equal(b.failures, 0);
  assert.equal(b.failingFor(), 0);
  c.advance(900);
  // without the reset this would be 1800 ms of failures: past the budget
  assert.deepEqual(b.failed(), { retry: true, delayMs: 50, failures: 1, failingForMs: 0 });
});

test('a zero budget never retries; a negative one is refused', () => {
  const b = new RetryBudget({ giveUpAfterMs: 0 });
  assert.equal(b.failed().retry, false);
  assert.throws(() => new RetryBudget({ giveUpAfterMs: -1 }), /giveUpAfterMs/);
});

/** the shape the client library reports a failed request in: attempts holding socket errors */
function libraryError(): Error {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:19092'), { code: 'ECONNREFUSED' });
  const network = Object.assign(new Error('Connection to 127.0.0.1:19092 failed.'), { code: 'PLT_KFK_NETWORK', canRetry: true, cause: refused });
  return Object.assign(new AggregateError([network, network, network], 'commit failed 3 times.'), { code: 'PLT_KFK_MULTIPLE' });
}

test('describeKafkaError names the innermost causes once each', () => {
  assert.equal(describeKafkaError(libraryError()), 'commit failed 3 times. (connect ECONNREFUSED 127.0.0.1:19092)');
  assert.equal(describeKafkaError(new Error('plain')), 'plain');
  assert.equal(describeKafkaError('text'), 'text');
});

test('isTransientKafkaError: refused connections and "not now" answers are, other failures are not', () => {
  assert.equal(isTransientKafkaError(libraryError()), true);
  assert.equal(isTransientKafkaError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
  assert.equal(isTransientKafkaError(new Error('The coordinator is not available.')), false);
  assert.equal(isTransientKafkaError(Object.assign(new Error('The coordinator is not available.'), { code: 'PLT_KFK_PROTOCOL', canRetry: true, apiId: 'COORDINATOR_NOT_AVAILABLE' })), true);
  assert.equal(isTransientKafkaError(Object.assign(new Error('Not authorized to access group'), { code: 'PLT_KFK_PROTOCOL', canRetry: false })), false);
  assert.equal(isTransientKafkaError(new Error('kafka: fetch of t[0] failed with error code 87')), false);
  assert.equal(isTransientKafkaError(undefined), false);
});
