// The entry file of one connector thread of `floe run` with `workers: N` (workers.ts): reads the
// connector file, runs one group member with startConnector (run.ts) on its share of the config
// (member-config.ts), and answers the main thread: stop, metrics, checks. Its log lines go to the
// main thread as JSON, which writes them in the process's format and level with a `worker` field.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConnectorConfig } from '../config/connector-config.ts';
import { kindOf } from '../errors.ts';
import type { FromThread, ThreadData, ToThread } from './connector-thread-messages.ts';
import { configureLogs } from '../log.ts';
import { memberConfig } from './member-config.ts';
import { startConnector } from './run.ts';
import type { RunningConnector } from './run.ts';

const port = parentPort!;
const data = workerData as ThreadData;
const post = (m: FromThread) => port.postMessage(m);
const fail = (e: unknown) => post({ type: 'failed', message: e instanceof Error ? e.message : String(e), kind: kindOf(e) });

configureLogs({ format: 'json', level: 'debug' }, { out: (line) => post({ type: 'log', line }), err: (line) => post({ type: 'log', line }) });

let running: RunningConnector | undefined;
/** Opened by the main thread's `join` once every member is ready, or by a stop (a stop while starting waits for the start). */
const joinGate = Promise.withResolvers<void>();
const beforeJoin = (): Promise<void> => {
  post({ type: 'ready' });
  return joinGate.promise;
};
const starting: Promise<RunningConnector> = Promise.resolve().then(() =>
  startConnector(memberConfig(loadConnectorConfig(data.configFile), data.index, data.workers), {}, { defaultMetrics: false, membersInProcess: data.workers, beforeJoin }),
);
starting.then((r) => {
  running = r;
  post({ type: 'started' });
  void r.failed.then(fail);
}, fail);

port.on('message', (m: ToThread) => {
  if (m.type === 'join') joinGate.resolve();
  else if (m.type === 'stop') {
    joinGate.resolve();
    // a stop while starting waits for the start (as `floe run` with one worker does); a start that failed has nothing to stop
    void starting
      .then(
        (r) => r.stop(),
        () => undefined,
      )
      .then(
        () => post({ type: 'stopped' }),
        (e: unknown) => post({ type: 'stop-failed', message: e instanceof Error ? e.message : String(e) }),
      );
  } else if (m.type === 'metrics') {
    void (running ? running.registry.getMetricsAsJSON() : Promise.resolve([])).then(
      (metrics) => post({ type: 'metrics', id: m.id, metrics }),
      (e: unknown) => post({ type: 'metrics', id: m.id, metrics: [], error: e instanceof Error ? e.message : String(e) }),
    );
  } else if (m.type === 'checks') {
    post({
      type: 'checks',
      id: m.id,
      health: running ? running.health() : { ok: true },
      ready: running ? running.ready() : { ok: false, details: { starting: true } },
    });
  }
});
