// Stitch: joins Parquet files that floe wrote itself (same schema elements and field ids, same
// codec per column, same key-value metadata) into one, by copying their row groups byte for
// byte under a new footer. No page is decoded or re-encoded.
//
// Output: "PAR1", every input's row groups in input order, the FileMetaData of the first input
// with num_rows summed, the row groups' offsets (row group file_offset, each column chunk's
// file_offset, data/index/dictionary page offsets) shifted to their new position, ordinals
// renumbered (when the inputs have them), page-index and bloom-filter offsets dropped (they
// point outside the row groups, which are all that is copied; floe writes none), created_by
// floe's; then the footer length and "PAR1".
//
// The file is streamed through FileIO.create (openOutput), one input at a time (one row group
// at a time when the FileIO reads ranges), so memory stays bounded by the inputs' footers and
// one input. The Iceberg metrics come from the inputs' manifest entries (merge-metrics.ts).
import type { DataFile } from '../iceberg/data-file.ts';
import type { Schema } from '../iceberg/types.ts';
import type { FileIO, OutputFile } from '../io/file-io.ts';
import { openOutput } from '../io/file-io.ts';
import { CREATED_BY } from '../parquet/encode.ts';
import type { ParquetFooter } from '../parquet/footer.ts';
import { PARQUET_MAGIC, decodeFooter, encodeFooter, field, readFooter, readFooterFrom, structs } from '../parquet/footer.ts';
import { CT } from '../parquet/thrift.ts';
import type { ThriftList, ThriftStruct, ThriftValue } from '../parquet/thrift-reader.ts';
import { encodeThriftStruct } from '../parquet/thrift-reader.ts';
import { mergeMetrics } from './merge-metrics.ts';

/** One input: its bytes, or its location (with its size, for ranged reads). */
export type StitchSource = { bytes: Uint8Array; location?: string } | { location: string; size?: number };

/** The inputs cannot be stitched; `reason` says why. */
export class NotStitchableError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`files cannot be stitched: ${reason}`);
    this.name = 'NotStitchableError';
    this.reason = reason;
  }
}

export interface StitchedFile {
  location: string;
  size: number;
  numRows: number;
  /** Offset of each row group in the new file (Iceberg's split offsets). */
  rowGroupOffsets: number[];
  footer: ParquetFooter;
}

interface Input {
  source: StitchSource;
  footer: ParquetFooter;
  /** Byte range [start, end) of each row group in the input. */
  groups: { start: number; end: number }[];
}

const sourceName = (s: StitchSource, i: number) => ('location' in s && s.location ? s.location : `input ${i}`);

const section = (raw: ThriftStruct, id: number): Uint8Array => {
  const f = raw.fields.get(id);
  return f === undefined ? new Uint8Array(0) : encodeThriftStruct({ kind: 'struct', fields: new Map([[id, f]]) });
};

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Byte ranges of the row groups, checked to be laid out as floe writes them (chunks back to back). */
function rowGroupRanges(footer: ParquetFooter, footerStart: number, name: string): { start: number; end: number }[] {
  return footer.rowGroups.map((g, i) => {
    if (g.columns.length === 0) throw new NotStitchableError(`${name}: row group ${i} has no columns`);
    let at: number | undefined;
    let start = 0;
    for (const c of g.columns) {
      if (c.filePath !== undefined) throw new NotStitchableError(`${name}: column ${c.path.join('.')} lives in another file (${c.filePath})`);
      const first = Math.min(c.dataPageOffset, c.dictionaryPageOffset ?? Infinity, c.indexPageOffset ?? Infinity);
      if (at === undefined) start = first;
      else if (first !== at) throw new NotStitchableError(`${name}: row group ${i} column ${c.path.join('.')} does not follow the previous column chunk`);
      at = first + c.totalCompressedSize;
    }
    if (start < PARQUET_MAGIC.length || at! > footerStart) throw new NotStitchableError(`${name}: row group ${i} lies outside the data`);
    return { start, end: at! };
  });
}

