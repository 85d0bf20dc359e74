// One Parquet data file written a row group at a time: each batch added is encoded (in the
// encoder pool's worker, or inline) as row groups and appended to the open file, so memory
// holds the row groups in flight, not the whole file. finish() appends the footer, closes the
// file and returns its Iceberg DataFile; abort() leaves nothing behind.
import type { ColumnBatch } from '../batch/column-batch.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import type { Schema } from '../iceberg/types.ts';
import type { FileIO, OutputFile } from '../io/file-io.ts';
import { openOutput } from '../io/file-io.ts';
import type { EncodedRowGroups, EncodeOptions, EncodeResult } from '../parquet/encode.ts';
import { encodeParquet, encodeRowGroups, ParquetFileAssembler } from '../parquet/encode.ts';

/** Something that turns a column batch into Parquet: the encoder pool, or inline. */
export interface ParquetEncoder {
  encode(schema: Schema, batch: ColumnBatch, options: EncodeOptions): Promise<EncodeResult>;
  /** Row groups only; encoders without it are used through encode() (one file per batch, not streamed). */
  encodeRowGroups?(schema: Schema, batch: ColumnBatch, options: EncodeOptions): Promise<EncodedRowGroups>;
  /** Several batches' row groups in one task (the encoder pool: one message for all); without it, one encodeRowGroups() each. */
  encodeRowGroupsMany?(schema: Schema, batches: ColumnBatch[], options: EncodeOptions): Promise<EncodedRowGroups[]>;
}

export const inlineEncoder: ParquetEncoder = {
  encode: async (schema, batch, options) => encodeParquet(schema, batch, options),
  encodeRowGroups: async (schema, batch, options) => encodeRowGroups(schema, batch, options),
};

export class DataFileWriter {
  readonly path: string;
  readonly partition: unknown[];
  private readonly io: FileIO;
  private readonly schema: Schema;
  private readonly encoder: ParquetEncoder;
  private readonly options: EncodeOptions;
  private readonly file: ParquetFileAssembler;
  private out: OutputFile | undefined;
  /** The last append; appends run in the order add() was called. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private ended = false;

  constructor(io: FileIO, path: string, partition: unknown[], schema: Schema, encoder: ParquetEncoder, options: EncodeOptions) {
    if (!encoder.encodeRowGroups) throw new Error('DataFileWriter needs an encoder with encodeRowGroups');
    this.io = io;
    this.path = path;
    this.partition = partition;
    this.schema = schema;
    this.encoder = encoder;
    this.options = options;
    this.file = new ParquetFileAssembler(schema, options);
  }

  /**
   * Encodes the batch (consumed: its buffers may be transferred) and appends its row groups to
   * the file. Encoding starts at once; appends happen in call order. Resolves once appended.
   */
  add(batch: ColumnBatch): Promise<void> {
    if (this.ended) return Promise.reject(new Error(`data file ${this.path} is already finished or aborted`));
    return this.addEncoded(this.encoder.encodeRowGroups!(this.schema, batch, this.options));
  }

  /**
   * Appends row groups being encoded elsewhere (with this file's schema and options: several
   * files' batches encoded in one task, see RollingDataFiles.write), as add() does.
   */
  addEncoded(encoding: Promise<EncodedRowGroups>): Promise<void> {
    if (this.ended) return Promise.reject(new Error(`data file ${this.path} is already finished or aborted`));
    encoding.catch(() => undefined); // awaited below, maybe after an earlier append fails
    const step = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      const encoded = await encoding;
      if (this.out === undefined) {
        this.out = await openOutput(this.io, this.path);
        await this.out.write(this.file.head());
      }
      await this.out.write(encoded.bytes);
      this.file.add(encoded);
    });
    this.tail = step.catch((err) => {
      this.failure ??= err;
    });
    return step;
  }

  /** Bytes appended to the file so far (row groups whose append finished). */
  get bytesWritten(): number {
    return this.file.offset;
  }

  /** Appends the footer and closes the file. */
  async finish(): Promise<DataFile> {
    if (this.ended) throw new Error(`data file ${this.path} is already finished or aborted`);
    this.ended = true;
    await this.tail;
    if (this.failure !== undefined) {
      await this.out?.abort();
      throw this.failure;
    }
    try {
      this.out ??= await openOutput(this.io, this.path);
      if (this.file.offset === 0) await this.out.write(this.file.head());
      await this.out.write(this.file.tail());
      await this.out.close();
    } catch (err) {
      await this.out?.abort();
      throw err;
    }
    return {
      content: 0,
      'file-path': this.path,
      'file-format': 'PARQUET',
      partition: this.partition,
      'file-size-in-bytes': this.file.offset,
      ...this.file.metrics(),
    };
  }

  /** Drops the file: nothing is left at its location (a temporary file or multipart upload is removed). */
  async abort(): Promise<void> {
    this.ended = true;
    await this.tail;
    await this.out?.abort();
  }
}
