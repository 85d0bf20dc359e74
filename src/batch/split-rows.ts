// The rows of one batch split into groups (a table's partitions): every row goes to the group
// `groupOf[row]` names, rows keep their order within a group, and each group's leaf columns own
// fresh arrays (a group's buffers can be transferred to a worker alone). Pure functions over
// LeafColumn.
//
// A string column kept as a dictionary stays one in every group, holding only the entries the
// group's values use, in order of first use (as a LeafBuilder keeps them: the encoder takes
// every entry for the column's statistics).
//
// Each column is read once, in order, and every level and value written to its group's arrays
// (a scatter: rows of a bucketed table rarely come in runs, and reading them group by group
// through index lists waited on the memory at every value), one loop per storage: 64-bit values
// as two 32-bit words (no BigInt is made), fixed widths that are whole words (a uuid) as words.
//
// Why: a table partitioned into many partitions builds its rows in one RecordBatchBuilder and
// splits them when they are written (partitioned-batch.ts), instead of one builder per partition.
// One builder keeps one dictionary per column and takes records straight from their Avro or
// JSON bytes; per-partition builders each grew, hashed and reset their own.
import type { DictionaryData, LeafColumn } from './column-batch.ts';

/**
 * Rows [0, rowCount) of `columns` by group: result[g] holds the rows whose groupOf is g, in
 * order (an empty list of columns for a group with no rows is never made: every g < groups
 * must have a row). `groupOf` holds at least rowCount entries, each in [0, groups).
 */
export function splitRowsByGroup(columns: readonly LeafColumn[], rowCount: number, groupOf: Int32Array, groups: number): LeafColumn[][] {
  const rows = new Int32Array(groups);
  for (let r = 0; r < rowCount; r++) rows[groupOf[r]]++;
  for (let g = 0; g < groups; g++) if (rows[g] === 0) throw new Error(`splitRowsByGroup: group ${g} has no rows`);
  const out: LeafColumn[][] = Array.from({ length: groups }, () => []);
  const s: Scratch = { at: new Int32Array(groups), levelGroup: new Int32Array(0), valueGroup: new Int32Array(0), remap: new Int32Array(0), stamp: new Int32Array(0), entries: new Int32Array(0) };
  for (const col of columns) {
    const parts = splitColumn(col, rowCount, groupOf, groups, rows, s);
    for (let g = 0; g < groups; g++) out[g].push(parts[g]);
  }
  return out;
}

/** Reused arrays: write positions per group, the group of each level and of each value, and the dictionary remap (remap[e] holds when stamp[e] is the group's). */
interface Scratch {
  at: Int32Array;
  levelGroup: Int32Array;
  valueGroup: Int32Array;
  remap: Int32Array;
  stamp: Int32Array;
  entries: Int32Array;
}

