// The config one of `floe run`'s N group members runs with (workers.ts): its own Kafka clientId
// (`<clientId>-<index>`, so the group's members and the broker's logs tell them apart), an equal
// share of the process's bufferMaxBytes, no metrics server of its own (the main thread serves
// the sum of every member's metrics) and one worker.
import type { ConnectorConfig } from '../config/connector-config.ts';

export function memberConfig(cfg: ConnectorConfig, index: number, workers: number): ConnectorConfig {
  return {
    ...cfg,
    kafka: { ...cfg.kafka, clientId: `${cfg.kafka.clientId}-${index}` },
    bufferMaxBytes: Math.floor(cfg.bufferMaxBytes / workers),
    metricsPort: 0,
    workers: 1,
  };
}
