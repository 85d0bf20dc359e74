// KafkaSource on @platformatic/kafka: the library keeps the group membership (join, sync,
// heartbeats, rejoin); the fetch loop is ours, so that each partition can start where the TABLE
// says, be paused and resumed alone, and be sought at any time.
//
// All handler calls (onAssigned, onRevoked, onBatch) come from one loop, one at a time: a caller
// never sees two of them overlap. A group join's new assignment is applied by that loop between
// two batches: revoked partitions stop being fetched, any records of theirs still in hand are
// dropped, and onRevoked is called; then onAssigned says where each new partition starts.
import { Consumer } from '@platformatic/kafka';
import { KafkaAdmin } from './admin.ts';
import { clientBaseOptions } from './connection.ts';
import { describeKafkaError, floeErrorIn, isKafkaSecurityError, kafkaErrorKind } from './errors.ts';
import { RetryBudget } from './retry-budget.ts';
import { probeTls } from './tls-probe.ts';
import { FetchConnections } from './fetch-connections.ts';
import type { FetchedPartition } from './fetch-response.ts';
import { convertBatches } from './fetched-records.ts';
import {
  FETCH_DEFAULTS,
  tpFromKey,
  tpKey,
  type KafkaConnectionOptions,
  type KafkaRecordBatch,
  type KafkaSource,
  type KafkaSourceHandlers,
  type StartPosition,
  type TopicPartition,
  type TopicPartitionOffset,
} from './types.ts';
import { FloeError, kindOf } from '../errors.ts';

export interface KafkaSourceOptions extends KafkaConnectionOptions {
  groupId: string;
  /** topic names, or regular expressions matched against every topic's whole name */
  topics: (string | RegExp)[];
  /** where a partition starts when onAssigned gives no position (default: committed, else earliest) */
  defaultStart?: StartPosition;
  /** what to do when a position is outside the log (deleted by retention): default earliest */
  offsetOutOfRange?: 'earliest' | 'latest' | 'fail';
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  /** default: heartbeatIntervalFor(sessionTimeoutMs) */
  heartbeatIntervalMs?: number;
  /** Awaited once connected (the topics' metadata read), just before the group join (`workers: N`: the members join together). */
  beforeJoin?: () => Promise<void>;
  /** fetch: broker waits up to this long for minBytes (default FETCH_DEFAULTS.maxWaitMs, 500 ms) */
  maxWaitMs?: number;
  /** fetch: the broker answers once it has this many bytes, or after maxWaitMs (default 1) */
  minBytes?: number;
  /** fetch: whole response cap (default FETCH_DEFAULTS, 16 MiB; a response is parsed whole, so this bounds the records in memory) */
  maxBytes?: number;
  /** fetch: per partition cap (default FETCH_DEFAULTS, 1 MiB, Kafka's own default) */
  maxBytesPerPartition?: number;
  /** default read_committed: records of aborted transactions are never delivered */
  isolationLevel?: 'read_committed' | 'read_uncommitted';
  /**
   * how often the subscription is looked at again (default 30 s): topic regexes matched against
   * the topics that exist, and the partition count of every subscribed topic compared with the
   * last one seen; a change rejoins the group, so new partitions are assigned within about this
   * long (Kafka's own consumer does the same through metadata.max.age.ms)
   */
  topicRefreshMs?: number;
  /**
   * how long the source keeps retrying brokers that fail (fetches, group joins, offset look-ups)
   * before it stops with an error naming them (default 5 min). A broker restart within this
   * bound is ridden out: the source reconnects, rejoins and goes on where it was.
   */
  reconnectTimeoutMs?: number;
  /** told about offset resets, retried errors and recoveries */
  log?: (level: 'info' | 'warn', message: string) => void;
}

export const DEFAULT_RECONNECT_TIMEOUT_MS = 300_000;

interface PartitionState {
  topic: string;
  partition: number;
  /** next offset to fetch; undefined while the start is being resolved */
  position: bigint | undefined;
  paused: boolean;
}

