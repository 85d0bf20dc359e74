// The rows of one batch split into groups (a table's partitions): every row goes to the group
// `groupOf[row]` names, rows keep their order within a group, and each group's leaf columns own
// fresh arrays (a group's buffers can be transferred to a worker alone). Pure functions over
// LeafColumn.
//
// A string column kept as a dictionary stays one in every group, holding only the entries the
// group's values use, in order of first use (as a LeafBuilder keeps them: the encoder takes
// every entry for the column's statistics).
//
// Copies go value by value through index lists, one loop per storage (64-bit values as two
// 32-bit words, so no BigInt is made; fixed widths that are whole words, a uuid's 16 bytes, as
// words too: 2x faster than byte by byte): rows of a bucketed table rarely come in runs.
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
  // rows ordered by group (a stable counting sort), and where each group's rows begin
  const start = new Int32Array(groups + 1);
  for (let r = 0; r < rowCount; r++) start[groupOf[r] + 1]++;
  for (let g = 0; g < groups; g++) {
    if (start[g + 1] === 0) throw new Error(`splitRowsByGroup: group ${g} has no rows`);
    start[g + 1] += start[g];
  }
  const order = new Int32Array(rowCount);
  const at = start.slice(0, groups);
  for (let r = 0; r < rowCount; r++) order[at[groupOf[r]]++] = r;
  const out: LeafColumn[][] = Array.from({ length: groups }, () => []);
  const scratch: Scratch = { levels: new Int32Array(0), values: new Int32Array(0), remap: new Int32Array(0), stamp: new Int32Array(0) };
  for (const col of columns) {
    const index = indexColumn(col, rowCount);
    if (col.dict !== null && scratch.stamp.length < col.dict.size) {
      scratch.remap = new Int32Array(col.dict.size);
      scratch.stamp = new Int32Array(col.dict.size);
    } else scratch.stamp.fill(0);
    for (let g = 0; g < groups; g++) out[g].push(gather(col, index, order, start[g], start[g + 1], scratch, g + 1));
  }
  return out;
}

/** Where a column's rows begin among its levels, and each level's value index (null: the same index). */
interface ColumnIndex {
  /** rowCount + 1 level indexes (null: a row is one level, maxRep 0). */
  rowLevel: Int32Array | null;
  /** levelCount + 1 value indexes: values before each level (null: every level holds a value, maxDef 0). */
  levelValue: Int32Array | null;
}

function indexColumn(col: LeafColumn, rowCount: number): ColumnIndex {
  let rowLevel: Int32Array | null = null;
  const rep = col.rep;
  if (rep !== null) {
    rowLevel = new Int32Array(rowCount + 1);
    let row = 0;
    for (let i = 0; i < col.levelCount; i++) if (rep[i] === 0) rowLevel[row++] = i;
    if (row !== rowCount) throw new Error(`splitRowsByGroup: ${col.columnPath} has ${row} rows, not ${rowCount}`);
    rowLevel[rowCount] = col.levelCount;
  } else if (col.levelCount !== rowCount) throw new Error(`splitRowsByGroup: ${col.columnPath} has ${col.levelCount} levels for ${rowCount} rows`);
  let levelValue: Int32Array | null = null;
  const def = col.def;
  if (def !== null) {
    const n = col.levelCount;
    levelValue = new Int32Array(n + 1);
    const max = col.maxDef;
    let v = 0;
    for (let l = 0; l < n; l++) {
      levelValue[l] = v;
      if (def[l] === max) v++;
    }
    levelValue[n] = v;
  }
  return { rowLevel, levelValue };
}

/** Reused lists: the levels and values a group takes, and the dictionary remap (remap[e] holds when stamp[e] is the group's). */
interface Scratch {
  levels: Int32Array;
  values: Int32Array;
  remap: Int32Array;
  stamp: Int32Array;
}

/** The rows order[from, to) of a column as a new column owning its arrays. */
function gather(col: LeafColumn, index: ColumnIndex, order: Int32Array, from: number, to: number, scratch: Scratch, stamp: number): LeafColumn {
  // the levels the rows take, in order
  let levels: Int32Array;
  let levelCount: number;
  const rowLevel = index.rowLevel;
  if (rowLevel === null) {
    levels = order.subarray(from, to);
    levelCount = to - from;
  } else {
    levelCount = 0;
    for (let i = from; i < to; i++) levelCount += rowLevel[order[i] + 1] - rowLevel[order[i]];
    if (scratch.levels.length < levelCount) scratch.levels = new Int32Array(Math.max(levelCount, scratch.levels.length * 2));
    levels = scratch.levels;
    let k = 0;
    for (let i = from; i < to; i++) for (let l = rowLevel[order[i]], e = rowLevel[order[i] + 1]; l < e; l++) levels[k++] = l;
  }
  // the values those levels hold, in order
  let values: Int32Array;
  let valueCount: number;
  const levelValue = index.levelValue;
  if (levelValue === null) {
    values = levels;
    valueCount = levelCount;
  } else {
    if (scratch.values.length < levelCount) scratch.values = new Int32Array(Math.max(levelCount, scratch.values.length * 2));
    values = scratch.values;
    const def = col.def!;
    const max = col.maxDef;
    valueCount = 0;
    for (let k = 0; k < levelCount; k++) {
      const l = levels[k];
      if (def[l] === max) values[valueCount++] = levelValue[l];
    }
  }
  const out: LeafColumn = { ...col, levelCount, valueCount, def: null, rep: null, values: null, offsets: null, dict: null };
  if (col.def !== null) out.def = gatherBytes(col.def, new Uint8Array(levelCount), levels, levelCount);
  if (col.rep !== null) out.rep = gatherBytes(col.rep, new Uint8Array(levelCount), levels, levelCount);
  switch (col.kind) {
    case 'boolean':
      out.values = gatherBytes(col.values as Uint8Array, new Uint8Array(valueCount), values, valueCount);
      break;
    case 'int32':
    case 'float': {
      const v = col.values as Int32Array | Float32Array;
      const to = new Int32Array(valueCount);
      gatherWords(new Int32Array(v.buffer, v.byteOffset, v.length), to, values, valueCount, 1);
      out.values = col.kind === 'int32' ? to : new Float32Array(to.buffer);
      break;
    }
    case 'int64':
    case 'double': {
      const v = col.values as BigInt64Array | Float64Array;
      const to = new Int32Array(valueCount * 2);
      gatherWords(new Int32Array(v.buffer, v.byteOffset, v.length * 2), to, values, valueCount, 2);
      out.values = col.kind === 'int64' ? new BigInt64Array(to.buffer) : new Float64Array(to.buffer);
      break;
    }
    case 'fixed':
      out.values = gatherFixed(col.values as Uint8Array, new Uint8Array(valueCount * col.width), values, valueCount, col.width);
      break;
    case 'bytes':
      if (col.dict !== null) out.dict = gatherDictionary(col.dict, values, valueCount, scratch, stamp);
      else {
        const [offsets, data] = gatherPlain(col.offsets!, col.values as Uint8Array, values, valueCount);
        out.offsets = offsets;
        out.values = data;
      }
      break;
  }
  return out;
}

