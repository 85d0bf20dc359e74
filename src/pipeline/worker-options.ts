// What a connector worker (worker.ts) is given (WorkerOptions: its config, catalog, Kafka source,
// decoder, router, dead letters, encoder, log, events and clock) and what it tells (WorkerEvents,
// WorkerLogger).
//
// The rule: types only. The worker's parts (table-flusher.ts, catalog-retry.ts) take them from
// here, never from worker.ts, so no part imports the worker; worker.ts re-exports them for its
// callers.
import type { Catalog } from '../catalog/catalog.ts';
import type { ConnectorConfig } from '../config/connector-config.ts';
import type { OffsetRange } from '../commit/exactly-once.ts';
import type { ErrorKind } from '../errors.ts';
import type { RecordFrame } from '../decode/record-frame.ts';
import type { ParquetEncoder } from '../writer/data-file-writer.ts';
import type { Router } from '../route/router.ts';
import type { RecordSource, SourceRecord } from './source.ts';

/**
 * A record value bytes → its frame (decode/record-frame.ts): the value (decoded when read), the
 * Iceberg schema of its writer schema (registry formats; the same object for every record of
 * one writer schema, compared by identity) and how a batch may take it straight from its bytes.
 * A promise while a schema is looked up; throws (or rejects) for a frame it cannot read.
 */
export type ValueDecoder = (bytes: Uint8Array) => RecordFrame | Promise<RecordFrame>;

/** Where records that cannot land go (see dead-letters.ts); 'none' tolerance throws instead. */
export interface DeadLetterSink {
  add(record: SourceRecord, error: Error): void;
  flush(): Promise<void>;
}

export interface WorkerLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface WorkerEvents {
  /** `attempts`: commit attempts it took (the ones before the last lost to another writer's commit). */
  committed?(info: {
    table: string;
    rows: number;
    files: number;
    bytes: number;
    ranges: OffsetRange[];
    snapshotId: bigint;
    ms: number;
    commitTimeMs: number;
    timestampsMs: number[];
    attempts: number;
  }): void;
  /** Records taken from Kafka (before decoding), per topic. */
  consumed?(info: { topic: string; count: number }): void;
  fenced?(info: { table: string; error: Error }): void;
  deadLetter?(info: { record: SourceRecord; error: Error }): void;
  /** An error the worker handled (dead-lettered, retried, fenced, or stopped on), by kind. */
  error?(info: { kind: ErrorKind; table?: string; error: unknown }): void;
  /** Partitions assigned to or revoked from this worker by a rebalance. */
  rebalanced?(info: { change: 'assigned' | 'revoked'; partitions: number }): void;
  /** A commit attempt that failed and is retried after a back-off. */
  commitFailed?(info: { table: string; kind: ErrorKind }): void;
}

export interface WorkerOptions {
  config: ConnectorConfig;
  catalog: Catalog;
  source: RecordSource;
  decode: ValueDecoder;
  router: Router;
  deadLetters: DeadLetterSink;
  encoder?: ParquetEncoder;
  log?: WorkerLogger;
  events?: WorkerEvents;
  now?: () => number;
}