/**
 * The heartbeat interval for a session timeout: a third of it, at most 1 s, at least 100 ms. A
 * member learns that the group rebalances from its next heartbeat, and the group waits for every
 * member to rejoin: a member joining (a new pod, or a sibling thread of `workers: N` a moment
 * late) waits up to one interval of the others' (3 s is the Java client's default). Measured in
 * docs/decisions.md ("Session 12").
 */
export function heartbeatIntervalFor(sessionTimeoutMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(sessionTimeoutMs / 3)));
}

/** an error thrown by a caller's handler: never retried, it stops the source */
class HandlerError extends FloeError {
  constructor(handler: string, cause: unknown) {
    super(kindOf(cause), `kafka source: ${handler} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

async function callHandler<T>(name: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw err instanceof HandlerError ? err : new HandlerError(name, err);
  }
}

const ERR_OFFSET_OUT_OF_RANGE = 1;
/** partition errors after which fresh metadata is worth a retry */
const RETRIABLE_PARTITION_ERRORS = new Set([3, 5, 6, 9, 13, 74, 75, 100, 103]);

export class GroupSource implements KafkaSource {
  readonly #options: KafkaSourceOptions;
  readonly #handlers: KafkaSourceHandlers;
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  /** the fetch loop's own connections, whose Fetch responses keep records as bytes */
  readonly #fetchConnections: FetchConnections;
  readonly #partitions = new Map<string, PartitionState>();
  /** assignments the library reported that the loop has not applied yet (only the latest counts) */
  #pendingAssignment: TopicPartition[] | null = null;
  #running = false;
  #stopping = false;
  #wake: (() => void) | null = null;
  #firstAssignment!: { resolve: () => void; reject: (e: Error) => void };
  #loop: Promise<void> = Promise.resolve();
  #topicTimer: NodeJS.Timeout | null = null;
  #subscribed: string[] = [];
  /** partitions of each subscribed topic as last seen (a growth rejoins the group) */
  #partitionCounts = new Map<string, number>();
  /**
   * partitions of each topic when the source started: a partition (or topic) that came later
   * holds nothing but records produced after the start, so "latest" reads it from its earliest
   * offset (else the records produced before it was assigned would be skipped)
   */
  #countsAtStart: Map<string, number> | undefined;
  #fatal: Error | null = null;
  /** retries of the fetch loop (fetches and applying assignments) */
  readonly #fetchRetry: RetryBudget;
  /** retries of group joins the library gave up on */
  readonly #joinRetry: RetryBudget;
  #rejoinTimer: NodeJS.Timeout | null = null;
  readonly done: Promise<void>;
  #resolveDone!: () => void;
  #rejectDone!: (e: Error) => void;

  constructor(options: KafkaSourceOptions, handlers: KafkaSourceHandlers) {
    if (!options.groupId) throw new Error('kafka: groupId is required');
    if (!options.topics || options.topics.length === 0) throw new Error('kafka: at least one topic or topic pattern is required');
    this.#options = options;
    this.#handlers = handlers;
    const giveUpAfterMs = options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
    this.#fetchRetry = new RetryBudget({ giveUpAfterMs });
    this.#joinRetry = new RetryBudget({ giveUpAfterMs });
    const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
    const base = clientBaseOptions(options, 'source');
    this.#fetchConnections = new FetchConnections(base.clientId, base);
    this.#consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...base,
      groupId: options.groupId,
      autocommit: false,
      sessionTimeout,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? heartbeatIntervalFor(sessionTimeout),
      isolationLevel: (options.isolationLevel ?? 'read_committed') === 'read_committed' ? 1 : 0,
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // a caller that never awaits `done` must not see an unhandled rejection
    this.done.catch(() => {});
    this.#consumer.on('consumer:group:join', (payload: { assignments?: { topic: string; partitions: number[] }[] }) => {
      const tps: TopicPartition[] = [];
      for (const a of payload.assignments ?? []) for (const p of a.partitions) tps.push({ topic: a.topic, partition: p });
      this.#pendingAssignment = tps;
      if (this.#joinRetry.failures > 0) this.#log('info', `rejoined the group after ${this.#joinRetry.failures} failed joins`);
      this.#joinRetry.succeeded();
      this.#poke();
    });
    // The library emits 'error' when a rejoin it started by itself (after a failed heartbeat)
    // fails: then nothing keeps this member in the group. A broker that is down or restarting
    // is retried here, within reconnectTimeoutMs; anything else stops the source.
    this.#consumer.on('error', (err: Error) => this.#onGroupError(err));
  }

