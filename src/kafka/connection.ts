// KafkaConnectionOptions → the client library's base options. One place that knows both.
import type { KafkaConnectionOptions } from './types.ts';

export interface ClientBaseOptions {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  requestTimeout: number;
  retries: number;
  retryDelay: number;
  tls?: Record<string, never>;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

export function clientBaseOptions(options: KafkaConnectionOptions, role: string): ClientBaseOptions {
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    throw new Error('kafka: at least one broker is needed (kafka.brokers)');
  }
  for (const b of options.brokers) {
    if (!/^[^\s:]+:\d+$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(b)) {
      throw new Error(`kafka: broker "${b}" is not host:port`);
    }
  }
  const base: ClientBaseOptions = {
    clientId: options.clientId ?? `floe-${role}`,
    bootstrapBrokers: options.brokers,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retries: options.retries ?? 3,
    retryDelay: 250,
  };
  if (options.tls) base.tls = {};
  if (options.sasl) base.sasl = { ...options.sasl };
  return base;
}
