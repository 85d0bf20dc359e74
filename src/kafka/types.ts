// The shapes the rest of floe sees of Kafka. Nothing here names a client library: the pipeline
// and the tests drive these interfaces; src/kafka/*.ts implement them on @platformatic/kafka.

export interface KafkaConnectionOptions {
  /** bootstrap brokers, "host:port" */
  brokers: string[];
  clientId?: string;
  /** per-request timeout (default 30 s) */
  requestTimeoutMs?: number;
  /** connect timeout (default 10 s) */
  connectTimeoutMs?: number;
  /** retries of a failed request (default 3) */
  retries?: number;
  /** TLS to the brokers: true (the system's CAs) or the PEM texts and checks to use */
  tls?: boolean | KafkaTlsOptions;
  sasl?: KafkaSaslOptions;
}

/** PEM texts (not paths: the config reader reads the files) and the server checks. */
export interface KafkaTlsOptions {
  /** CA certificates the brokers' certificates must chain to (default: the system's) */
  ca?: string;
  /** client certificate (chain) and its key, for brokers that require one (mTLS) */
  cert?: string;
  key?: string;
  /** passphrase of an encrypted key */
  keyPassword?: string;
  /** name to check the broker's certificate against (default: the broker's host) */
  serverName?: string;
  /** default true; false accepts any certificate (tests only) */
  rejectUnauthorized?: boolean;
}

export type KafkaSaslOptions =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  /** a fixed token */
  | { mechanism: 'OAUTHBEARER'; token: string }
  /** tokens from an OAuth 2 token endpoint (client credentials grant), cached until they expire */
  | { mechanism: 'OAUTHBEARER'; tokenEndpoint: string; clientId: string; clientSecret: string; scope?: string };

/** A record header: its key (UTF-8 decoded) and value bytes, in the order the record has them. */
export type KafkaHeader = [key: string, value: Uint8Array | null];

/**
 * One record as floe sees it, from the fetch to the table (the pipeline's SourceRecord is this
 * type: no second object per record). `timestamp` is ms since the epoch.
 */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: KafkaHeader[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint;
}

/** Records of one partition, in offset order, from one fetch. */
export interface KafkaRecordBatch extends TopicPartition {
  records: KafkaRecord[];
  /** offset after the last record of this batch: where the next fetch of the partition starts */
  nextOffset: bigint;
  /** the partition's high watermark when it was fetched (lag = highWatermark - nextOffset) */
  highWatermark: bigint;
}

/**
 * Where an assigned partition starts: an exact offset (the table's next offset), or a policy
 * for partitions the table knows nothing about. `committed` uses the group's committed offset
 * and falls back to `fallback` (default earliest) when there is none.
 */
export type StartPosition = bigint | 'earliest' | 'latest' | { committed: true; fallback?: 'earliest' | 'latest' };

export type RevokeReason = 'rebalance' | 'stop';

export interface KafkaSourceHandlers {
  /**
   * Called after every group join with the partitions newly assigned to this member, before any
   * of them is fetched. Return the start of each (keyed by `tpKey`); a partition missing from
   * the map starts at the source's `defaultStart`.
   */
  onAssigned?(partitions: TopicPartition[]): Promise<Map<string, StartPosition>> | Map<string, StartPosition>;
  /**
   * Called when partitions leave this member (a rebalance moved them, or stop()), after their
   * fetching has ended and no batch of theirs is being handled. Drop or flush their buffers here.
   */
  onRevoked?(partitions: TopicPartition[], reason: RevokeReason): Promise<void> | void;
  /**
   * Called with each fetched batch (one partition, non-empty). The source fetches that partition
   * again only after the promise settles: a slow handler is backpressure. A rejection (of any
   * handler) is fatal: the source stops, `onError` is called and `done` rejects with it; onRevoked
   * is not called for that stop. Where a new source starts is the caller's (the table's) decision.
   */
  onBatch(batch: KafkaRecordBatch): Promise<void>;
  /** told of the fatal error that stopped the source (also the rejection of `done`) */
  onError?(error: Error): void;
}

export interface KafkaSource {
  /** join the group and start fetching; resolves after the first assignment was handled */
  start(): Promise<void>;
  /** partitions currently assigned to this member */
  assignment(): TopicPartition[];
  /** stop fetching these partitions (records already handed out stay handed out) */
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  paused(): TopicPartition[];
  /** the next fetch of this assigned partition starts at `offset` */
  seek(partition: TopicPartitionOffset): void;
  /** the offset the next fetch of this partition starts at */
  position(partition: TopicPartition): bigint | undefined;
  /** commit group offsets (next offset to read, as Kafka means it); advisory in floe */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** leave the group and close within `timeoutMs` (default 10 s); onRevoked(…, 'stop') is called */
  stop(timeoutMs?: number): Promise<void>;
  /** settles when the source has stopped (rejects with the error that stopped it) */
  readonly done: Promise<void>;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function tpFromKey(key: string): TopicPartition {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/**
 * The fetch sizes a source uses unless told otherwise (`kafka.fetch` in a connector file). A
 * fetch response is parsed whole into record objects before the first is handled, so maxBytes
 * bounds the records in memory at once; 16 MiB holds 12 partitions × 1 MiB (Kafka's own
 * defaults are 50 MiB / 1 MiB).
 */
export const FETCH_DEFAULTS = {
  /** the broker waits up to this long for minBytes */
  maxWaitMs: 500,
  minBytes: 1,
  /** whole response cap */
  maxBytes: 16 << 20,
  /** per partition cap (Kafka's max.partition.fetch.bytes) */
  maxBytesPerPartition: 1 << 20,
} as const;
