export { RecordBatchBuilder } from './record-batch.ts';
export { ValueError } from './errors.ts';
export type { ColumnBatch, LeafColumn, LeafKind, DictionaryData } from './column-batch.ts';
export { batchBuffers } from './column-batch.ts';
