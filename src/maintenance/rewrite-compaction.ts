// Rewrite compaction: the data files of one partition decoded and written again by floe's own
// writer, for the files stitching cannot join (stitch.ts): other schemas after evolution, other
// codecs, files of other writers (Spark, PyIceberg), many tiny row groups.
//
// Two ways to decode, same rows out:
//   - the column path (rewrite-columnar.ts), when no sort is asked and every input is a file
//     floe wrote for the table's CURRENT schema: column chunks decoded straight into leaf
//     columns and joined into row groups, no rows in between (several times faster);
//   - the row path otherwise, or when the column path meets an input it does not take (what it
//     wrote is then dropped and the inputs read again this way): rows decoded and appended again.
//
// The row path. Reading: one input at a time (its bytes in memory), one row group at a time
// (parquet-wasm decodes the row group into Arrow), its rows projected onto the table's CURRENT
// schema by field id (arrow-records.ts: a column the file lacks reads as null, int → long and
// float → double promoted, dropped columns ignored). Writing: the rows appended to a
// RecordBatchBuilder of the current schema, cut into row groups at
// write.parquet.row-group-size-bytes (in memory, as the connectors do) and streamed into a data
// file of the group's spec and partition (writer/fanout-writer.ts RollingDataFiles), which produces
// the Iceberg metrics and field ids. Memory: one input file, one decoded row group and one row
// group being built.
//
// Output files: a new file is started once the inputs read into the current one reach the
// target size (their compressed bytes: a rewrite with the table's codec comes out about as
// large), so a group planned as about one target's worth of small files gives one file.
//
// Sorting (option `sort`, when the table's default sort order has fields): the rows of each
// output file are held in memory, sorted by the order (transforms applied, direction and null
// order honoured; strings compared by UTF-16 code units, which only differs from Iceberg's
// UTF-8 byte order for characters beyond the BMP against U+E000..U+FFFF), then written; the
// file records the order id. That holds one output file's rows in memory, hence opt-in.
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import type { LoadedTable } from '../catalog/catalog.ts';
import type { ColumnBatch } from '../batch/column-batch.ts';
import { RecordBatchBuilder } from '../batch/record-batch.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { currentSchema } from '../iceberg/metadata-updates.ts';
import type { PartitionSpec, SortOrder } from '../iceberg/table-metadata.ts';
import { transformFn } from '../iceberg/transforms.ts';
import type { IcebergType, NestedField, Schema } from '../iceberg/types.ts';
import type { FileIO } from '../io/file-io.ts';
import { scanFileFooter } from '../parquet/footer-layout.ts';
import { RollingDataFiles } from '../writer/fanout-writer.ts';
import { rowGroupBytesOf } from '../iceberg/table-properties.ts';
import type { ParquetEncoder } from '../writer/data-file-writer.ts';
import { recordsOf } from './arrow-records.ts';
import { targetFileSize } from './compaction-plan.ts';
import { columnarLayout, rewriteColumnar } from './rewrite-columnar.ts';

export interface RewriteDataOptions {
  /** Start a new output file once this many input bytes went into the current one (default: write.target-file-size-bytes). */
  targetBytes?: number;
  /** Sort each output file's rows by the table's default sort order (default false). */
  sort?: boolean;
  /** Parquet encoder (default inline). */
  encoder?: ParquetEncoder;
  /** Decode as rows even where the column path applies (to compare the two; default false). */
  rows?: boolean;
}

export interface RewrittenFiles {
  outputs: DataFile[];
  /** The sort order the outputs are sorted by, if any. */
  sortOrderId?: number;
  /** How the inputs were decoded: by the column path, or as rows (see the module comment). */
  decoded: 'columns' | 'rows';
  /** Why the inputs were decoded as rows. */
  rowsBecause?: string;
}

/** The table's default sort order when it has fields. */
export function defaultSortOrder(table: LoadedTable): SortOrder | undefined {
  const m = table.metadata;
  const order = m['sort-orders']?.find((o) => o['order-id'] === m['default-sort-order-id']);
  return order && order.fields.length > 0 ? order : undefined;
}

