// The group heartbeat follows the session timeout (src/kafka/source.ts, heartbeatIntervalFor):
// a third of it, at most 1 s (a rebalance is noticed within a second), at least 100 ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heartbeatIntervalFor } from '../../src/kafka/source.ts';

test('the heartbeat is a third of the session timeout, between 100 ms and 1 s', () => {
  assert.equal(heartbeatIntervalFor(30_000), 1_000, 'the default session: a rebalance is noticed within a second');
  assert.equal(heartbeatIntervalFor(3_000), 1_000);
  assert.equal(heartbeatIntervalFor(2_400), 800, 'a short session: three heartbeats within it');
  assert.equal(heartbeatIntervalFor(300), 100);
  for (const s of [1_000, 6_000, 45_000, 300_000]) assert.ok(heartbeatIntervalFor(s) * 3 <= s, `${s} ms: three heartbeats fit in the session`);
});
