// The group offsets' sender (src/commit/group-offsets.ts): requests made while one is in flight
// are coalesced into one next request, each request carries the offsets as they stand when it
// leaves, a failed request does not stop later ones, and sent() waits for everything asked so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupOffsets } from '../../src/commit/group-offsets.ts';
import type { GroupOffset } from '../../src/commit/group-offsets.ts';
import { tpKey } from '../../src/commit/offsets-map.ts';

/** A sender whose requests stay in flight until released, and offsets set by the test. */
function harness() {
  const at = new Map<string, bigint>();
  const sent: GroupOffset[][] = [];
  const errors: Error[] = [];
  let release: (() => void)[] = [];
  let failNext = false;
  const g = new GroupOffsets({
    offsetOf: (key) => at.get(key),
    send: (offsets) => {
      sent.push(offsets);
      const fail = failNext;
      failNext = false;
      return new Promise<void>((resolve, reject) => release.push(() => (fail ? reject(new Error('broker said no')) : resolve())));
    },
    onError: (e) => errors.push(e),
  });
  const releaseAll = async () => {
    const r = release;
    release = [];
    for (const f of r) f();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { g, at, sent, errors, releaseAll, failNextRequest: () => (failNext = true) };
}

const tp = (partition: number) => ({ topic: 't', partition });
const key = (partition: number) => tpKey(tp(partition));

test('many table commits while a request is in flight make one next request, with the offsets as they stand when it leaves', async () => {
  const h = harness();
  h.at.set(key(0), 10n);
  h.g.request([tp(0)]);
  assert.equal(h.sent.length, 1);
  assert.deepEqual(h.sent[0], [{ topic: 't', partition: 0, offset: 10n }]);
  // 100 table commits while the first request waits for the broker
  for (let i = 0; i < 100; i++) {
    h.at.set(key(0), BigInt(11 + i));
    h.at.set(key(1), BigInt(500 + i));
    h.g.request([tp(i % 2)]);
  }
  assert.equal(h.sent.length, 1, 'nothing more leaves while one request is in flight');
  await h.releaseAll();
  assert.equal(h.sent.length, 2, 'the hundred requests are one');
  assert.deepEqual(
    h.sent[1].sort((a, b) => a.partition - b.partition),
    [
      { topic: 't', partition: 0, offset: 110n },
      { topic: 't', partition: 1, offset: 599n },
    ],
  );
  await h.releaseAll();
  const done = h.g.sent();
  await done;
  assert.equal(h.sent.length, 2);
});

test('sent() waits for the request in flight and for what was asked meanwhile', async () => {
  const h = harness();
  h.at.set(key(0), 1n);
  h.g.request([tp(0)]);
  h.at.set(key(0), 2n);
  h.g.request([tp(0)]);
  let settled = false;
  const done = h.g.sent().then(() => (settled = true));
  await h.releaseAll();
  assert.equal(settled, false, 'the second request has not been answered yet');
  assert.equal(h.sent.length, 2);
  await h.releaseAll();
  await done;
  assert.equal(settled, true);
  assert.deepEqual(
    h.sent.map((r) => r[0].offset),
    [1n, 2n],
  );
});

test('a partition with no offset is left out, and nothing is sent when no partition has one', async () => {
  const h = harness();
  h.at.set(key(1), 7n);
  h.g.request([tp(0), tp(1)]);
  assert.deepEqual(h.sent[0], [{ topic: 't', partition: 1, offset: 7n }]);
  await h.releaseAll();
  h.g.request([tp(3)]);
  await h.g.sent();
  assert.equal(h.sent.length, 1);
});

test('a failed request is reported and the next request still leaves', async () => {
  const h = harness();
  h.at.set(key(0), 5n);
  h.failNextRequest();
  h.g.request([tp(0)]);
  h.at.set(key(0), 6n);
  h.g.request([tp(0)]);
  await h.releaseAll();
  assert.equal(h.errors.length, 1);
  assert.match(h.errors[0].message, /broker said no/);
  assert.equal(h.sent.length, 2);
  assert.equal(h.sent[1][0].offset, 6n);
  await h.releaseAll();
  await h.g.sent();
});
