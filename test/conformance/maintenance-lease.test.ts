// The maintenance lease (src/maintenance/lease.ts) on both catalogs: one owner at a time, renewal,
// takeover only after expiry plus grace, release, a race of two takers from two catalog clients,
// and connector appends between lease commits unaffected.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { acquireLease, LEASE_PROPERTY, LEASE_REF, leaseOf, releaseLease } from '../../src/maintenance/lease.ts';
import { CATALOG_KINDS, openTableEnv } from '../helpers/table-fixtures.ts';
import type { TableEnv } from '../helpers/table-fixtures.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const envs: TableEnv[] = [];
after(async () => {
  for (const e of envs) await e.close();
});

const range = (from: number, to: number) => [{ topic: 't', partition: 0, from: BigInt(from), to: BigInt(to) }];

for (const kind of CATALOG_KINDS) {
  test(`${kind}: one owner at a time; renew, expire, take over, release`, async () => {
    const env = await openTableEnv(kind, 'lease');
    envs.push(env);
    const id = env.id('t');
    await env.catalog.createTable(id, { schema });
    assert.deepEqual(await acquireLease(env.catalog, id, 'a'), { held: false, reason: 'empty-table' });
    await commitBatch({ connector: 'c', catalog: env.catalog, table: id, files: [], ranges: range(0, 5) });

    let clock = 1_000_000;
    const opts = { ttlMs: 60_000, graceMs: 10_000, now: () => clock };
    const a = await acquireLease(env.catalog, id, 'a', opts);
    assert.deepEqual(a, { held: true, lease: { owner: 'a', until: 1_060_000 } });
    const b = await acquireLease(env.catalog, id, 'b', opts);
    assert.deepEqual(b, { held: false, reason: 'held-by-other', holder: { owner: 'a', until: 1_060_000 } });

    // a connector commits in between: the lease is untouched, the renewal moves the tag to the new head
    const appended = await commitBatch({ connector: 'c', catalog: env.catalog, table: id, files: [], ranges: range(5, 9) });
    clock += 30_000;
    assert.deepEqual(await acquireLease(env.catalog, id, 'a', opts), { held: true, lease: { owner: 'a', until: 1_090_000 } });
    let t = await env.catalog.loadTable(id);
    assert.equal(t.metadata.refs?.[LEASE_REF]?.['snapshot-id'], appended.snapshot['snapshot-id']);
    assert.equal(t.metadata.refs?.[LEASE_REF]?.type, 'tag');

    // past until but within grace: still a's; past grace: b takes it, and a no longer holds it
    clock = 1_090_000 + 5_000;
    assert.equal((await acquireLease(env.catalog, id, 'b', opts)).held, false);
    clock = 1_090_000 + 10_001;
    assert.deepEqual(await acquireLease(env.catalog, id, 'b', opts), { held: true, lease: { owner: 'b', until: clock + 60_000 } });
    assert.equal((await acquireLease(env.catalog, id, 'a', opts)).held, false);

    // a's release does nothing (not the owner); b's removes tag and property
    await releaseLease(env.catalog, id, 'a');
    assert.equal(leaseOf(await env.catalog.loadTable(id))?.owner, 'b');
    await releaseLease(env.catalog, id, 'b');
    t = await env.catalog.loadTable(id);
    assert.equal(t.metadata.refs?.[LEASE_REF], undefined);
    assert.equal(t.metadata.properties?.[LEASE_PROPERTY], undefined);
    assert.equal((await acquireLease(env.catalog, id, 'a', opts)).held, true);
  });
}

test('rest: two takers racing from two clients: exactly one holds the lease', async () => {
  const env = await openTableEnv('rest', 'lease-race');
  envs.push(env);
  const id = env.id('t');
  await env.catalog.createTable(id, { schema });
  await commitBatch({ connector: 'c', catalog: env.catalog, table: id, files: [], ranges: range(0, 5) });
  const second = await openTableEnv('rest', 'lease-race-2'); // a second client of the same catalog
  envs.push(second);
  const other = second.catalog;
  const outcomes = await Promise.all(['x', 'y', 'z'].map((owner, i) => acquireLease(i === 0 ? other : env.catalog, id, owner)));
  assert.equal(outcomes.filter((o) => o.held).length, 1, JSON.stringify(outcomes));
  const holder = leaseOf(await env.catalog.loadTable(id))!.owner;
  assert.deepEqual(
    outcomes.map((o) => (o.held ? o.lease.owner : o.reason === 'held-by-other' ? o.holder.owner : o.reason)),
    [holder, holder, holder],
  );
});
