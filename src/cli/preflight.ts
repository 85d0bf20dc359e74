// Start-up checks against the servers a connector needs, run once before it joins its group
// (`floe run`) and by `floe validate --connect`. The rule: what would otherwise show only as a
// hang or a retry loop minutes later is refused here, within seconds, with a ConfigError naming
// the file and the key:
//   - the schema registry answers GET /schemas/types (every Confluent-compatible registry
//     does): a 404 means the URL lacks its API path (/apis/ccompat/v7 on Apicurio), a 401/403
//     that the credentials are refused; an unreachable registry or a 5xx is only a warning for
//     `floe run` (decoding waits for it, bounded) and an error for `floe validate --connect`;
//   - the dead-letter topic exists (floe creates no topics), and its max.message.bytes is read
//     so a dead letter larger than that is cut to fit (pipeline/dead-letters.ts) instead of
//     failing its send again and again.
import { ConfigError } from '../config/config-reader.ts';
import type { ConnectorConfig } from '../config/connector-config.ts';
import { DecodeError } from '../decode/decode-error.ts';
import { SchemaRegistryError } from '../decode/schema-registry.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import { isKafkaSecurityError } from '../kafka/errors.ts';
import { kafkaConnection } from './kafka-options.ts';

/** What the registry check needs of a registry client (SchemaRegistryClient). */
export interface RegistryApi {
  readonly displayUrl: string;
  checkApi(): Promise<void>;
}

export interface PreflightResult {
  /** The dead-letter topic's max.message.bytes, when there is a dead-letter topic. */
  deadLetterMaxMessageBytes?: number;
  /** What was checked, one line each (floe validate --connect prints them). */
  checked: string[];
}

export interface PreflightOptions {
  /** The registry client of the connector (none for format json). */
  registry?: RegistryApi;
  /** An unreachable registry: a warning (floe run) or an error (floe validate --connect). */
  unreachableRegistry: 'warn' | 'fail';
  warn?: (message: string) => void;
  /** Also check that the brokers answer when there is no dead-letter topic to ask them about (floe validate --connect). */
  brokers?: boolean;
}

/** Runs every start-up check; throws ConfigError naming the file and key of the first that fails. */
export async function preflight(cfg: ConnectorConfig, options: PreflightOptions): Promise<PreflightResult> {
  const checked: string[] = [];
  if (options.registry) checked.push(await checkRegistry(cfg, options.registry, options));
  const result: PreflightResult = { checked };
  const topic = cfg.errors.deadLetterTopic;
  if (!topic && !options.brokers) return result;
  let admin: KafkaAdmin;
  try {
    admin = await KafkaAdmin.connect(kafkaConnection(cfg.kafka, `${cfg.kafka.clientId}-preflight`));
  } catch (err) {
    const message = (err as Error).message;
    // refused credentials or TLS: the key to fix is the security one, not the addresses
    const key = !isKafkaSecurityError(err) ? 'kafka.brokers' : cfg.kafka.sasl && !message.startsWith('kafka: TLS') ? 'kafka.sasl' : 'kafka.tls';
    throw new ConfigError(cfg.source, key, message);
  }
  try {
    checked.push(`brokers ${cfg.kafka.brokers.join(',')} answer`);
    if (topic) {
      const bytes = await deadLetterTopicMaxMessageBytes(cfg, admin, topic);
      result.deadLetterMaxMessageBytes = bytes;
      checked.push(`dead-letter topic ${topic} exists${bytes === undefined ? '' : ` (max.message.bytes ${bytes}: larger dead letters go without their value)`}`);
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
  return result;
}

async function checkRegistry(cfg: ConnectorConfig, registry: RegistryApi, options: PreflightOptions): Promise<string> {
  try {
    await registry.checkApi();
    return `schema registry ${registry.displayUrl} answers`;
  } catch (err) {
    if (err instanceof DecodeError && err.reason === 'registry-unavailable') {
      const message = `schema registry ${registry.displayUrl} cannot be reached now: ${err.detail}`;
      if (options.unreachableRegistry === 'fail') throw new ConfigError(cfg.source, 'schemaRegistry.url', message);
      options.warn?.(`${message}; decoding waits for it (bounded) when the first record needs a schema`);
      return `schema registry ${registry.displayUrl} not reachable (warned)`;
    }
    if (err instanceof SchemaRegistryError) throw new ConfigError(cfg.source, err.status === 401 || err.status === 403 ? 'schemaRegistry' : 'schemaRegistry.url', err.message);
    throw err;
  }
}

/** Throws ConfigError when the topic does not exist; its max.message.bytes otherwise (undefined if the broker gives none). */
async function deadLetterTopicMaxMessageBytes(cfg: ConnectorConfig, admin: KafkaAdmin, topic: string): Promise<number | undefined> {
  const configs = await admin.topicConfig(topic, ['max.message.bytes']);
  if (configs === undefined) {
    throw new ConfigError(
      cfg.source,
      'errors.deadLetterTopic',
      `topic "${topic}" does not exist on ${cfg.kafka.brokers.join(',')}; floe creates no topics: create it first (e.g. kafka-topics.sh --create --topic ${topic} --bootstrap-server ${cfg.kafka.brokers[0]})`,
    );
  }
  const n = Number(configs['max.message.bytes']);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
