// LeafBuilder.pushUtf8 stores what pushString of the same text stores: a dictionary hit is only
// taken when every byte matches the entry. Strings that differ in exactly one byte (at every
// position, for lengths 1 to 80) hash to the same slot often (past 16 bytes the hash reads 12 of
// them, below it 256 variants of a byte share 2048 slots), so each compared byte is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeafBuilder } from '../../src/batch/leaf-builder.ts';
import type { LeafColumn } from '../../src/batch/column-batch.ts';

const leaf = (): LeafBuilder => new LeafBuilder({ fieldId: 1, columnPath: 's', parquetPath: ['s'], type: 'string', kind: 'bytes', width: 0, maxDef: 0, maxRep: 0, dictionary: true });

function values(c: LeafColumn): string[] {
  const d = c.dict!;
  const text = new TextDecoder();
  return Array.from(d.indices, (k) => text.decode(d.data.subarray(d.offsets[k], d.offsets[k + 1])));
}

test('pushUtf8: strings one byte apart, at every position and length, each stored as itself', () => {
  const enc = new TextEncoder();
  for (let len = 1; len <= 80; len++) {
    const base = Array.from({ length: len }, (_, i) => String.fromCharCode(97 + ((i * 7 + len) % 26)));
    for (let j = 0; j < len; j++) {
      const l = leaf();
      const want: string[] = [];
      // each variant twice: the second time it is (or collides with) a dictionary entry
      for (let round = 0; round < 2; round++) {
        for (let c = 33; c < 127; c += round === 0 ? 1 : 3) {
          const s = [...base];
          s[j] = String.fromCharCode(c);
          const str = s.join('');
          const bytes = enc.encode(`"${str}"`);
          l.pushUtf8(bytes, 1, bytes.length - 2);
          want.push(str);
        }
      }
      const col = l.finish();
      assert.ok(col.dict !== null);
      assert.deepEqual(values(col), want, `length ${len}, byte ${j}`);
    }
  }
});

test('pushUtf8: the same values at other offsets of other buffers, each stored as itself, one dictionary entry each', () => {
  const enc = new TextEncoder();
  const l = leaf();
  const words = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36', 'São Paulo', 'x', ''];
  for (let i = 0; i < 400; i++) {
    const w = words[i % words.length];
    const bytes = enc.encode(`${' '.repeat(i % 13)}"${w}"`);
    l.pushUtf8(bytes, (i % 13) + 1, bytes.length - (i % 13) - 2);
  }
  const col = l.finish();
  assert.equal(col.dict!.size, words.length);
  assert.deepEqual(
    values(col),
    Array.from({ length: 400 }, (_, i) => words[i % words.length]),
  );
});
