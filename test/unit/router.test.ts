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
