import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, RouteError } from '../../src/route/router.ts';

test('one table for every topic, or one per topic with {topic}', () => {
  assert.equal(createRouter('shop.orders', { by: 'topic' }).tableFor('a', {}), 'shop.orders');
  const r = createRouter('raw.{topic}', { by: 'topic' });
  assert.equal(r.tableFor('Orders.EU-1', {}), 'raw.orders_eu_1');
  assert.equal(r.tableFor('clicks', {}), 'raw.clicks');
});

test('field routing: explicit map first, then the {value} template; unroutable records get a reason', () => {
  const r = createRouter('shop.events_{value}', { by: 'field', field: 'meta.kind', tables: { 'sign-up': 'crm.signups' } });
  assert.equal(r.tableFor('t', { meta: { kind: 'sign-up' } }), 'crm.signups');
  assert.equal(r.tableFor('t', { meta: { kind: 'Page View' } }), 'shop.events_page_view');
  assert.equal(r.tableFor('t', { meta: { kind: 7 } }), 'shop.events_7');
  assert.throws(
    () => r.tableFor('t', { meta: {} }),
    (e: unknown) => e instanceof RouteError && /"meta\.kind" is missing/.test(e.message),
  );
  assert.throws(() => r.tableFor('t', { meta: { kind: ['x'] } }), /must be a string or number, got a list/);
  const strict = createRouter('shop.x', { by: 'field', field: 'kind', tables: { a: 'shop.a' } });
  assert.throws(() => strict.tableFor('t', { kind: 'b' }), /value "b", which route\.tables does not list/);
});

test('field routing through a map (Avro and Protobuf maps decode to Map)', () => {
  const r = createRouter('shop.events_{value}', { by: 'field', field: 'attributes.kind', tables: {} });
  assert.equal(r.tableFor('t', { attributes: new Map([['kind', 'click']]) }), 'shop.events_click');
  assert.throws(() => r.tableFor('t', { attributes: new Map([['other', 'x']]) }), /"attributes\.kind" is missing/);
});

test('field routing names a {value} table once per topic and value, and the same name every time after', () => {
  const r = createRouter('raw_{topic}.events_{value}', { by: 'field', field: 'kind', tables: {} });
  const first = r.tableFor('Orders', { kind: 'Page View' });
  assert.equal(first, 'raw_orders.events_page_view');
  assert.equal(r.tableFor('Orders', { kind: 'Page View' }), first);
  // the same value from another topic is another table; a number and its string are one value
  assert.equal(r.tableFor('clicks', { kind: 'Page View' }), 'raw_clicks.events_page_view');
  assert.equal(r.tableFor('Orders', { kind: 7 }), 'raw_orders.events_7');
  assert.equal(r.tableFor('Orders', { kind: '7' }), 'raw_orders.events_7');
  // far more values than the router keeps: every name is still right (what is kept is forgotten, then made again)
  for (let i = 0; i < 25_000; i++) assert.equal(r.tableFor(i % 2 ? 'Orders' : 'clicks', { kind: `K-${i % 12_000}` }), `raw_${i % 2 ? 'orders' : 'clicks'}.events_k_${i % 12_000}`);
  assert.equal(r.tableFor('Orders', { kind: 'Page View' }), first);
  assert.throws(() => r.tableFor('Orders', { kind: '' }), /is empty/);
  assert.throws(() => r.tableFor('Orders', { kind: '' }), /is empty/, 'an empty value is refused every time, never kept');
});