function gatherBytes(from: Uint8Array, to: Uint8Array, idx: Int32Array, n: number): Uint8Array {
  for (let k = 0; k < n; k++) to[k] = from[idx[k]];
  return to;
}

/** Fixed-width values (uuid, fixed, decimals as bytes): 32-bit words at a time when the width and the source allow. */
function gatherFixed(from: Uint8Array, to: Uint8Array, idx: Int32Array, n: number, width: number): Uint8Array {
  if ((width & 3) === 0 && (from.byteOffset & 3) === 0) {
    gatherWords(new Int32Array(from.buffer, from.byteOffset, from.length >> 2), new Int32Array(to.buffer, to.byteOffset, to.length >> 2), idx, n, width >> 2);
    return to;
  }
  for (let k = 0; k < n; k++) {
    const a = idx[k] * width;
    const w = k * width;
    for (let j = 0; j < width; j++) to[w + j] = from[a + j];
  }
  return to;
}

/** Entries of `words` 32-bit words each (1: int32, float; 2: int64, double; 4: a uuid; any width of fixed bytes). */
function gatherWords(from: Int32Array, to: Int32Array, idx: Int32Array, n: number, words: number): void {
  if (words === 1) for (let k = 0; k < n; k++) to[k] = from[idx[k]];
  else if (words === 2)
    for (let k = 0; k < n; k++) {
      const i = idx[k] * 2;
      to[2 * k] = from[i];
      to[2 * k + 1] = from[i + 1];
    }
  else if (words === 4)
    for (let k = 0; k < n; k++) {
      const a = idx[k] << 2;
      const w = k << 2;
      to[w] = from[a];
      to[w + 1] = from[a + 1];
      to[w + 2] = from[a + 2];
      to[w + 3] = from[a + 3];
    }
  else
    for (let k = 0; k < n; k++) {
      const a = idx[k] * words;
      const w = k * words;
      for (let j = 0; j < words; j++) to[w + j] = from[a + j];
    }
}

function gatherPlain(offsets: Int32Array, data: Uint8Array, idx: Int32Array, n: number): [Int32Array, Uint8Array] {
  let bytes = 0;
  for (let k = 0; k < n; k++) bytes += offsets[idx[k] + 1] - offsets[idx[k]];
  const outOffsets = new Int32Array(n + 1);
  const outData = new Uint8Array(bytes);
  let w = 0;
  for (let k = 0; k < n; k++) {
    const a = offsets[idx[k]];
    const b = offsets[idx[k] + 1];
    if (b - a < 64) for (let j = a; j < b; j++) outData[w++] = data[j];
    else {
      outData.set(data.subarray(a, b), w);
      w += b - a;
    }
    outOffsets[k + 1] = w;
  }
  return [outOffsets, outData];
}

/** The values' dictionary indices remapped to the entries they use, in order of first use. */
function gatherDictionary(dict: DictionaryData, idx: Int32Array, n: number, scratch: Scratch, stamp: number): DictionaryData {
  const { remap, stamp: stamps } = scratch;
  const src = dict.indices;
  const indices = new Int32Array(n);
  let used = 0;
  let bytes = 0;
  for (let k = 0; k < n; k++) {
    const e = src[idx[k]];
    if (stamps[e] !== stamp) {
      stamps[e] = stamp;
      remap[e] = used++;
      bytes += dict.offsets[e + 1] - dict.offsets[e];
    }
    indices[k] = remap[e];
  }
  // the entries in order of first use: the first value of each new index
  const offsets = new Int32Array(used + 1);
  const data = new Uint8Array(bytes);
  let next = 0;
  let w = 0;
  for (let k = 0; k < n && next < used; k++) {
    if (indices[k] !== next) continue;
    const e = src[idx[k]];
    const a = dict.offsets[e];
    const b = dict.offsets[e + 1];
    if (b - a < 64) for (let j = a; j < b; j++) data[w++] = dict.data[j];
    else {
      data.set(dict.data.subarray(a, b), w);
      w += b - a;
    }
    offsets[++next] = w;
  }
  return { size: used, offsets, data, indices };
}
