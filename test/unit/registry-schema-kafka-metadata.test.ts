import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withKafkaMetadataColumns, kafkaMetadataValues } from '../../src/schema/kafka-metadata.ts';
import type { Schema } from '../../src/iceberg/types.ts';

test('Kafka metadata columns: appended after the highest id, idempotent, with values', () => {
  const base: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [{ id: 1, name: 'a', required: true, type: { type: 'list', 'element-id': 2, element: 'long', 'element-required': true } }],
  };
  const s = withKafkaMetadataColumns(base, { key: 'string', headers: true });
  assert.deepEqual(s.fields.slice(1), [
    { id: 3, name: '_kafka_topic', required: true, type: 'string' },
    { id: 4, name: '_kafka_partition', required: true, type: 'int' },
    { id: 5, name: '_kafka_offset', required: true, type: 'long' },
    { id: 6, name: '_kafka_timestamp', required: false, type: 'timestamptz' },
    { id: 7, name: '_kafka_key', required: false, type: 'string' },
    { id: 8, name: '_kafka_headers', required: false, type: { type: 'map', 'key-id': 9, key: 'string', 'value-id': 10, value: 'binary', 'value-required': false } },
  ]);
  assert.deepEqual(withKafkaMetadataColumns(s, { key: 'string', headers: true }), s);
  assert.deepEqual(
    withKafkaMetadataColumns(base).fields.map((f) => f.name),
    ['a', '_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp'],
  );
  assert.equal(s['schema-id'], 0);
  const v = kafkaMetadataValues(
    { topic: 't', partition: 3, offset: 10n, timestampMs: 1700000000123, key: new TextEncoder().encode('k1'), headers: [['h', Uint8Array.of(1)]] },
    { key: 'string', headers: true },
  );
  assert.deepEqual(v, {
    _kafka_topic: 't',
    _kafka_partition: 3,
    _kafka_offset: 10n,
    _kafka_timestamp: 1_700_000_000_123_000n,
    _kafka_key: 'k1',
    _kafka_headers: new Map([['h', Uint8Array.of(1)]]),
  });
});