function findField(fields: NestedField[], id: number, path: string[] = []): { path: string[]; type: IcebergType } | undefined {
  for (const f of fields) {
    if (f.id === id) return { path: [...path, f.name], type: f.type };
    if (typeof f.type !== 'string' && f.type.type === 'struct') {
      const found = findField(f.type.fields, id, [...path, f.name]);
      if (found) return found;
    }
  }
  return undefined;
}

function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    // NaN after every number (Iceberg's ordering of floats)
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
    if (a === 0 && b === 0) return Object.is(a, -0) ? (Object.is(b, -0) ? 0 : -1) : Object.is(b, -0) ? 1 : 0;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** A comparator of records by a sort order (see the module comment); throws if a source field is missing. */
export function sortComparator(order: SortOrder, schema: Schema): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  const keys = order.fields.map((f) => {
    const found = findField(schema.fields, f['source-id']);
    if (!found) throw new Error(`sort order ${order['order-id']}: field ${f['source-id']} is not in the schema`);
    const fn = transformFn(f.transform, found.type);
    const get = (r: Record<string, unknown>) => {
      let v: unknown = r;
      for (const name of found.path) v = v == null ? null : (v as Record<string, unknown>)[name];
      return v == null ? null : fn(v);
    };
    return { get, desc: f.direction === 'desc', nullsFirst: f['null-order'] === 'nulls-first' };
  });
  return (a, b) => {
    for (const k of keys) {
      const x = k.get(a);
      const y = k.get(b);
      if (x === null || y === null) {
        if (x === y) continue;
        return x === null ? (k.nullsFirst ? -1 : 1) : k.nullsFirst ? 1 : -1;
      }
      const c = compareValues(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}

/** Input files up to this size are decoded in one call, larger ones a row group at a time. */
const WHOLE_DECODE_BYTES = 8 << 20;

/** The output files of one rewrite: row groups go into the open file until finishFile(). */
class Outputs {
  readonly files: DataFile[] = [];
  private file: RollingDataFiles | undefined;
  private readonly table: LoadedTable;
  private readonly io: FileIO;
  private readonly schema: Schema;
  private readonly spec: PartitionSpec;
  private readonly partition: unknown[];
  private readonly encoder: ParquetEncoder | undefined;
  private readonly order: SortOrder | undefined;

  constructor(table: LoadedTable, io: FileIO, schema: Schema, spec: PartitionSpec, partition: unknown[], encoder: ParquetEncoder | undefined, order: SortOrder | undefined) {
    this.table = table;
    this.io = io;
    this.schema = schema;
    this.spec = spec;
    this.partition = partition;
    this.encoder = encoder;
    this.order = order;
  }

  async write(batch: ColumnBatch): Promise<void> {
    if (batch.rowCount === 0) return;
    this.file ??= new RollingDataFiles(this.table, this.schema, this.spec, { io: this.io, encoder: this.encoder });
    await this.file.write([{ partition: this.partition, batch }]);
  }

  async finishFile(): Promise<void> {
    if (!this.file) return;
    const done = this.file;
    this.file = undefined;
    const order = this.order;
    for (const f of await done.finish()) this.files.push(order ? { ...f, 'sort-order-id': order['order-id'] } : f);
  }

  /** Nothing is left of the outputs. */
  async drop(): Promise<void> {
    await this.file?.abort().catch(() => undefined);
    this.file = undefined;
    await Promise.all(this.files.map((f) => this.io.delete(f['file-path']).catch(() => undefined)));
    this.files.length = 0;
  }
}

/**
 * Decodes `inputs` (data files of one spec and partition) and writes their rows again as new
 * data files of the table's current schema (see the module comment). On failure nothing is left
 * of the outputs. Throws when the rows written are not the rows the inputs' entries count.
 */
export async function rewriteDataFiles(table: LoadedTable, io: FileIO, spec: PartitionSpec, partition: unknown[], inputs: DataFile[], options: RewriteDataOptions = {}): Promise<RewrittenFiles> {
  const metadata = table.metadata;
  const schema = currentSchema(metadata);
  const props = metadata.properties ?? {};
  const target = options.targetBytes ?? targetFileSize(props);
  const rowGroupBytes = rowGroupBytesOf(props);
  const order = options.sort ? defaultSortOrder(table) : undefined;
  const name = metadata.location;

  let out = new Outputs(table, io, schema, spec, partition, options.encoder, order);
  try {
    let rowsBecause: string | undefined = order ? 'sorting' : options.rows ? 'rows asked' : undefined;
    let reuse: { index: number; bytes: Uint8Array } | undefined;
    if (rowsBecause === undefined) {
      const read = (input: DataFile) => io.read(input['file-path']);
      const layout = columnarLayout(schema, name);
      const stopped = await rewriteColumnar(inputs, { layout, rowGroupBytes, targetBytes: target, read }, out);
      if (stopped !== undefined) {
        await out.drop();
        out = new Outputs(table, io, schema, spec, partition, options.encoder, order);
        rowsBecause = stopped.reason;
        // the row path starts where the column path did when that was the first input: its bytes are in hand
        if (stopped.index === 0 && stopped.bytes) reuse = { index: 0, bytes: stopped.bytes };
      }
    }
    if (rowsBecause !== undefined) {
      const read = (input: DataFile, index: number) => {
        if (reuse?.index === index) {
          const bytes = reuse.bytes;
          reuse = undefined;
          return Promise.resolve(bytes);
        }
        return io.read(input['file-path']);
      };
      await rewriteRows(inputs, { schema, name, rowGroupBytes, target, compare: order ? sortComparator(order, schema) : undefined, read }, out);
    }
    const outputs = out.files;
    const want = inputs.reduce((n, f) => n + f['record-count'], 0);
    const got = outputs.reduce((n, f) => n + f['record-count'], 0);
    if (want !== got) throw new Error(`rewrite read ${got} rows, the inputs' manifest entries say ${want}`);
    return rowsBecause === undefined ? { outputs, sortOrderId: order?.['order-id'], decoded: 'columns' } : { outputs, sortOrderId: order?.['order-id'], decoded: 'rows', rowsBecause };
  } catch (err) {
    await out.drop();
    throw err;
  }
}

interface RowRewrite {
  schema: Schema;
  name: string;
  rowGroupBytes: number;
  target: number;
  compare: ((a: Record<string, unknown>, b: Record<string, unknown>) => number) | undefined;
  read(input: DataFile, index: number): Promise<Uint8Array>;
}

/** The row path (see the module comment) into `out`. */
async function rewriteRows(inputs: DataFile[], r: RowRewrite, out: Outputs): Promise<void> {
  const { schema, rowGroupBytes, compare } = r;
  const builder = new RecordBatchBuilder(schema, r.name);
  let held: Record<string, unknown>[] = []; // rows of the current file, when sorting
  let bytesIn = 0;

  const flushRowGroup = async () => {
    if (builder.rowCount === 0) return;
    await out.write(builder.finish());
  };
  const add = async (record: Record<string, unknown>) => {
    builder.append(record);
    if (builder.estimatedBytes >= rowGroupBytes) await flushRowGroup();
  };
  const finishFile = async () => {
    if (compare) {
      held.sort(compare);
      for (const row of held) await add(row);
      held = [];
    }
    await flushRowGroup();
    await out.finishFile();
    bytesIn = 0;
  };

  for (const [index, input] of inputs.entries()) {
    if (input['file-format'] !== 'PARQUET') throw new Error(`${input['file-path']} is ${input['file-format']}, not Parquet`);
    const bytes = await r.read(input, index);
    // a small file decoded in one call; a larger one a row group at a time (memory)
    const groups = scanFileFooter(bytes).rowGroups.length;
    const calls = bytes.length <= WHOLE_DECODE_BYTES ? [undefined] : Array.from({ length: groups }, (_, g) => [g]);
    for (const rowGroups of calls) {
      const decoded = arrow.tableFromIPC(pw.readParquet(bytes, rowGroups ? { rowGroups } : undefined).intoIPCStream());
      for (const batch of decoded.batches) {
        for (const record of recordsOf(batch, schema)) {
          if (compare) held.push(record);
          else {
            // no await per row: only when a row group is full
            builder.append(record);
            if (builder.estimatedBytes >= rowGroupBytes) await flushRowGroup();
          }
        }
      }
    }
    bytesIn += input['file-size-in-bytes'];
    if (bytesIn >= r.target) await finishFile();
  }
  await finishFile();
}
