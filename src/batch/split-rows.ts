// The rows of one batch split into groups (a table's partitions): every row goes to the group
// `groupOf[row]` names, rows keep their order within a group, and each group's leaf columns own
// fresh arrays (a group's buffers can be transferred to a worker alone). Pure functions over
// LeafColumn.
//
// A string column kept as a dictionary stays one in every group, holding only the entries the
// group's values use, in order of first use (as a LeafBuilder keeps them: the encoder takes
// every entry for the column's statistics).
//
// Why: a table partitioned into many partitions builds its rows in one RecordBatchBuilder and
// splits them when they are written (table-writer.ts), instead of one builder per partition.
// One builder keeps one dictionary per column and takes records straight from their Avro or
// JSON bytes; per-partition builders each grew, hashed and reset their own.
import type { DictionaryData, LeafColumn } from './column-batch.ts';

type Numeric = Int32Array | BigInt64Array | Float32Array | Float64Array;

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
  // each group's rows as runs of consecutive rows, [first, end) pairs: copied as one piece each
  const runs: Int32Array[] = [];
  for (let g = 0; g < groups; g++) {
    const pairs: number[] = [];
    for (let i = start[g]; i < start[g + 1];) {
      const a = order[i++];
      let b = a + 1;
      while (i < start[g + 1] && order[i] === b) {
        b++;
        i++;
      }
      pairs.push(a, b);
    }
    runs.push(Int32Array.from(pairs));
  }
  const out: LeafColumn[][] = Array.from({ length: groups }, () => []);
  for (const col of columns) {
    const rows = rowRanges(col, rowCount);
    const seen: DictionaryScratch | undefined = col.dict === null ? undefined : { remap: new Int32Array(col.dict.size), stamp: new Int32Array(col.dict.size) };
    for (let g = 0; g < groups; g++) out[g].push(gather(col, rows, runs[g], seen, g + 1));
  }
  return out;
}

/** Where each row's levels and values begin (rowCount + 1 entries each; null: the row index itself). */
interface RowRanges {
  level: Int32Array | null;
  value: Int32Array | null;
}

function rowRanges(col: LeafColumn, rowCount: number): RowRanges {
  let level: Int32Array | null = null;
  const rep = col.rep;
  if (rep !== null) {
    level = new Int32Array(rowCount + 1);
    let row = 0;
    for (let i = 0; i < col.levelCount; i++) if (rep[i] === 0) level[row++] = i;
    if (row !== rowCount) throw new Error(`splitRowsByGroup: ${col.columnPath} has ${row} rows, not ${rowCount}`);
    level[rowCount] = col.levelCount;
  } else if (col.levelCount !== rowCount) throw new Error(`splitRowsByGroup: ${col.columnPath} has ${col.levelCount} levels for ${rowCount} rows`);
  let value: Int32Array | null = null;
  const def = col.def;
  if (def !== null) {
    value = new Int32Array(rowCount + 1);
    const max = col.maxDef;
    let v = 0;
    let l = 0;
    for (let r = 0; r < rowCount; r++) {
      value[r] = v;
      const end = level === null ? r + 1 : level[r + 1];
      for (; l < end; l++) if (def[l] === max) v++;
    }
    value[rowCount] = v;
  }
  return { level, value };
}

/** Which dictionary entries the group being gathered uses: remap[e] is e's index in it when stamp[e] is the group's stamp. */
interface DictionaryScratch {
  remap: Int32Array;
  stamp: Int32Array;
}

