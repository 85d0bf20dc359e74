// The main thread's handle on one connector thread of `floe run` with `workers: N` (workers.ts):
// starts it (connector-thread-main.ts), tells when it has started, failed or stopped, and asks it
// for its metrics and checks (each answer awaited within a time bound).
import { Worker } from 'node:worker_threads';
import { FloeError } from '../errors.ts';
import type { CheckResult } from '../server/server.ts';
import type { FromThread, MetricJson, ThreadData, ToThread } from './connector-thread-messages.ts';

const ENTRY = new URL('./connector-thread-main.ts', import.meta.url);

/** A connector thread stopped on an error, or exited without being asked to. */
export class ConnectorThreadError extends FloeError {}

interface Request {
  resolve(m: FromThread): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class ConnectorThread {
  readonly index: number;
  /** Resolves once the member is ready to join the group (it waits for join()); never rejects. */
  readonly ready: Promise<void>;
  /** Resolves once the member has joined the group; rejects if it fails first. */
  readonly started: Promise<void>;
  /** Resolves with the error that stopped the thread (a failed start, a fatal error, an exit nobody asked for). */
  readonly failed: Promise<Error>;
  readonly #worker: Worker;
  readonly #requests = new Map<number, Request>();
  #nextId = 1;
  #stop: { promise: Promise<void>; resolve(): void; reject(e: Error): void } | undefined;
  #exited = false;
  #failure: Error | undefined;

  /** `onLog`: each log line of the thread (JSON, log.ts). */
  constructor(data: ThreadData, onLog: (line: string) => void) {
    this.index = data.index;
    this.#worker = new Worker(ENTRY, { workerData: data, name: `floe-worker-${data.index}` });
    const ready = Promise.withResolvers<void>();
    this.ready = ready.promise;
    const started = Promise.withResolvers<void>();
    const failed = Promise.withResolvers<Error>();
    this.started = started.promise;
    this.started.catch(() => undefined); // the caller may only watch `failed`
    this.failed = failed.promise;
    const failWith = (e: Error) => {
      if (this.#failure) return;
      this.#failure = e;
      started.reject(e);
      failed.resolve(e);
    };
    this.#worker.on('message', (m: FromThread) => {
      if (m.type === 'log') onLog(m.line);
      else if (m.type === 'ready') ready.resolve();
      else if (m.type === 'started') started.resolve();
      else if (m.type === 'failed') failWith(new ConnectorThreadError(m.kind, m.message));
      else if (m.type === 'stopped') this.#stop?.resolve();
      else if (m.type === 'stop-failed') this.#stop?.reject(new ConnectorThreadError('fatal', `stop failed: ${m.message}`));
      else this.#answer(m.id, m);
    });
    this.#worker.on('error', (e) => failWith(new ConnectorThreadError('fatal', `worker thread ${this.index} crashed: ${e.message}`, { cause: e })));
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      const e = this.#failure ?? new ConnectorThreadError('fatal', `worker thread ${this.index} exited (code ${code}) without being asked to stop`);
      if (!this.#stop) failWith(e);
      this.#stop?.reject(e); // no-op once it has resolved
      for (const [id, r] of this.#requests) {
        this.#requests.delete(id);
        clearTimeout(r.timer);
        r.reject(e);
      }
    });
  }

  /** Lets the member join the group (once every member is ready: workers.ts). */
  join(): void {
    if (!this.#exited) this.#send({ type: 'join' });
  }

  /** Asks the member to flush, commit and leave the group (once); resolves when it has. */
  stop(): Promise<void> {
    if (!this.#stop) {
      const s = Promise.withResolvers<void>();
      this.#stop = s;
      if (this.#exited) s.reject(this.#failure ?? new ConnectorThreadError('fatal', `worker thread ${this.index} has exited`));
      else this.#send({ type: 'stop' });
    }
    return this.#stop.promise;
  }

  /** The member's metrics as JSON (prom-client), within `timeoutMs`. */
  async metrics(timeoutMs: number): Promise<MetricJson[]> {
    const m = await this.#request('metrics', timeoutMs);
    if (m.type !== 'metrics') throw new ConnectorThreadError('fatal', `worker thread ${this.index}: unexpected answer ${m.type}`);
    if (m.error !== undefined) throw new ConnectorThreadError('retryable', `worker thread ${this.index}: collecting metrics failed: ${m.error}`);
    return m.metrics;
  }

  /** The member's health and readiness, within `timeoutMs`. */
  async checks(timeoutMs: number): Promise<{ health: CheckResult; ready: CheckResult }> {
    const m = await this.#request('checks', timeoutMs);
    if (m.type !== 'checks') throw new ConnectorThreadError('fatal', `worker thread ${this.index}: unexpected answer ${m.type}`);
    return { health: m.health, ready: m.ready };
  }

  /** Ends the thread at once (after a stop, or when it did not stop in time). */
  async terminate(): Promise<void> {
    if (!this.#exited) await this.#worker.terminate();
  }

  #send(m: ToThread): void {
    this.#worker.postMessage(m);
  }

  #request(type: 'metrics' | 'checks', timeoutMs: number): Promise<FromThread> {
    if (this.#exited) return Promise.reject(this.#failure ?? new ConnectorThreadError('fatal', `worker thread ${this.index} has exited`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        reject(new ConnectorThreadError('retryable', `worker thread ${this.index} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#requests.set(id, { resolve, reject, timer });
      this.#send({ type, id });
    });
  }

  #answer(id: number, m: FromThread): void {
    const r = this.#requests.get(id);
    if (!r) return; // answered after its time bound
    this.#requests.delete(id);
    clearTimeout(r.timer);
    r.resolve(m);
  }
}
