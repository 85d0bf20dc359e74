// Worker-thread side of ParquetEncoderPool: encode batches sent by the pool, send back the
// bytes (transferred) and the metrics, or the encoded row groups (bytes transferred).

import { parentPort } from 'node:worker_threads';
import type { ColumnBatch } from '../batch/column-batch.ts';
import type { Schema } from '../iceberg/types.ts';
import type { EncodeOptions } from './encode.ts';
import { encodeParquet, encodeRowGroups } from './encode.ts';
import type { EncodeOp } from './encoder-pool.ts';

interface Task {
  id: number;
  schema: Schema;
  batch: ColumnBatch | ColumnBatch[];
  options: EncodeOptions;
  /** 'file': a whole Parquet file; 'rowGroups': row groups only (EncodedRowGroups); 'rowGroupsMany': those of each batch. */
  op: EncodeOp;
}

parentPort!.on('message', (task: Task) => {
  try {
    if (task.op === 'rowGroupsMany') {
      const encodedMany = (task.batch as ColumnBatch[]).map((b) => encodeRowGroups(task.schema, b, task.options));
      parentPort!.postMessage(
        { id: task.id, encodedMany },
        encodedMany.map((e) => e.bytes.buffer as ArrayBuffer),
      );
      return;
    }
    const batch = task.batch as ColumnBatch;
    if (task.op === 'rowGroups') {
      const encoded = encodeRowGroups(task.schema, batch, task.options);
      parentPort!.postMessage({ id: task.id, encoded }, [encoded.bytes.buffer as ArrayBuffer]);
      return;
    }
    const { bytes, metrics } = encodeParquet(task.schema, batch, task.options);
    parentPort!.postMessage({ id: task.id, bytes, metrics }, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: task.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