  #onGroupError(err: Error): void {
    if (this.#stopping || this.#fatal) return;
    if (kafkaErrorKind(err) !== 'retryable') {
      this.#fail(new Error(`kafka: group ${this.#options.groupId} on ${this.#brokers()}: ${describeKafkaError(err, this.#options)}`, { cause: err }));
      return;
    }
    const d = this.#joinRetry.failed();
    if (!d.retry) {
      this.#fail(this.#unreachable('rejoining the group', d.failingForMs, err));
      return;
    }
    this.#log('warn', `rejoining the group failed (${d.failures}, for ${seconds(d.failingForMs)}): ${describeKafkaError(err, this.#options)}; again in ${d.delayMs} ms`);
    if (this.#rejoinTimer) clearTimeout(this.#rejoinTimer);
    this.#rejoinTimer = setTimeout(() => {
      this.#rejoinTimer = null;
      if (this.#stopping || this.#fatal) return;
      this.#consumer.joinGroup({}).catch((e: Error) => this.#onGroupError(e));
    }, d.delayMs);
    this.#rejoinTimer.unref();
  }

  #brokers(): string {
    return `broker${this.#options.brokers.length > 1 ? 's' : ''} ${this.#options.brokers.join(',')}`;
  }

  /** the error a source stops with when the brokers refuse its credentials or TLS: at once, no retries */
  #refused(err: unknown): Error {
    return new Error(`kafka: group ${this.#options.groupId}: ${describeKafkaError(err, this.#options)}`, { cause: err });
  }

  /** the error a source stops with once its retries have run out */
  #unreachable(what: string, failingForMs: number, last: unknown): Error {
    const bound = this.#options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
    // the budget is spent: fatal, so no caller retries it again
    return new FloeError(
      'fatal',
      `kafka: ${what} for group ${this.#options.groupId} failed for ${seconds(failingForMs)} (the bound is reconnectTimeoutMs=${bound}) on ${this.#brokers()}: ${describeKafkaError(last, this.#options)}`,
      { cause: last },
    );
  }

  async start(): Promise<void> {
    if (this.#running) throw new Error('kafka: source already started');
    this.#running = true;
    const first = new Promise<void>((resolve, reject) => (this.#firstAssignment = { resolve, reject }));
    first.catch(() => {});
    await this.#refreshSubscription(false);
    this.#countsAtStart = new Map(this.#partitionCounts);
    this.#loop = this.#run();
    try {
      await this.#options.beforeJoin?.();
      await this.#consumer.joinGroup({});
    } catch (err) {
      this.#fail(isKafkaSecurityError(err) ? this.#refused(err) : (err as Error));
    }
    this.#topicTimer = setInterval(() => {
      this.#refreshSubscription(true).catch((e) => this.#log('warn', `topic refresh failed: ${describeKafkaError(e, this.#options)}`));
    }, this.#options.topicRefreshMs ?? 30_000);
    this.#topicTimer.unref();
    await first;
  }

  assignment(): TopicPartition[] {
    return [...this.#partitions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      const st = this.#partitions.get(tpKey(tp.topic, tp.partition));
      if (st) st.paused = true;
    }
  }

  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      const st = this.#partitions.get(tpKey(tp.topic, tp.partition));
      if (st) st.paused = false;
    }
    this.#poke();
  }

  paused(): TopicPartition[] {
    return [...this.#partitions.values()].filter((s) => s.paused).map(({ topic, partition }) => ({ topic, partition }));
  }

  seek(tp: TopicPartitionOffset): void {
    const st = this.#partitions.get(tpKey(tp.topic, tp.partition));
    if (!st) throw new Error(`kafka: cannot seek ${tp.topic}[${tp.partition}]: not assigned to this member`);
    if (tp.offset < 0n) throw new Error(`kafka: cannot seek ${tp.topic}[${tp.partition}] to ${tp.offset}`);
    st.position = tp.offset;
    this.#poke();
  }

  position(tp: TopicPartition): bigint | undefined {
    return this.#partitions.get(tpKey(tp.topic, tp.partition))?.position;
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.#consumer.commit({
        offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: -1 })),
      });
    } catch (err) {
      throw new Error(`kafka: committing offsets of group ${this.#options.groupId} on ${this.#brokers()} failed: ${describeKafkaError(err, this.#options)}`, { cause: err });
    }
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#stopping) return this.done;
    this.#stopping = true;
    if (this.#topicTimer) clearInterval(this.#topicTimer);
    if (this.#rejoinTimer) clearTimeout(this.#rejoinTimer);
    this.#poke();
    const deadline = Date.now() + timeoutMs;
    const within = <T>(p: Promise<T>, what: string): Promise<T | undefined> => {
      const left = Math.max(0, deadline - Date.now());
      let t: NodeJS.Timeout;
      return Promise.race([
        p,
        new Promise<undefined>((resolve) => {
          t = setTimeout(() => {
            this.#log('warn', `stop: ${what} did not finish within ${timeoutMs} ms`);
            resolve(undefined);
          }, left);
        }),
      ]).finally(() => clearTimeout(t));
    };
    // the loop ends after the batch in hand and calls onRevoked(all, 'stop')
    await within(
      this.#loop.catch(() => {}),
      'the fetch loop',
    );
    // (the callback form: the library's promise overload of leaveGroup is shadowed in its types)
    await within(new Promise<void>((resolve) => this.#consumer.leaveGroup(false, () => resolve())), 'leaving the group');
    await within(
      this.#consumer.close(true).catch(() => {}),
      'closing the consumer',
    );
    await within(
      this.#fetchConnections.close().catch(() => {}),
      'closing the fetch connections',
    );
    this.#running = false;
    if (this.#fatal) this.#rejectDone(this.#fatal);
    else this.#resolveDone();
    return this.done;
  }

  // ---------------------------------------------------------------- internals

  #log(level: 'info' | 'warn', message: string): void {
    this.#options.log?.(level, `kafka source ${this.#options.groupId}: ${message}`);
  }

  #poke(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #fail(err: Error): void {
    if (this.#fatal) return;
    this.#fatal = err;
    this.#firstAssignment?.reject(err);
    this.#handlers.onError?.(err);
    if (!this.#stopping) this.stop().catch(() => {});
  }

  async #refreshSubscription(rejoin: boolean): Promise<void> {
    const names = this.#options.topics.filter((t): t is string => typeof t === 'string');
    const patterns = this.#options.topics.filter((t): t is RegExp => t instanceof RegExp);
    let topics = [...names];
    if (patterns.length > 0) {
      const admin = await KafkaAdmin.connect(this.#options);
      try {
        const all = await admin.listTopics();
        for (const t of all) {
          if (t.startsWith('__')) continue;
          if (patterns.some((re) => wholeMatch(re, t)) && !topics.includes(t)) topics.push(t);
        }
      } finally {
        await admin.close();
      }
    }
    topics = [...new Set(topics)].sort();
    if (topics.join('\n') === this.#subscribed.join('\n')) {
      const grown = await this.#grownTopics(topics);
      if (grown.length > 0 && this.#running && !this.#stopping) {
        this.#log('info', `partitions added to ${grown.join(', ')}: rejoining the group so they are assigned`);
        await this.#consumer.joinGroup({});
      }
      return;
    }
    const removed = this.#subscribed.filter((t) => !topics.includes(t));
    if (removed.length > 0) this.#consumer.topics.untrackAll(...removed);
    this.#consumer.topics.trackAll(...topics);
    this.#subscribed = topics;
    // partition counts to compare with later; refused credentials or TLS stop the start here
    await this.#grownTopics(topics).catch(async (err: unknown) => {
      const refused = isKafkaSecurityError(err) ? err : await probeTls(this.#options);
      if (refused) throw this.#refused(refused);
      return [];
    });
    if (rejoin && this.#running && !this.#stopping) {
      this.#log('info', `subscription now ${topics.join(',')}: rejoining`);
      await this.#consumer.joinGroup({});
    }
  }

  /**
   * Subscribed topics with more partitions than last seen ("t: 1 → 3"). Metadata is fetched
   * fresh: the group leader assigns from its cached metadata, which this refreshes too.
   */
  async #grownTopics(topics: string[]): Promise<string[]> {
    if (topics.length === 0) return [];
    const metadata = await this.#consumer.metadata({ topics, forceUpdate: true });
    const grown: string[] = [];
    for (const t of topics) {
      const count = metadata.topics.get(t)?.partitionsCount;
      if (count === undefined) continue;
      const before = this.#partitionCounts.get(t);
      this.#partitionCounts.set(t, count);
      if (before !== undefined && count > before) grown.push(`${t}: ${before} → ${count}`);
    }
    return grown;
  }

  #bornAfterStart(tp: TopicPartition): boolean {
    // nothing known of the start (its metadata request failed): keep the configured start
    if (!this.#countsAtStart || this.#countsAtStart.size === 0) return false;
    const before = this.#countsAtStart.get(tp.topic);
    return before === undefined || tp.partition >= before;
  }

  /** applies a pending assignment: revoke, then assign and resolve start positions */
  async #applyAssignment(): Promise<void> {
    while (this.#pendingAssignment) {
      const next = this.#pendingAssignment;
      this.#pendingAssignment = null;
      const nextKeys = new Set(next.map((tp) => tpKey(tp.topic, tp.partition)));
      const revoked = [...this.#partitions.keys()].filter((k) => !nextKeys.has(k));
      const added = [...nextKeys].filter((k) => !this.#partitions.has(k)).map(tpFromKey);
      if (revoked.length > 0) {
        for (const k of revoked) this.#partitions.delete(k);
        await callHandler('onRevoked', () => this.#handlers.onRevoked?.(revoked.map(tpFromKey), 'rebalance'));
      }
      if (added.length > 0) {
        for (const tp of added) {
          this.#partitions.set(tpKey(tp.topic, tp.partition), { ...tp, position: undefined, paused: false });
        }
        try {
          const starts = (await callHandler('onAssigned', () => this.#handlers.onAssigned?.(added))) ?? new Map<string, StartPosition>();
          await this.#resolveStarts(added, starts);
        } catch (err) {
          // (a broker that went away while the starts were looked up) forget the partitions
          // whose start is unknown and apply this assignment again, unless a newer one came
          if (!(err instanceof HandlerError)) {
            for (const tp of added) {
              const k = tpKey(tp.topic, tp.partition);
              if (this.#partitions.get(k)?.position === undefined) this.#partitions.delete(k);
            }
            this.#pendingAssignment ??= next;
          }
          throw err;
        }
      }
      this.#firstAssignment.resolve();
    }
  }

  async #resolveStarts(added: TopicPartition[], starts: Map<string, StartPosition>): Promise<void> {
    const byPolicy = new Map<string, TopicPartition[]>();
    for (const tp of added) {
      const key = tpKey(tp.topic, tp.partition);
      const st = this.#partitions.get(key);
      if (!st) continue;
      let start = starts.get(key) ?? this.#options.defaultStart ?? { committed: true, fallback: 'earliest' };
      if (start === 'latest' && this.#bornAfterStart(tp)) {
        this.#log('info', `${tp.topic}[${tp.partition}] was created after the start: read from its earliest offset, not latest`);
        start = 'earliest';
      }
      if (typeof start === 'bigint') {
        if (start < 0n) throw new Error(`kafka: start offset ${start} for ${tp.topic}[${tp.partition}] is negative`);
        st.position = start;
        continue;
      }
      const policy = typeof start === 'string' ? start : `committed:${start.fallback ?? 'earliest'}`;
      const list = byPolicy.get(policy) ?? [];
      list.push(tp);
      byPolicy.set(policy, list);
    }
    for (const [policy, tps] of byPolicy) {
      let fallback = policy;
      let rest = tps;
      if (policy.startsWith('committed:')) {
        fallback = policy.slice('committed:'.length);
        const committed = await this.#consumer.listCommittedOffsets({ topics: groupByTopic(tps) });
        rest = [];
        for (const tp of tps) {
          const c = committed.get(tp.topic)?.[tp.partition];
          const st = this.#partitions.get(tpKey(tp.topic, tp.partition));
          if (!st) continue;
          if (c !== undefined && c >= 0n) st.position = c;
          else rest.push(tp);
        }
      }
      if (rest.length > 0) await this.#resetTo(rest, fallback as 'earliest' | 'latest');
    }
  }

  async #resetTo(tps: TopicPartition[], where: 'earliest' | 'latest'): Promise<void> {
    const partitions: Record<string, number[]> = {};
    for (const tp of tps) (partitions[tp.topic] ??= []).push(tp.partition);
    const offsets = await this.#consumer.listOffsetsWithTimestamps({
      topics: Object.keys(partitions),
      partitions,
      timestamp: where === 'earliest' ? -2n : -1n,
    });
    for (const tp of tps) {
      const o = offsets.get(tp.topic)?.get(tp.partition)?.offset;
      const st = this.#partitions.get(tpKey(tp.topic, tp.partition));
      if (st && o !== undefined) st.position = o;
    }
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stopping) {
        if (this.#pendingAssignment) {
          try {
            await this.#applyAssignment();
          } catch (err) {
            if (this.#stopping || err instanceof HandlerError) throw err;
            await this.#retryAfter('applying the assignment', err);
          }
          continue;
        }
        const wanted = [...this.#partitions.values()].filter((s) => !s.paused && s.position !== undefined);
        if (wanted.length === 0) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
            // re-check now and then: a heartbeat may have failed silently
            setTimeout(resolve, 1000).unref();
          });
          continue;
        }
        try {
          await this.#fetchOnce(wanted);
          if (this.#fetchRetry.failures > 0) {
            this.#log('info', `fetching again from ${this.#brokers()} after ${this.#fetchRetry.failures} failures over ${seconds(this.#fetchRetry.failingFor())}`);
          }
          this.#fetchRetry.succeeded();
        } catch (err) {
          if (this.#stopping || err instanceof HandlerError) throw err;
          // records floe cannot read (fetch-response.ts): fetching them again changes nothing
          const own = floeErrorIn(err);
          if (own?.kind === 'fatal') throw own;
          await this.#retryAfter('fetching', err);
        }
      }
      const all = this.assignment();
      this.#partitions.clear();
      if (all.length > 0) await callHandler('onRevoked', () => this.#handlers.onRevoked?.(all, 'stop'));
    } catch (err) {
      if (this.#stopping && !(err instanceof HandlerError)) return;
      this.#fail(err as Error);
    }
  }

  /** logs a failure and waits before the loop tries again; throws once the budget is spent */
  async #retryAfter(what: string, err: unknown): Promise<void> {
    if (isKafkaSecurityError(err)) throw this.#refused(err);
    const d = this.#fetchRetry.failed();
    if (!d.retry) throw this.#unreachable(what, d.failingForMs, err);
    this.#log('warn', `${what} from ${this.#brokers()} failed (${d.failures}, for ${seconds(d.failingForMs)}): ${describeKafkaError(err, this.#options)}; again in ${d.delayMs} ms`);
    this.#consumer.clearMetadata();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, d.delayMs);
      // stop() must not wait for the backoff
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async #fetchOnce(wanted: PartitionState[]): Promise<void> {
    const topics = [...new Set(wanted.map((s) => s.topic))];
    const metadata = await this.#consumer.metadata({ topics });
    // group the wanted partitions by leader
    const byNode = new Map<number, Map<string, { topicId: string; partitions: { partition: number; fetchOffset: bigint }[] }>>();
    const requested = new Map<string, bigint>();
    for (const st of wanted) {
      const t = metadata.topics.get(st.topic);
      const pm = t?.partitions[st.partition];
      if (!t || !pm) throw new Error(`no metadata for ${st.topic}[${st.partition}]`);
      let topicsOfNode = byNode.get(pm.leader);
      if (!topicsOfNode) byNode.set(pm.leader, (topicsOfNode = new Map()));
      let entry = topicsOfNode.get(st.topic);
      if (!entry) topicsOfNode.set(st.topic, (entry = { topicId: t.id, partitions: [] }));
      entry.partitions.push({ partition: st.partition, fetchOffset: st.position! });
      requested.set(tpKey(st.topic, st.partition), st.position!);
    }
    const topicById = new Map<string, string>();
    for (const [name, t] of metadata.topics) topicById.set(t.id, name);
    const perPartition = this.#options.maxBytesPerPartition ?? FETCH_DEFAULTS.maxBytesPerPartition;
    const responses = await Promise.all(
      [...byNode].map(([node, ts]) =>
        this.#consumer.fetch({
          node,
          connectionPool: this.#fetchConnections.pool,
          maxWaitTime: this.#options.maxWaitMs ?? FETCH_DEFAULTS.maxWaitMs,
          minBytes: this.#options.minBytes ?? FETCH_DEFAULTS.minBytes,
          maxBytes: this.#options.maxBytes ?? FETCH_DEFAULTS.maxBytes,
          topics: [...ts.values()].map((e) => ({
            topicId: e.topicId,
            partitions: e.partitions.map((p) => ({
              partition: p.partition,
              fetchOffset: p.fetchOffset,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: perPartition,
            })),
          })),
        }),
      ),
    );
    let retriable: string | null = null;
    for (const response of responses) {
      for (const rt of response.responses) {
        const topic = topicById.get(rt.topicId);
        if (topic === undefined) continue;
        for (const rp of rt.partitions) {
          // an assignment change waits for no batch: drop the rest of this response (positions
          // move only when a batch is handed out) and let the loop apply it
          if (this.#pendingAssignment || this.#stopping) return;
          const key = tpKey(topic, rp.partitionIndex);
          const st = this.#partitions.get(key);
          const from = requested.get(key);
          // revoked, paused or sought while this fetch was in flight: drop what came back
          if (!st || st.paused || from === undefined || st.position !== from) continue;
          if (rp.errorCode === ERR_OFFSET_OUT_OF_RANGE) {
            await this.#outOfRange(st, from);
            continue;
          }
          if (rp.errorCode !== 0) {
            if (RETRIABLE_PARTITION_ERRORS.has(rp.errorCode)) {
              retriable = `${topic}[${rp.partitionIndex}] error code ${rp.errorCode}`;
              continue;
            }
            throw new Error(`kafka: fetch of ${topic}[${rp.partitionIndex}] failed with error code ${rp.errorCode}`);
          }
          // read by fetch-response.ts (the fetch connections), not by the library
          const batches = (rp as unknown as FetchedPartition).records ?? [];
          if (batches.length === 0) continue;
          const { records, nextOffset } = convertBatches(topic, rp.partitionIndex, from, batches, rp.abortedTransactions);
          st.position = nextOffset;
          if (records.length === 0) continue;
          const batch: KafkaRecordBatch = {
            topic,
            partition: rp.partitionIndex,
            records,
            nextOffset,
            highWatermark: rp.highWatermark,
          };
          await callHandler('onBatch', () => this.#handlers.onBatch(batch));
        }
      }
    }
    if (retriable) {
      this.#consumer.clearMetadata();
      throw new Error(retriable);
    }
  }

  async #outOfRange(st: PartitionState, from: bigint): Promise<void> {
    const policy = this.#options.offsetOutOfRange ?? 'earliest';
    if (policy === 'fail') {
      throw new Error(`kafka: offset ${from} of ${st.topic}[${st.partition}] is out of range`);
    }
    await this.#resetTo([st], policy);
    this.#log('warn', `offset ${from} of ${st.topic}[${st.partition}] is out of range: reset to ${policy} (${st.position})`);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function wholeMatch(re: RegExp, s: string): boolean {
  const m = new RegExp(re.source, re.flags.replace(/[gy]/g, '')).exec(s);
  return m !== null && m.index === 0 && m[0].length === s.length;
}

function groupByTopic(tps: TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    const l = m.get(tp.topic) ?? [];
    l.push(tp.partition);
    m.set(tp.topic, l);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

export function createKafkaSource(options: KafkaSourceOptions, handlers: KafkaSourceHandlers): KafkaSource {
  return new GroupSource(options, handlers);
}
