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
import { PARQUET_MAGIC, footerLength } from '../parquet/footer.ts';
import { scanFileFooter, scanFooter, writeStitchedFooter } from '../parquet/footer-layout.ts';
import type { FooterLayout, PlacedRowGroup } from '../parquet/footer-layout.ts';
import { readsInto } from './input-arena.ts';
import type { InputArena, ReadsInto } from './input-arena.ts';
import { mergeMetrics } from './merge-metrics.ts';
import { FloeError } from '../errors.ts';

/** One input: its bytes, or its location (with its size, for ranged reads). */
export type StitchSource = { bytes: Uint8Array; location?: string } | { location: string; size?: number };

/** The inputs cannot be stitched; `reason` says why. */
export class NotStitchableError extends FloeError {
  readonly reason: string;
  constructor(reason: string) {
    super('fatal', `files cannot be stitched: ${reason}`);
    this.reason = reason;
  }
}

export interface StitchedFile {
  location: string;
  size: number;
  numRows: number;
  /** Offset of each row group in the new file (Iceberg's split offsets). */
  rowGroupOffsets: number[];
}

/** An input with its footer's layout read (and, when small, its bytes kept): loadStitchInputs. */
export interface StitchInput {
  source: StitchSource;
  footer: FooterLayout;
}

const sourceName = (s: StitchSource, i: number) => ('location' in s && s.location ? s.location : `input ${i}`);

/** True when top-level field `id` holds the same bytes in both footers (or is absent from both). */
function sameField(a: FooterLayout, b: FooterLayout, id: number): boolean {
  const x = a.fields.find((f) => f.id === id);
  const y = b.fields.find((f) => f.id === id);
  if (x === undefined || y === undefined) return x === y;
  const n = x.end - x.start;
  if (n !== y.end - y.start) return false;
  return Buffer.compare(a.bytes.subarray(x.start, x.end), b.bytes.subarray(y.start, y.end)) === 0;
}

/** Why these footers cannot be stitched, or undefined when they can. `names` names the inputs (default "input <i>"). */
export function whyNotStitchable(footers: FooterLayout[], names?: (string | undefined)[]): string | undefined {
  if (footers.length === 0) return 'no inputs';
  const first = footers[0];
  const codecs = first.rowGroups[0]?.codecs;
  for (let i = 0; i < footers.length; i++) {
    const f = footers[i];
    const name = names?.[i] ?? `input ${i}`;
    if (f.encrypted) return `${name} is encrypted`;
    if (!f.createdBy?.startsWith('floe ')) return `${name} was not written by floe (created_by ${JSON.stringify(f.createdBy ?? null)})`;
    if (f.unstitchable !== undefined) return `${name}: ${f.unstitchable}`;
    const firstName = names?.[0] ?? 'input 0';
    if (!sameField(f, first, 2)) return `${name} has other schema elements (names, types or field ids) than ${firstName}`;
    if (!sameField(f, first, 5)) return `${name} has other key-value metadata (iceberg.schema) than ${firstName}`;
    if (!sameField(f, first, 7)) return `${name} has other column orders than ${firstName}`;
    const rows = f.rowGroups.reduce((n, g) => n + g.numRows, 0);
    if (rows !== f.numRows) return `${name}: num_rows ${f.numRows} is not the sum of its row groups' (${rows})`;
    for (const [gi, g] of f.rowGroups.entries()) {
      const c = g.codecs;
      if (codecs !== undefined && (c.length !== codecs.length || c.some((x, k) => x !== codecs[k]))) {
        return `${name} row group ${gi} has other codecs per column (${c.join(',')}) than ${names?.[0] ?? 'input 0'} (${codecs.join(',')})`;
      }
    }
  }
  return undefined;
}

/** Inputs up to this size are read whole, once (footer and row groups from the same read). */
export const WHOLE_READ_BYTES = 1 << 20;
/** Bytes of whole-read inputs kept between the footer check and the copy; beyond, read again. */
export const KEPT_BYTES = 64 << 20;

/**
 * Reads an input's footer. A small input (WHOLE_READ_BYTES) is read whole in one request, and
 * its bytes kept for the copy while `budget.left` allows: one read instead of three (tail,
 * footer, row groups), which is most of a small file's cost on S3 and on local disk alike.
 */
async function loadInput(io: FileIO | undefined, source: StitchSource, i: number, budget: { left: number }, wholeReadBytes: number, arena: InputArena | undefined): Promise<StitchInput> {
  if ('bytes' in source) return inputOfBytes(source, source.bytes);
  if (!io) throw new Error(`stitch: ${sourceName(source, i)} is a location, but no FileIO was given`);
  if (source.size !== undefined && source.size <= wholeReadBytes) {
    // into the run's reused buffer when there is room (undefined: the file is larger than its size says)
    const region = arena && readsInto(io) ? arena.take(source.size) : undefined;
    const kept = region ? await (io as FileIO & ReadsInto).readInto(source.location, region) : undefined;
    if (kept) return inputOfBytes({ bytes: kept, location: source.location }, kept);
    const bytes = await io.read(source.location);
    if (bytes.length <= budget.left) {
      budget.left -= bytes.length;
      return inputOfBytes({ bytes, location: source.location }, bytes);
    }
    return { source, footer: inputOfBytes(source, bytes).footer };
  }
  const size = source.size ?? (await io.read(source.location)).length;
  if (!io.readRange) return inputOfBytes(source, await io.read(source.location));
  const n = footerLength(await io.readRange(source.location, size - 8, 8), size);
  return { source, footer: scanFooter(await io.readRange(source.location, size - 8 - n, n), size - 8 - n, { columns: false }) };
}

