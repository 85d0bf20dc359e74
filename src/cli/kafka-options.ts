// A connector file's kafka section → the options every Kafka client of floe connects with (the
// source, the dead-letter producer, the admin client of the start-up checks).
import type { KafkaConfig } from '../config/connector-config.ts';
import type { KafkaConnectionOptions } from '../kafka/types.ts';

export function kafkaConnection(k: KafkaConfig, clientId = k.clientId): KafkaConnectionOptions {
  return {
    brokers: k.brokers,
    clientId,
    ...(k.tls === undefined ? {} : { tls: k.tls }),
    ...(k.sasl === undefined ? {} : { sasl: k.sasl }),
  };
}
