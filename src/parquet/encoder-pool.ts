// Parquet encoding off the main thread: a fixed pool of worker threads, each encoding one
// batch at a time. The batch's typed arrays are transferred to the worker, not copied, so a
// batch handed to encode() is consumed (its arrays are detached afterwards); the file bytes
// come back transferred as well.

import { Worker } from 'node:worker_threads';
import type { ColumnBatch } from '../batch/column-batch.ts';
import { batchBuffers } from '../batch/column-batch.ts';
import type { Schema } from '../iceberg/types.ts';
import type { EncodedRowGroups, EncodeOptions, EncodeResult } from './encode.ts';

type Reply = { id: number; bytes?: Uint8Array; metrics?: EncodeResult['metrics']; encoded?: EncodedRowGroups; error?: string };

interface Pending {
  id: number;
  message: { id: number; schema: Schema; batch: ColumnBatch; options: EncodeOptions; op: 'file' | 'rowGroups' };
  transfer: ArrayBuffer[];
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Pending | null;
}

const WORKER_URL = new URL('./encoder-worker.ts', import.meta.url);

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
    const worker = new Worker(WORKER_URL);
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

  private run(schema: Schema, batch: ColumnBatch, options: EncodeOptions, op: 'file' | 'rowGroups'): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('ParquetEncoderPool is closed'));
    return new Promise<Reply>((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({ id, message: { id, schema, batch, options, op }, transfer: batchBuffers(batch), resolve, reject });
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
