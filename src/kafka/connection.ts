// KafkaConnectionOptions → the client library's base options. One place that knows both.
import type { ConnectionOptions } from 'node:tls';
import { ClientCredentialsTokens } from './oauth-client-credentials.ts';
import type { KafkaConnectionOptions, KafkaSaslOptions } from './types.ts';

type LibrarySasl = { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string } | { mechanism: 'OAUTHBEARER'; token: string | (() => Promise<string>) };

export interface ClientBaseOptions {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  requestTimeout: number;
  retries: number;
  retryDelay: number;
  tls?: ConnectionOptions;
  sasl?: LibrarySasl;
}

/** one token cache per sasl settings: the source, the producer and the admin client share it */
const tokenSources = new WeakMap<KafkaSaslOptions, ClientCredentialsTokens>();

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
  if (options.tls) base.tls = tlsOptions(options.tls);
  if (options.sasl) base.sasl = saslOptions(options.sasl);
  return base;
}

function tlsOptions(tls: true | Exclude<KafkaConnectionOptions['tls'], boolean | undefined>): ConnectionOptions {
  if (tls === true) return {};
  const out: ConnectionOptions = {};
  if (tls.ca !== undefined) out.ca = tls.ca;
  if (tls.cert !== undefined) out.cert = tls.cert;
  if (tls.key !== undefined) out.key = tls.key;
  if (tls.keyPassword !== undefined) out.passphrase = tls.keyPassword;
  if (tls.serverName !== undefined) out.servername = tls.serverName;
  if (tls.rejectUnauthorized === false) out.rejectUnauthorized = false;
  return out;
}

function saslOptions(sasl: KafkaSaslOptions): LibrarySasl {
  if (sasl.mechanism !== 'OAUTHBEARER') return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
  if ('token' in sasl) return { mechanism: 'OAUTHBEARER', token: sasl.token };
  let tokens = tokenSources.get(sasl);
  if (!tokens) {
    tokens = new ClientCredentialsTokens(sasl);
    tokenSources.set(sasl, tokens);
  }
  const source = tokens;
  return { mechanism: 'OAUTHBEARER', token: () => source.token() };
}

/**
 * How floe connects, for messages: "SASL_SSL, SCRAM-SHA-512, user floe", "SSL with a client
 * certificate", "PLAINTEXT". Never a secret.
 */
export function securityLabel(options: Pick<KafkaConnectionOptions, 'tls' | 'sasl'>): string {
  const tls = options.tls ? (typeof options.tls === 'object' && options.tls.cert ? 'SSL with a client certificate' : 'SSL') : undefined;
  const sasl = options.sasl;
  if (!sasl) return tls ?? 'PLAINTEXT';
  const protocol = options.tls ? (tls === 'SSL' ? 'SASL_SSL' : 'SASL_SSL with a client certificate') : 'SASL_PLAINTEXT';
  if (sasl.mechanism !== 'OAUTHBEARER') return `${protocol}, ${sasl.mechanism}, user ${sasl.username}`;
  if ('token' in sasl) return `${protocol}, OAUTHBEARER (fixed token)`;
  return `${protocol}, OAUTHBEARER, client ${sasl.clientId} via ${sasl.tokenEndpoint}`;
}
