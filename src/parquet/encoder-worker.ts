// Worker-thread side of ParquetEncoderPool: encode batches sent by the pool, send back the
// bytes (transferred) and the metrics, or the encoded row groups (bytes transferred).

import { parentPort } from 'node:worker_threads';
import type { ColumnBatch } from '../batch/column-batch.ts';
import type { Schema } from '../iceberg/types.ts';
import type { EncodeOptions } from './encode.ts';
import { encodeParquet, encodeRowGroups } from './encode.ts';

interface Task {
  id: number;
  schema: Schema;
  batch: ColumnBatch;
  options: EncodeOptions;
  /** 'file': a whole Parquet file; 'rowGroups': row groups only (EncodedRowGroups). */
  op: 'file' | 'rowGroups';
}

parentPort!.on('message', (task: Task) => {
  try {
    if (task.op === 'rowGroups') {
      const encoded = encodeRowGroups(task.schema, task.batch, task.options);
      parentPort!.postMessage({ id: task.id, encoded }, [encoded.bytes.buffer as ArrayBuffer]);
      return;
    }
    const { bytes, metrics } = encodeParquet(task.schema, task.batch, task.options);
    parentPort!.postMessage({ id: task.id, bytes, metrics }, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: task.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
