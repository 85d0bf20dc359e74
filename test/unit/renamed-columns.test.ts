// src/schema/renamed-columns.ts: the renames a table's schema history holds, applied to plain
// JSON records, and refused in writer schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from '../../src/iceberg/types.ts';
import { SchemaRuleError } from '../../src/schema/errors.ts';
import { applyRenames, renamedFieldOf, renamesOf } from '../../src/schema/renamed-columns.ts';

const v0: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 's', required: false, type: 'string' },
    { id: 2, name: 'o', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'x', required: false, type: 'long' }] } },
    {
      id: 4,
      name: 'l',
      required: false,
      type: { type: 'list', 'element-id': 5, 'element-required': false, element: { type: 'struct', fields: [{ id: 6, name: 'y', required: false, type: 'long' }] } },
    },
    { id: 7, name: 'keep', required: false, type: 'long' },
  ],
};
// another engine renamed s → s_renamed, o.x → o.x2, l.element.y → l.element.y2, and keep → k then k → keep again
const v1: Schema = JSON.parse(
  JSON.stringify(v0).replace('"name":"s"', '"name":"s_renamed"').replace('"name":"x"', '"name":"x2"').replace('"name":"y"', '"name":"y2"').replace('"name":"keep"', '"name":"k"'),
);
v1['schema-id'] = 1;
const v2: Schema = { ...JSON.parse(JSON.stringify(v1).replace('"name":"k"', '"name":"keep"')), 'schema-id': 2 };

test('renames from the schema history: old names move to the current ones, at any depth, lists included', () => {
  const r = renamesOf([v0, v1, v2], 2)!;
  assert.ok(r);
  // keep was named k for a while: k is an old name of keep (keep itself is current: not moved)
  assert.deepEqual(
    [...r.byOld],
    [
      ['s', 's_renamed'],
      ['k', 'keep'],
    ],
  );
  const rec = { s: 'a', o: { x: 1 }, l: [{ y: 2 }, { y: 3 }, null], keep: 4 };
  applyRenames(rec, r);
  assert.deepEqual(rec, { s_renamed: 'a', o: { x2: 1 }, l: [{ y2: 2 }, { y2: 3 }, null], keep: 4 });
  // a record that already has the new name keeps both as they are (nothing is overwritten)
  const both = { s: 'old', s_renamed: 'new' };
  applyRenames(both, r);
  assert.deepEqual(both, { s: 'old', s_renamed: 'new' });
  assert.equal(renamesOf([v0], 0), undefined, 'no history, no renames');
});

test("a writer schema with a renamed column's old name is refused, naming the new name", () => {
  const r = renamesOf([v0, v1], 1)!;
  const e = renamedFieldOf(v0, r);
  assert.ok(e instanceof SchemaRuleError && e.reason === 'renamed-column', String(e));
  assert.match(e.message, /column "s" was renamed to "s_renamed"/);
  const nested = renamedFieldOf({ type: 'struct', fields: [v1.fields[0], v0.fields[1]] }, r);
  assert.match(String(nested), /column "o\.x" was renamed to "o\.x2"/);
  assert.equal(renamedFieldOf(v1, r), undefined);
});