/** Why these footers cannot be stitched, or undefined when they can. */
export function whyNotStitchable(footers: ParquetFooter[], names: string[] = footers.map((_f, i) => `input ${i}`)): string | undefined {
  if (footers.length === 0) return 'no inputs';
  const first = footers[0];
  const schema = section(first.raw, 2);
  const kv = section(first.raw, 5);
  const orders = section(first.raw, 7);
  const codecs = first.rowGroups[0]?.columns.map((c) => c.codec);
  for (let i = 0; i < footers.length; i++) {
    const f = footers[i];
    const name = names[i];
    if (f.encrypted) return `${name} is encrypted`;
    if (!f.createdBy?.startsWith('floe ')) return `${name} was not written by floe (created_by ${JSON.stringify(f.createdBy ?? null)})`;
    if (!sameBytes(section(f.raw, 2), schema)) return `${name} has other schema elements (names, types or field ids) than ${names[0]}`;
    if (!sameBytes(section(f.raw, 5), kv)) return `${name} has other key-value metadata (iceberg.schema) than ${names[0]}`;
    if (!sameBytes(section(f.raw, 7), orders)) return `${name} has other column orders than ${names[0]}`;
    const rows = f.rowGroups.reduce((n, g) => n + g.numRows, 0);
    if (rows !== f.numRows) return `${name}: num_rows ${f.numRows} is not the sum of its row groups' (${rows})`;
    for (const [gi, g] of f.rowGroups.entries()) {
      const c = g.columns.map((x) => x.codec);
      if (codecs !== undefined && (c.length !== codecs.length || c.some((x, k) => x !== codecs[k]))) {
        return `${name} row group ${gi} has other codecs per column (${c.join(',')}) than ${names[0]} (${codecs.join(',')})`;
      }
    }
  }
  return undefined;
}

const i64 = (v: number) => ({ type: CT.I64, value: BigInt(v) });

function shiftI64(s: ThriftStruct, id: number, delta: number, fields: Map<number, { type: number; value: ThriftValue }>): void {
  const v = field(s, id);
  if (typeof v === 'bigint' || typeof v === 'number') fields.set(id, i64(Number(v) + delta));
}

/** A row group's thrift struct moved by `delta` bytes and given `ordinal`. */
function movedRowGroup(g: ThriftStruct, delta: number, ordinal: number): ThriftStruct {
  const chunks = structs(g, 1).map((c): ThriftStruct => {
    const md = field(c, 3) as ThriftStruct;
    const mdFields = new Map(md.fields);
    for (const id of [9, 10, 11]) shiftI64(md, id, delta, mdFields);
    mdFields.delete(14); // bloom filter offset / length: not copied
    mdFields.delete(15);
    const cFields = new Map(c.fields);
    shiftI64(c, 2, delta, cFields);
    for (const id of [4, 5, 6, 7]) cFields.delete(id); // offset and column index: not copied
    cFields.set(3, { type: CT.STRUCT, value: { kind: 'struct', fields: mdFields } });
    return { kind: 'struct', fields: cFields };
  });
  const fields = new Map(g.fields);
  const list = g.fields.get(1)!.value as ThriftList;
  fields.set(1, { type: CT.LIST, value: { ...list, items: chunks } });
  shiftI64(g, 5, delta, fields);
  if (fields.has(7)) fields.set(7, { type: CT.I16, value: ordinal });
  return { kind: 'struct', fields };
}

async function loadInput(io: FileIO | undefined, source: StitchSource, i: number): Promise<Input> {
  const name = sourceName(source, i);
  if ('bytes' in source) {
    const footer = readFooter(source.bytes);
    const footerStart = source.bytes.length - 8 - new DataView(source.bytes.buffer, source.bytes.byteOffset + source.bytes.length - 8, 4).getUint32(0, true);
    return { source, footer, groups: rowGroupRanges(footer, footerStart, name) };
  }
  if (!io) throw new Error(`stitch: ${name} is a location, but no FileIO was given`);
  const { footer, footerStart } = await readFooterFrom(io, source.location, source.size);
  return { source, footer, groups: rowGroupRanges(footer, footerStart, name) };
}

/** Copies one input's row groups into `out`, one row group (or the whole file) at a time. */
async function copyRowGroups(io: FileIO | undefined, input: Input, out: OutputFile): Promise<void> {
  const s = input.source;
  if ('bytes' in s) {
    for (const g of input.groups) await out.write(s.bytes.subarray(g.start, g.end));
    return;
  }
  if (io!.readRange && s.size !== undefined) {
    for (const g of input.groups) await out.write(await io!.readRange(s.location, g.start, g.end - g.start));
    return;
  }
  const bytes = await io!.read(s.location);
  for (const g of input.groups) await out.write(bytes.subarray(g.start, g.end));
}

/**
 * Writes the stitched file at `output` (see the module comment). Throws NotStitchableError,
 * before writing anything, when the inputs differ in schema, codecs or key-value metadata.
 * On any failure nothing is left at `output`.
 */