/** The rows of `runs` ([first, end) pairs) of a column as a new column owning its arrays (`seen`, `stamp`: see DictionaryScratch). */
function gather(col: LeafColumn, rows: RowRanges, runs: Int32Array, seen: DictionaryScratch | undefined, stamp: number): LeafColumn {
  const L = rows.level;
  const V = rows.value;
  const levelAt = (r: number) => (L === null ? r : L[r]);
  const valueAt = (r: number) => (V === null ? levelAt(r) : V[r]);
  let levelCount = 0;
  let valueCount = 0;
  for (let i = 0; i < runs.length; i += 2) {
    levelCount += levelAt(runs[i + 1]) - levelAt(runs[i]);
    valueCount += valueAt(runs[i + 1]) - valueAt(runs[i]);
  }
  const out: LeafColumn = { ...col, levelCount, valueCount, def: null, rep: null, values: null, offsets: null, dict: null };
  if (col.def !== null) out.def = copyRuns(col.def, new Uint8Array(levelCount), runs, levelAt, 1);
  if (col.rep !== null) out.rep = copyRuns(col.rep, new Uint8Array(levelCount), runs, levelAt, 1);
  switch (col.kind) {
    case 'boolean':
      out.values = copyRuns(col.values as Uint8Array, new Uint8Array(valueCount), runs, valueAt, 1);
      break;
    case 'int32':
      out.values = copyRuns(col.values as Int32Array, new Int32Array(valueCount), runs, valueAt, 1);
      break;
    case 'int64':
      out.values = copyRuns(col.values as BigInt64Array, new BigInt64Array(valueCount), runs, valueAt, 1);
      break;
    case 'float':
      out.values = copyRuns(col.values as Float32Array, new Float32Array(valueCount), runs, valueAt, 1);
      break;
    case 'double':
      out.values = copyRuns(col.values as Float64Array, new Float64Array(valueCount), runs, valueAt, 1);
      break;
    case 'fixed':
      out.values = copyRuns(col.values as Uint8Array, new Uint8Array(valueCount * col.width), runs, valueAt, col.width);
      break;
    case 'bytes':
      if (col.dict !== null) out.dict = gatherDictionary(col.dict, runs, valueAt, valueCount, seen!, stamp);
      else {
        const [offsets, data] = gatherPlain(col.offsets!, col.values as Uint8Array, runs, valueAt, valueCount);
        out.offsets = offsets;
        out.values = data;
      }
      break;
  }
  return out;
}

/** Copies the runs' entries ([at(a) * width, at(b) * width) of each run) end to end into `to`. */
function copyRuns<T extends Uint8Array | Numeric>(from: T, to: T, runs: Int32Array, at: (r: number) => number, width: number): T {
  let w = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const a = at(runs[i]) * width;
    const b = at(runs[i + 1]) * width;
    if (b - a === 1) (to as Uint8Array)[w] = (from as Uint8Array)[a];
    else if (b > a) (to as Uint8Array).set((from as Uint8Array).subarray(a, b), w);
    w += b - a;
  }
  return to;
}

function gatherPlain(offsets: Int32Array, data: Uint8Array, runs: Int32Array, at: (r: number) => number, valueCount: number): [Int32Array, Uint8Array] {
  let bytes = 0;
  for (let i = 0; i < runs.length; i += 2) bytes += offsets[at(runs[i + 1])] - offsets[at(runs[i])];
  const outOffsets = new Int32Array(valueCount + 1);
  const outData = new Uint8Array(bytes);
  let v = 0;
  let w = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const v0 = at(runs[i]);
    const v1 = at(runs[i + 1]);
    const shift = w - offsets[v0];
    for (let k = v0; k < v1; k++) outOffsets[++v] = offsets[k + 1] + shift;
    outData.set(data.subarray(offsets[v0], offsets[v1]), w);
    w += offsets[v1] - offsets[v0];
  }
  return [outOffsets, outData];
}

/** The values' dictionary indices remapped to the entries they use, in order of first use. */
function gatherDictionary(dict: DictionaryData, runs: Int32Array, at: (r: number) => number, valueCount: number, seen: DictionaryScratch, stamp: number): DictionaryData {
  const { remap, stamp: stamps } = seen;
  const used: number[] = [];
  const indices = new Int32Array(valueCount);
  let v = 0;
  let bytes = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const v1 = at(runs[i + 1]);
    for (let k = at(runs[i]); k < v1; k++) {
      const e = dict.indices[k];
      let m = remap[e];
      if (stamps[e] !== stamp) {
        stamps[e] = stamp;
        m = remap[e] = used.length;
        used.push(e);
        bytes += dict.offsets[e + 1] - dict.offsets[e];
      }
      indices[v++] = m;
    }
  }
  const offsets = new Int32Array(used.length + 1);
  const data = new Uint8Array(bytes);
  let w = 0;
  for (let j = 0; j < used.length; j++) {
    const e = used[j];
    const a = dict.offsets[e];
    const b = dict.offsets[e + 1];
    data.set(dict.data.subarray(a, b), w);
    w += b - a;
    offsets[j + 1] = w;
  }
  return { size: used.length, offsets, data, indices };
}
