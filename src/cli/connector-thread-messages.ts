// What `floe run`'s main thread and its connector threads (workers.ts, connector-thread.ts,
// connector-thread-main.ts) say to each other over the thread's message port.
import type { Registry } from 'prom-client';
import type { ErrorKind } from '../errors.ts';
import type { CheckResult } from '../server/server.ts';

/** The thread's workerData. */
export interface ThreadData {
  /** The connector file: each thread reads it itself (a config holds no functions, but its secrets stay out of messages). */
  configFile: string;
  /** 0-based member number: its Kafka clientId suffix and its `worker` log field. */
  index: number;
  /** How many members the process runs (each gets bufferMaxBytes / workers). */
  workers: number;
}

/** One metric as prom-client's Registry.getMetricsAsJSON gives it (what AggregatorRegistry.aggregate takes). */
export type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

export type ToThread =
  | { type: 'stop' }
  /** every member is ready to join: join the group now (all at once, one generation where the broker allows) */
  | { type: 'join' }
  | { type: 'metrics'; id: number }
  | { type: 'checks'; id: number };

export type FromThread =
  /** a log line formatted as JSON (log.ts); the main thread writes it in the process's format and level */
  | { type: 'log'; line: string }
  /** everything but the group join is ready (checks passed, clients connected): waits for `join` */
  | { type: 'ready' }
  /** joined the group */
  | { type: 'started' }
  /** the start failed, or the running connector stopped on a fatal error */
  | { type: 'failed'; message: string; kind: ErrorKind }
  /** flushed, committed and left the group after a stop */
  | { type: 'stopped' }
  | { type: 'stop-failed'; message: string }
  | { type: 'metrics'; id: number; metrics: MetricJson[]; error?: string }
  | { type: 'checks'; id: number; health: CheckResult; ready: CheckResult };
