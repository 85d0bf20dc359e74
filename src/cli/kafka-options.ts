// A connector file's kafka section → the options every Kafka client of floe connects with (the
// source, the dead-letter producer, the admin client of the start-up checks), and the source's own.
import type { ConnectorConfig, KafkaConfig } from '../config/connector-config.ts';
import type { KafkaSourceOptions } from '../kafka/source.ts';
import type { KafkaConnectionOptions } from '../kafka/types.ts';

export function kafkaConnection(k: KafkaConfig, clientId = k.clientId): KafkaConnectionOptions {
  return {
    brokers: k.brokers,
    clientId,
    ...(k.tls === undefined ? {} : { tls: k.tls }),
    ...(k.sasl === undefined ? {} : { sasl: k.sasl }),
  };
}

/** The consumer-group member's options: connection, group, subscription, timeouts and fetch sizes. */
export function kafkaSourceOptions(cfg: ConnectorConfig, log?: KafkaSourceOptions['log']): KafkaSourceOptions {
  const k = cfg.kafka;
  return {
    ...kafkaConnection(k),
    groupId: k.groupId,
    topics: cfg.topics ?? [new RegExp(`^(?:${cfg.topicPattern})$`)],
    sessionTimeoutMs: k.sessionTimeoutMs,
    reconnectTimeoutMs: k.reconnectTimeoutMs,
    topicRefreshMs: k.topicRefreshMs,
    // maxBytes, maxBytesPerPartition, maxWaitMs, minBytes: the source's own names
    ...k.fetch,
    log,
  };
}
