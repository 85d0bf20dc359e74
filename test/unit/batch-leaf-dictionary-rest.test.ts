// A string column whose batch found most values distinct (or gave its dictionary up) starts the
// next 8 batches without a dictionary, then tries one again; a column of few distinct values
// keeps its dictionary batch after batch. The values are the same either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeafBuilder, DICT_PROBE } from '../../src/batch/leaf-builder.ts';
import type { LeafColumn } from '../../src/batch/column-batch.ts';

const stringLeaf = (): LeafBuilder => new LeafBuilder({ fieldId: 1, columnPath: 'c', parquetPath: ['c'], type: 'string', kind: 'bytes', width: 0, maxDef: 1, maxRep: 0, dictionary: true });

/** One batch of the values, finished. */
function batch(l: LeafBuilder, values: string[]): LeafColumn {
  const text = new TextEncoder();
  for (const [i, v] of values.entries()) {
    l.mark();
    // alternate the string and the JSON-bytes ways in (both find or add entries)
    if (i % 2 === 0) l.pushString(v);
    else {
      const b = text.encode(`"${v}"`);
      assert.equal(l.pushJsonString(b, 1), b.length - 1);
    }
    l.level(1, 0);
  }
  return l.finish();
}

function valuesOf(c: LeafColumn): string[] {
  const d = new TextDecoder();
  const out: string[] = [];
  for (let i = 0; i < c.valueCount; i++) {
    if (c.dict) {
      const k = c.dict.indices[i];
      out.push(d.decode(c.dict.data.subarray(c.dict.offsets[k], c.dict.offsets[k + 1])));
    } else out.push(d.decode(c.values!.subarray(c.offsets![i], c.offsets![i + 1])));
  }
  return out;
}

const distinct = (n: number, from: number) => Array.from({ length: n }, (_, i) => `id-${from + i}`);
const few = (n: number) => Array.from({ length: n }, (_, i) => ['DE', 'FR', 'US'][i % 3]);

test('a small batch of mostly distinct values: the next 8 batches start plain, the 10th tries a dictionary again', () => {
  const l = stringLeaf();
  const first = batch(l, distinct(700, 0));
  assert.notEqual(first.dict, null, 'the first batch tries a dictionary (700 values never reach the probe)');
  assert.deepEqual(valuesOf(first), distinct(700, 0));
  for (let b = 0; b < 8; b++) {
    const c = batch(l, few(700));
    assert.equal(c.dict, null, `batch ${b + 2} starts plain`);
    assert.deepEqual(valuesOf(c), few(700));
  }
  const again = batch(l, few(700));
  assert.notEqual(again.dict, null, 'the 10th batch tries a dictionary again');
  assert.equal(again.dict!.size, 3);
  assert.deepEqual(valuesOf(again), few(700));
  // few distinct values: it keeps the dictionary from then on
  for (let b = 0; b < 3; b++) assert.notEqual(batch(l, few(700)).dict, null);
});

test('a dictionary given up past the probe rests too; a batch too small to judge does not', () => {
  const l = stringLeaf();
  const big = batch(l, distinct(DICT_PROBE * 3, 0));
  assert.equal(big.dict, null, 'given up inside the batch');
  assert.deepEqual(valuesOf(big), distinct(DICT_PROBE * 3, 0));
  assert.equal(batch(l, few(100)).dict, null, 'the next batch starts plain');
  const m = stringLeaf();
  batch(m, distinct(40, 0)); // 40 distinct values: too few to judge
  assert.notEqual(batch(m, few(100)).dict, null);
});