/** One column's rows by group: each group's levels and values, in order, in arrays of its own. */
function splitColumn(col: LeafColumn, rowCount: number, groupOf: Int32Array, groups: number, rows: Int32Array, s: Scratch): LeafColumn[] {
  const n = col.levelCount;
  const rep = col.rep;
  const def = col.def;
  // the group of each level (a row's levels all go to its group) and how many each group takes
  let levelGroup = groupOf;
  let levelsOf = rows;
  if (rep !== null) {
    if (s.levelGroup.length < n) s.levelGroup = new Int32Array(Math.max(n, s.levelGroup.length * 2));
    levelGroup = s.levelGroup;
    levelsOf = new Int32Array(groups);
    let row = -1;
    for (let l = 0; l < n; l++) {
      if (rep[l] === 0) row++;
      const g = groupOf[row];
      levelGroup[l] = g;
      levelsOf[g]++;
    }
    if (row + 1 !== rowCount) throw new Error(`splitRowsByGroup: ${col.columnPath} has ${row + 1} rows, not ${rowCount}`);
  } else if (n !== rowCount) throw new Error(`splitRowsByGroup: ${col.columnPath} has ${n} levels for ${rowCount} rows`);
  // the group of each value (levels that hold one) and how many each group takes
  let valueGroup = levelGroup;
  let valuesOf = levelsOf;
  if (def !== null) {
    if (s.valueGroup.length < col.valueCount) s.valueGroup = new Int32Array(Math.max(col.valueCount, s.valueGroup.length * 2));
    valueGroup = s.valueGroup;
    valuesOf = new Int32Array(groups);
    const max = col.maxDef;
    let v = 0;
    for (let l = 0; l < n; l++) {
      if (def[l] !== max) continue;
      const g = levelGroup[l];
      valueGroup[v++] = g;
      valuesOf[g]++;
    }
  }
  const out: LeafColumn[] = new Array(groups);
  for (let g = 0; g < groups; g++) out[g] = { ...col, levelCount: levelsOf[g], valueCount: valuesOf[g], def: null, rep: null, values: null, offsets: null, dict: null };
  if (def !== null) scatterBytes(def, n, levelGroup, out, levelsOf, s.at, 'def');
  if (rep !== null) scatterBytes(rep, n, levelGroup, out, levelsOf, s.at, 'rep');
  const vc = col.valueCount;
  switch (col.kind) {
    case 'boolean':
      scatterBytes(col.values as Uint8Array, vc, valueGroup, out, valuesOf, s.at, 'values');
      break;
    case 'int32':
    case 'float':
    case 'int64':
    case 'double': {
      const v = col.values as Int32Array | Float32Array | BigInt64Array | Float64Array;
      const words = col.kind === 'int32' || col.kind === 'float' ? 1 : 2;
      const to = scatterWords(new Int32Array(v.buffer, v.byteOffset, vc * words), vc, valueGroup, valuesOf, s.at, words);
      for (let g = 0; g < groups; g++) {
        const b = to[g].buffer;
        out[g].values = col.kind === 'int32' ? to[g] : col.kind === 'float' ? new Float32Array(b) : col.kind === 'int64' ? new BigInt64Array(b) : new Float64Array(b);
      }
      break;
    }
    case 'fixed': {
      const v = col.values as Uint8Array;
      const w = col.width;
      if ((w & 3) === 0 && (v.byteOffset & 3) === 0) {
        const to = scatterWords(new Int32Array(v.buffer, v.byteOffset, (vc * w) >> 2), vc, valueGroup, valuesOf, s.at, w >> 2);
        for (let g = 0; g < groups; g++) out[g].values = new Uint8Array(to[g].buffer);
      } else scatterFixed(v, vc, w, valueGroup, out, valuesOf, s.at);
      break;
    }
    case 'bytes':
      if (col.dict !== null) splitDictionary(col.dict, vc, valueGroup, out, valuesOf, s);
      else scatterPlain(col.offsets!, col.values as Uint8Array, vc, valueGroup, out, valuesOf, s.at);
      break;
  }
  return out;
}

/** from[0, n) by group (groupOf[i] the group of from[i]) into each group's new array (`counts` long) under `key`. */
function scatterBytes(from: Uint8Array, n: number, groupOf: Int32Array, out: LeafColumn[], counts: Int32Array, at: Int32Array, key: 'def' | 'rep' | 'values'): void {
  const to: Uint8Array[] = new Array(out.length);
  for (let g = 0; g < out.length; g++) to[g] = new Uint8Array(counts[g]);
  at.fill(0);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    to[g][at[g]++] = from[i];
  }
  for (let g = 0; g < out.length; g++) out[g][key] = to[g];
}

/** n entries of `words` 32-bit words each, by group, into new arrays (counts[g] entries each). */
function scatterWords(from: Int32Array, n: number, groupOf: Int32Array, counts: Int32Array, at: Int32Array, words: number): Int32Array[] {
  const groups = counts.length;
  const to: Int32Array[] = new Array(groups);
  for (let g = 0; g < groups; g++) to[g] = new Int32Array(counts[g] * words);
  at.fill(0);
  if (words === 1)
    for (let i = 0; i < n; i++) {
      const g = groupOf[i];
      to[g][at[g]++] = from[i];
    }
  else if (words === 2)
    for (let i = 0; i < n; i++) {
      const g = groupOf[i];
      const t = to[g];
      const w = at[g];
      at[g] = w + 2;
      t[w] = from[2 * i];
      t[w + 1] = from[2 * i + 1];
    }
  else
    for (let i = 0; i < n; i++) {
      const g = groupOf[i];
      const t = to[g];
      const w = at[g];
      at[g] = w + words;
      for (let j = 0, a = i * words; j < words; j++) t[w + j] = from[a + j];
    }
  return to;
}

