// LeafBuilder.rollback() takes a column back to its last mark() from the two counts mark() keeps:
// random records of a few values each, some rolled back, give the batch the kept records alone
// give, for a dictionary column (entries added by a rolled-back record dropped; the dictionary
// given up inside a rolled-back record), plain bytes, fixed-width bytes, int32 values and a
// repeated column's levels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeafBuilder, DICT_PROBE } from '../../src/batch/leaf-builder.ts';
import type { LeafKind } from '../../src/batch/column-batch.ts';
import type { PrimitiveType } from '../../src/iceberg/types.ts';
import { rng } from '../helpers/rng.ts';

const leaf = (type: PrimitiveType, kind: LeafKind, width: number, dictionary: boolean): LeafBuilder =>
  new LeafBuilder({ fieldId: 1, columnPath: 'c', parquetPath: ['c'], type, kind, width, maxDef: 1, maxRep: 1, dictionary });

const COLUMNS: [string, () => LeafBuilder, (l: LeafBuilder, r: () => number, distinct: number) => void][] = [
  ['string', () => leaf('string', 'bytes', 0, true), (l, r, distinct) => l.pushString(`v${Math.floor(r() * distinct)}`)],
  ['binary', () => leaf('binary', 'bytes', 0, false), (l, r) => l.pushBytes(new Uint8Array(Math.floor(r() * 5)).fill(7))],
  ['fixed', () => leaf('fixed[3]', 'fixed', 3, false), (l, r) => l.pushFixed(Uint8Array.of(1, 2, Math.floor(r() * 255)))],
  ['int', () => leaf('int', 'int32', 0, false), (l, r) => l.pushInt32(Math.floor(r() * 1000))],
];

for (const [name, make, push] of COLUMNS) {
  test(`rollback: a ${name} column with rolled-back records equals one built from the kept records`, () => {
    for (const distinct of [5, 200, 1e9]) {
      // distinct 1e9: the dictionary is given up past DICT_PROBE entries, often inside a rolled-back record
      const r = rng(distinct);
      const got = make();
      const want = make();
      for (let i = 0; i < DICT_PROBE * 6; i++) {
        const values = Math.floor(r() * 3);
        const seed = Math.floor(r() * 2 ** 31);
        const kept = r() < 0.8;
        const record = (l: LeafBuilder): void => {
          const rr = rng(seed);
          if (values === 0) l.level(0, 0);
          for (let v = 0; v < values; v++) {
            push(l, rr, distinct);
            l.level(v === 0 ? 0 : 1, 1);
          }
        };
        got.mark();
        record(got);
        if (kept) record(want);
        else got.rollback();
        if (i % 10000 === 9999) {
          if (name === 'string') assert.equal(got.dictMap === null, distinct > 1000, 'the dictionary given up (only) for many distinct values');
          assert.deepEqual(got.finish(), want.finish(), `${name}, batch ending at ${i}`);
        }
      }
      assert.deepEqual(got.finish(), want.finish(), name);
    }
  });
}
