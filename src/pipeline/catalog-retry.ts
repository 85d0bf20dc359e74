// The catalog requests a connector worker makes outside a commit (worker.ts: loading, creating
// or listing tables, evolving a schema; table-flusher.ts: reloading a fenced table), retried
// through a catalog outage. A commit has its own retry loop (commit/commit-loop.ts).
//
// The rule: only an error of kind retryable is retried, only while the worker has neither failed
// nor begun to stop, and within errors.outageTimeoutMs from the first attempt; past that the
// connector stops with an error naming the request. Records wait meanwhile. A stop that begins
// during a back-off wait ends the wait: the request fails at once with its last error.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectorConfig } from '../config/connector-config.ts';
import { kindOf } from '../errors.ts';
import { ConnectorStoppedError } from './connector-stopped.ts';
import { errorMessageOf } from './dead-letters.ts';
import type { WorkerEvents, WorkerLogger } from './worker-options.ts';

/** What a catalog request's retries read of the worker. */
export interface CatalogRetryHost {
  readonly config: ConnectorConfig;
  readonly events: WorkerEvents | undefined;
  readonly log: WorkerLogger | undefined;
  now(): number;
  /** The error that stopped the worker, if any: nothing is retried then. */
  failure(): Error | undefined;
  /** Aborted when stop() or abort() begins: nothing is retried then, and a back-off wait ends. */
  readonly stopSignal: AbortSignal;
}

/**
 * A catalog request outside a commit (loading, creating, reloading a table, evolving its
 * schema): an error of kind retryable is retried with a back-off (0.5 s doubling to 5 s, with
 * jitter), a log line per attempt, within errors.outageTimeoutMs; records wait meanwhile.
 */
export async function catalogCall<T>(host: CatalogRetryHost, what: string, call: () => Promise<T>): Promise<T> {
  const since = host.now();
  const budget = host.config.errors.outageTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const kind = kindOf(err);
      if (kind !== 'retryable' || host.failure() || host.stopSignal.aborted) throw err;
      const lasted = host.now() - since;
      if (lasted >= budget) {
        throw new ConnectorStoppedError(host.config.name, `${what} has failed for ${Math.round(lasted / 1000)} s (${attempt} attempts; errors.outageTimeoutMs is ${budget}): ${errorMessageOf(err)}`, {
          cause: err,
        });
      }
      host.events?.error?.({ kind, error: err });
      const delay = Math.round(Math.min(5_000, 500 * 2 ** Math.min(attempt - 1, 4)) * (0.5 + Math.random() / 2));
      host.log?.warn(`${what} failed (attempt ${attempt}, failing for ${Math.round(lasted / 1000)} s of ${Math.round(budget / 1000)} s): ${errorMessageOf(err)}; next try in ${delay} ms`);
      try {
        await sleep(Math.min(delay, Math.max(0, budget - lasted)), undefined, { signal: host.stopSignal });
      } catch {
        throw err; // the worker began to stop during the wait: the request's last error, as after a failed attempt
      }
    }
  }
}