/** Fixed-width values whose width is not whole words, byte by byte. */
function scatterFixed(from: Uint8Array, n: number, width: number, groupOf: Int32Array, out: LeafColumn[], counts: Int32Array, at: Int32Array): void {
  const to: Uint8Array[] = new Array(out.length);
  for (let g = 0; g < out.length; g++) to[g] = new Uint8Array(counts[g] * width);
  at.fill(0);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    const t = to[g];
    const w = at[g];
    at[g] = w + width;
    for (let j = 0, a = i * width; j < width; j++) t[w + j] = from[a + j];
  }
  for (let g = 0; g < out.length; g++) out[g].values = to[g];
}

/** Plain strings or binaries by group: each group's offsets and bytes. */
function scatterPlain(offsets: Int32Array, data: Uint8Array, n: number, groupOf: Int32Array, out: LeafColumn[], counts: Int32Array, at: Int32Array): void {
  const groups = out.length;
  const bytes = new Int32Array(groups);
  for (let i = 0; i < n; i++) bytes[groupOf[i]] += offsets[i + 1] - offsets[i];
  const toOffsets: Int32Array[] = new Array(groups);
  const toData: Uint8Array[] = new Array(groups);
  for (let g = 0; g < groups; g++) {
    toOffsets[g] = new Int32Array(counts[g] + 1);
    toData[g] = new Uint8Array(bytes[g]);
  }
  at.fill(0); // values written per group; its bytes end at toOffsets[g][at[g]]
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    const a = offsets[i];
    const b = offsets[i + 1];
    const o = toOffsets[g];
    const k = at[g]++;
    let w = o[k];
    const t = toData[g];
    if (b - a < 64) for (let j = a; j < b; j++) t[w++] = data[j];
    else {
      t.set(data.subarray(a, b), w);
      w += b - a;
    }
    o[k + 1] = w;
  }
  for (let g = 0; g < groups; g++) {
    out[g].offsets = toOffsets[g];
    out[g].values = toData[g];
  }
}

/**
 * A dictionary column by group: each group's indices, remapped to the entries the group uses,
 * in order of first use, and those entries.
 */
function splitDictionary(dict: DictionaryData, n: number, groupOf: Int32Array, out: LeafColumn[], counts: Int32Array, s: Scratch): void {
  const groups = out.length;
  const raw: Int32Array[] = new Array(groups);
  for (let g = 0; g < groups; g++) raw[g] = new Int32Array(counts[g]);
  const at = s.at;
  at.fill(0);
  const src = dict.indices;
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    raw[g][at[g]++] = src[i];
  }
  if (s.stamp.length < dict.size) {
    s.remap = new Int32Array(dict.size);
    s.stamp = new Int32Array(dict.size);
    s.entries = new Int32Array(dict.size);
  } else s.stamp.fill(0);
  const { remap, stamp: stamps, entries } = s;
  for (let g = 0; g < groups; g++) {
    const indices = raw[g];
    const stamp = g + 1;
    let used = 0;
    let bytes = 0;
    for (let k = 0; k < indices.length; k++) {
      const e = indices[k];
      if (stamps[e] !== stamp) {
        stamps[e] = stamp;
        remap[e] = used;
        entries[used++] = e;
        bytes += dict.offsets[e + 1] - dict.offsets[e];
      }
      indices[k] = remap[e];
    }
    const offsets = new Int32Array(used + 1);
    const data = new Uint8Array(bytes);
    let w = 0;
    for (let u = 0; u < used; u++) {
      const e = entries[u];
      const a = dict.offsets[e];
      const b = dict.offsets[e + 1];
      if (b - a < 64) for (let j = a; j < b; j++) data[w++] = dict.data[j];
      else {
        data.set(dict.data.subarray(a, b), w);
        w += b - a;
      }
      offsets[u + 1] = w;
    }
    out[g].dict = { size: used, offsets, data, indices };
  }
}