function inputOfBytes(source: StitchSource, bytes: Uint8Array): StitchInput {
  // a stitch needs the row groups' ranges and codecs, not each column chunk's layout
  return { source, footer: scanFileFooter(bytes, { columns: false }) };
}

/** Copies one input's row groups into `out`, one row group (or the whole file) at a time. */
async function copyRowGroups(io: FileIO | undefined, input: StitchInput, out: OutputFile): Promise<void> {
  const s = input.source;
  if ('bytes' in s) {
    for (const g of input.footer.rowGroups) await out.write(s.bytes.subarray(g.start, g.end));
    return;
  }
  if (io!.readRange && s.size !== undefined) {
    for (const g of input.footer.rowGroups) await out.write(await io!.readRange(s.location, g.start, g.end - g.start));
    return;
  }
  const bytes = await io!.read(s.location);
  for (const g of input.footer.rowGroups) await out.write(bytes.subarray(g.start, g.end));
}

export interface StitchOptions {
  /** Inputs up to this size are read whole in one request (default WHOLE_READ_BYTES, 1 MiB). */
  wholeReadBytes?: number;
  /**
   * Whole-read inputs go into this buffer, reused group after group, when the FileIO can read
   * into one (input-arena.ts); the inputs loaded before are invalid once another load starts.
   */
  arena?: InputArena;
  /** The inputs as loadStitchInputs read them (their footers are not read again). */
  loaded?: StitchInput[];
}

/** Reads the inputs' footers (small inputs whole: see loadInput), for whyNotStitchable and stitchParquet. */
export async function loadStitchInputs(io: FileIO | undefined, sources: StitchSource[], options: Pick<StitchOptions, 'wholeReadBytes' | 'arena'> = {}): Promise<StitchInput[]> {
  const inputs: StitchInput[] = [];
  const budget = { left: KEPT_BYTES };
  const wholeReadBytes = options.wholeReadBytes ?? WHOLE_READ_BYTES;
  const { arena } = options;
  arena?.start(sources.reduce((n, s) => n + ('size' in s && s.size !== undefined && s.size <= wholeReadBytes ? s.size : 0), 0));
  for (const [i, s] of sources.entries()) inputs.push(await loadInput(io, s, i, budget, wholeReadBytes, arena));
  return inputs;
}

/** The sources of data files: their locations and sizes. */
export const dataFileSources = (files: DataFile[]): StitchSource[] => files.map((f) => ({ location: f['file-path'], size: f['file-size-in-bytes'] }));

/**
 * Writes the stitched file at `output` (see the module comment). Throws NotStitchableError,
 * before writing anything, when the inputs differ in schema, codecs or key-value metadata.
 * On any failure nothing is left at `output`.
 */
export async function stitchParquet(io: FileIO | undefined, sources: StitchSource[], output: string, outputIO: FileIO | undefined = io, options: StitchOptions = {}): Promise<StitchedFile> {
  if (sources.length === 0) throw new NotStitchableError('no inputs');
  if (!outputIO) throw new Error('stitch: no FileIO for the output');
  // Footers only, first: they decide whether the files can be stitched at all.
  const inputs = options.loaded ?? (await loadStitchInputs(io, sources, options));
  if (inputs.length !== sources.length) throw new Error(`stitch: ${inputs.length} loaded inputs for ${sources.length} sources`);
  const why = whyNotStitchable(
    inputs.map((x) => x.footer),
    sources.map(sourceName),
  );
  if (why !== undefined) throw new NotStitchableError(why);

  const out = await openOutput(outputIO, output);
  try {
    await out.write(PARQUET_MAGIC);
    let at = PARQUET_MAGIC.length;
    const placed: PlacedRowGroup[] = [];
    let numRows = 0;
    for (const input of inputs) {
      for (const group of input.footer.rowGroups) {
        placed.push({ layout: input.footer, group, at });
        at += group.end - group.start;
      }
      numRows += input.footer.numRows;
      await copyRowGroups(io, input, out);
      if (out.length !== at) throw new Error(`stitch: wrote ${out.length} bytes, expected ${at}`);
    }
    const footerBytes = writeStitchedFooter(inputs[0].footer, placed, numRows, CREATED_BY);
    const tail = new Uint8Array(footerBytes.length + 8);
    tail.set(footerBytes, 0);
    new DataView(tail.buffer).setUint32(footerBytes.length, footerBytes.length, true);
    tail.set(PARQUET_MAGIC, footerBytes.length + 4);
    await out.write(tail);
    const size = at + tail.length;
    await out.close();
    return { location: output, size, numRows, rowGroupOffsets: placed.map((p) => p.at) };
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
export async function stitchDataFiles(io: FileIO, schema: Schema, inputs: DataFile[], output: string, options: StitchOptions = {}): Promise<{ dataFile: DataFile; stitched: StitchedFile }> {
  for (const f of inputs) {
    if (f.content !== 0) throw new NotStitchableError(`${f['file-path']} is a delete file`);
    if (f['file-format'] !== 'PARQUET') throw new NotStitchableError(`${f['file-path']} is ${f['file-format']}, not Parquet`);
    if (f['key-metadata'] !== undefined) throw new NotStitchableError(`${f['file-path']} is encrypted (key metadata)`);
  }
  const stitched = await stitchParquet(io, dataFileSources(inputs), output, io, options);
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
