// Optional Kafka metadata columns appended to a table's schema:
//   _kafka_topic string, _kafka_partition int, _kafka_offset long, _kafka_timestamp timestamptz,
//   and on request _kafka_key (binary, or string for UTF-8 keys) and
//   _kafka_headers map<string, binary>.
// All optional except topic, partition and offset, which every record has. New ids continue
// after the schema's highest id; a column that is already there is left as it is.
import type { NestedField, Schema, StructType } from '../iceberg/types.ts';
import { highestFieldId } from '../iceberg/schema.ts';

export const KAFKA_TOPIC = '_kafka_topic';
export const KAFKA_PARTITION = '_kafka_partition';
export const KAFKA_OFFSET = '_kafka_offset';
export const KAFKA_TIMESTAMP = '_kafka_timestamp';
export const KAFKA_KEY = '_kafka_key';
export const KAFKA_HEADERS = '_kafka_headers';

export interface KafkaMetadataOptions {
  /** Add _kafka_key: as binary (raw bytes) or string (UTF-8). Default: no key column. */
  key?: 'binary' | 'string';
  /** Add _kafka_headers map<string, binary>. Default false. */
  headers?: boolean;
}

export function withKafkaMetadataColumns<T extends StructType | Schema>(schema: T, options: KafkaMetadataOptions = {}): T {
  let next = highestFieldId(schema);
  const have = new Set(schema.fields.map((f) => f.name));
  const add: NestedField[] = [];
  const push = (name: string, required: boolean, type: (id: () => number) => NestedField['type']): void => {
    if (have.has(name)) return;
    const id = ++next;
    add.push({ id, name, required, type: type(() => ++next) });
  };
  push(KAFKA_TOPIC, true, () => 'string');
  push(KAFKA_PARTITION, true, () => 'int');
  push(KAFKA_OFFSET, true, () => 'long');
  push(KAFKA_TIMESTAMP, false, () => 'timestamptz');
  if (options.key) push(KAFKA_KEY, false, () => options.key!);
  if (options.headers) {
    push(KAFKA_HEADERS, false, (id) => ({ type: 'map', 'key-id': id(), key: 'string', 'value-id': id(), value: 'binary', 'value-required': false }));
  }
  return { ...schema, fields: [...schema.fields, ...add] };
}

/** The metadata column values of one record, in the batch representation. */
export function kafkaMetadataValues(
  record: { topic: string; partition: number; offset: bigint | number; timestampMs?: bigint | number; key?: Uint8Array | null; headers?: Iterable<[string, Uint8Array | null]> },
  options: KafkaMetadataOptions = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    [KAFKA_TOPIC]: record.topic,
    [KAFKA_PARTITION]: record.partition,
    [KAFKA_OFFSET]: record.offset,
    [KAFKA_TIMESTAMP]: record.timestampMs === undefined ? null : BigInt(record.timestampMs) * 1000n,
  };
  if (options.key === 'binary') out[KAFKA_KEY] = record.key ?? null;
  else if (options.key === 'string') out[KAFKA_KEY] = record.key ? Buffer.from(record.key.buffer, record.key.byteOffset, record.key.byteLength).toString('utf8') : null;
  if (options.headers) out[KAFKA_HEADERS] = record.headers ? new Map(record.headers) : null;
  return out;
}