export async function stitchParquet(io: FileIO | undefined, sources: StitchSource[], output: string, outputIO: FileIO | undefined = io): Promise<StitchedFile> {
  if (sources.length === 0) throw new NotStitchableError('no inputs');
  if (!outputIO) throw new Error('stitch: no FileIO for the output');
  // Footers only, first: they decide whether the files can be stitched at all.
  const inputs: Input[] = [];
  for (const [i, s] of sources.entries()) inputs.push(await loadInput(io, s, i));
  const why = whyNotStitchable(
    inputs.map((x) => x.footer),
    sources.map(sourceName),
  );
  if (why !== undefined) throw new NotStitchableError(why);

  const out = await openOutput(outputIO, output);
  try {
    await out.write(PARQUET_MAGIC);
    let at = PARQUET_MAGIC.length;
    const rowGroups: ThriftStruct[] = [];
    const rowGroupOffsets: number[] = [];
    let numRows = 0;
    for (const input of inputs) {
      const raw = structs(input.footer.raw, 4);
      input.groups.forEach((g, k) => {
        rowGroups.push(movedRowGroup(raw[k], at - g.start, rowGroups.length));
        rowGroupOffsets.push(at);
        at += g.end - g.start;
      });
      numRows += input.footer.numRows;
      await copyRowGroups(io, input, out);
      if (out.length !== at) throw new Error(`stitch: wrote ${out.length} bytes, expected ${at}`);
    }
    const first = inputs[0].footer.raw;
    const fields = new Map(first.fields);
    fields.set(3, i64(numRows));
    const groupList = first.fields.get(4)?.value as ThriftList | undefined;
    fields.set(4, { type: CT.LIST, value: { kind: 'list', type: groupList?.type ?? CT.LIST, elemType: CT.STRUCT, items: rowGroups } });
    fields.set(6, { type: CT.BINARY, value: new TextEncoder().encode(CREATED_BY) });
    const meta: ThriftStruct = { kind: 'struct', fields };
    const footerBytes = encodeFooter(meta);
    const tail = new Uint8Array(footerBytes.length + 8);
    tail.set(footerBytes, 0);
    new DataView(tail.buffer).setUint32(footerBytes.length, footerBytes.length, true);
    tail.set(PARQUET_MAGIC, footerBytes.length + 4);
    await out.write(tail);
    const size = at + tail.length;
    await out.close();
    return { location: output, size, numRows, rowGroupOffsets, footer: decodeFooter(footerBytes) };
  } catch (err) {
    await out.abort();
    throw err;
  }
}

/**
 * Stitches the data files of one partition (manifest entries, all of one spec and partition)
 * into `output`, and returns the new file's DataFile: the inputs' metrics merged (sums; min of
 * lower bounds, max of upper bounds by the column's type in `schema`), split offsets the new
 * row group positions, the first input's partition.
 */
export async function stitchDataFiles(io: FileIO, schema: Schema, inputs: DataFile[], output: string): Promise<{ dataFile: DataFile; stitched: StitchedFile }> {
  for (const f of inputs) {
    if (f.content !== 0) throw new NotStitchableError(`${f['file-path']} is a delete file`);
    if (f['file-format'] !== 'PARQUET') throw new NotStitchableError(`${f['file-path']} is ${f['file-format']}, not Parquet`);
    if (f['key-metadata'] !== undefined) throw new NotStitchableError(`${f['file-path']} is encrypted (key metadata)`);
  }
  const stitched = await stitchParquet(
    io,
    inputs.map((f) => ({ location: f['file-path'], size: f['file-size-in-bytes'] })),
    output,
  );
  const expectedRows = inputs.reduce((n, f) => n + f['record-count'], 0);
  if (stitched.numRows !== expectedRows) {
    await io.delete(output).catch(() => undefined);
    throw new NotStitchableError(`the files hold ${stitched.numRows} rows, their manifest entries say ${expectedRows}`);
  }
  const metrics = mergeMetrics(schema, inputs, stitched.rowGroupOffsets);
  const dataFile: DataFile = {
    content: 0,
    'file-path': output,
    'file-format': 'PARQUET',
    partition: inputs[0].partition,
    'file-size-in-bytes': stitched.size,
    ...metrics,
  };
  const sortOrder = inputs[0]['sort-order-id'];
  if (sortOrder !== undefined && inputs.every((f) => f['sort-order-id'] === sortOrder)) dataFile['sort-order-id'] = sortOrder;
  return { dataFile, stitched };
}
