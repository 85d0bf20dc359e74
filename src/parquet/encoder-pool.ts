// Parquet encoding off the main thread: a fixed pool of worker threads, each encoding one
// batch at a time. The batch's typed arrays are transferred to the worker, not copied, so a
// batch handed to encode() is consumed (its arrays are detached afterwards); the file bytes
// come back transferred as well.

import { Worker } from 'node:worker_threads';
import type { ColumnBatch } from '../batch/column-batch.ts';
import { batchBuffers } from '../batch/column-batch.ts';
import type { Schema } from '../iceberg/types.ts';
import type { EncodedRowGroups, EncodeOptions, EncodeResult } from './encode.ts';

type Reply = { id: number; bytes?: Uint8Array; metrics?: EncodeResult['metrics']; encoded?: EncodedRowGroups; encodedMany?: EncodedRowGroups[]; error?: string };

/** What a worker is asked: a whole file, one batch's row groups, or several batches' (one message). */
export type EncodeOp = 'file' | 'rowGroups' | 'rowGroupsMany';

interface Pending {
  id: number;
  message: { id: number; schema: Schema; batch: ColumnBatch | ColumnBatch[]; options: EncodeOptions; op: EncodeOp };
  transfer: ArrayBuffer[];
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Pending | null;
}

const WORKER_URL = new URL('./encoder-worker.ts', import.meta.url);

/**
 * The batch with each array copied to its length: a finished batch's arrays are views of its
 * builder's buffers, a few KiB each for a batch of a few rows, which a message would copy whole.
 */
function compactBatch(batch: ColumnBatch): ColumnBatch {
  const columns = batch.columns.map((c) => ({
    ...c,
    def: c.def?.slice() ?? null,
    rep: c.rep?.slice() ?? null,
    values: c.values?.slice() ?? null,
    offsets: c.offsets?.slice() ?? null,
    dict: c.dict && { size: c.dict.size, offsets: c.dict.offsets.slice(), data: c.dict.data.slice(), indices: c.dict.indices.slice() },
  }));
  return { ...batch, columns };
}

/** The encoder threads' name (as `top -H` and /proc/<pid>/task/<tid>/comm show it; at most 15 characters). */
export const ENCODER_THREAD_NAME = 'floe-encoder';

export class ParquetEncoderPool {
  readonly size: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: { size?: number } = {}) {
    this.size = Math.max(1, options.size ?? 1);
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, { name: ENCODER_THREAD_NAME });
    const slot: Slot = { worker, task: null };
    worker.unref();
    worker.on('message', (m: Reply) => {
      const task = slot.task;
      if (!task || task.id !== m.id) return;
      slot.task = null;
      worker.unref();
      if (m.error !== undefined) task.reject(new Error(`parquet encoding failed: ${m.error}`));
      else task.resolve(m);
      this.pump();
    });
    const die = (err: Error) => {
      const task = slot.task;
      slot.task = null;
      if (task) task.reject(err);
      if (this.closed) return;
      // replace the dead worker
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
      this.pump();
    };
    worker.on('error', (e) => die(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => {
      if (!this.closed) die(new Error(`parquet encoder worker exited with code ${code}`));
    });
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task !== null) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      try {
        slot.worker.postMessage(task.message, task.transfer);
      } catch (e) {
        slot.task = null;
        slot.worker.unref();
        task.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  /** Encode in a worker. The batch's buffers are transferred: do not use the batch afterwards. */
  async encode(schema: Schema, batch: ColumnBatch, options: EncodeOptions = {}): Promise<EncodeResult> {
    const r = await this.run(schema, batch, options, 'file');
    return { bytes: r.bytes!, metrics: r.metrics! };
  }

  /** Row groups only (see encodeRowGroups), in a worker; the batch is consumed as by encode(). */
  async encodeRowGroups(schema: Schema, batch: ColumnBatch, options: EncodeOptions = {}): Promise<EncodedRowGroups> {
    return (await this.run(schema, batch, options, 'rowGroups')).encoded!;
  }

  /**
   * Several batches' row groups (each as encodeRowGroups gives them), encoded in one worker
   * task: one message each way instead of one per batch, which is most of the cost of a batch
   * of a few dozen rows (a commit of a table partitioned by bucket(1000) has a thousand). For
   * small batches: their buffers are copied into the message, not transferred (the batches
   * stay usable, but callers treat them as consumed as with encode()).
   */
  async encodeRowGroupsMany(schema: Schema, batches: ColumnBatch[], options: EncodeOptions = {}): Promise<EncodedRowGroups[]> {
    return (await this.run(schema, batches, options, 'rowGroupsMany')).encodedMany!;
  }

  private run(schema: Schema, batch: ColumnBatch | ColumnBatch[], options: EncodeOptions, op: EncodeOp): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('ParquetEncoderPool is closed'));
    return new Promise<Reply>((resolve, reject) => {
      const id = this.nextId++;
      // several (small) batches are copied, not transferred: a transfer list's cost grows with
      // the square of its length (about 230 µs per batch of 50 buffers when 256 batches go
      // together, 26 µs copied); only the bytes in use are copied, not the builders' capacity
      const message = { id, schema, batch: Array.isArray(batch) ? batch.map(compactBatch) : batch, options, op };
      this.queue.push({ id, message, transfer: Array.isArray(batch) ? [] : batchBuffers(batch), resolve, reject });
      this.pump();
    });
  }

  /** Stop the workers; tasks not finished are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('ParquetEncoderPool closed');
    for (const t of this.queue.splice(0)) t.reject(err);
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.task) s.task.reject(err);
        s.task = null;
        await s.worker.terminate();
      }),
    );
  }
}
