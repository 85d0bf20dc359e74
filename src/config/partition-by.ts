// `table.partitionBy` checked when the connector file is read, before any record arrives, with
// Iceberg's own parser and spec builder (iceberg/partition-spec.ts), so a bad expression fails
// `floe validate` and the start instead of the first table creation. The rule: report only
// what is wrong for every schema the records could bring:
//   - each expression parses: a known transform (weekly(ts) is not), widths and bucket counts
//     of at least 1, one column;
//   - the columns whose type is known without data, the Kafka metadata columns, exist (the
//     table.kafka* keys add them) and take the transform (day(_kafka_offset) does not);
//   - together the expressions make a spec: no name used twice, no redundant fields (day(ts)
//     with hour(ts)), no column asked for a time transform and truncate (no type takes both).
// The other columns come from the records; they are checked against the real schema when the
// table is created.
import { buildPartitionSpec, parsePartitionExpression, PartitionSpecError } from '../iceberg/partition-spec.ts';
import type { PartitionExpression } from '../iceberg/partition-spec.ts';
import type { NestedField, PrimitiveType, Schema, StructType } from '../iceberg/types.ts';
import { KAFKA_HEADERS, KAFKA_KEY, KAFKA_OFFSET, KAFKA_PARTITION, KAFKA_TIMESTAMP, KAFKA_TOPIC, withKafkaMetadataColumns } from '../schema/kafka-metadata.ts';
import { ConfigError } from './config-reader.ts';

export interface PartitionByTable {
  partitionBy: string[];
  kafkaMetadataColumns: boolean;
  kafkaKeyColumn?: 'binary' | 'string';
  kafkaHeadersColumn: boolean;
}

const METADATA_COLUMNS = [KAFKA_TOPIC, KAFKA_PARTITION, KAFKA_OFFSET, KAFKA_TIMESTAMP, KAFKA_KEY, KAFKA_HEADERS];
const TIME = new Set(['year', 'month', 'day', 'hour']);

/** Throws ConfigError naming `table.partitionBy[i]` for the first expression that cannot be right. */
export function checkPartitionBy(file: string, table: PartitionByTable): void {
  const key = (i: number) => `table.partitionBy[${i}]`;
  const parsed: PartitionExpression[] = table.partitionBy.map((expr, i) => {
    try {
      return parsePartitionExpression(expr);
    } catch (err) {
      if (err instanceof PartitionSpecError) throw new ConfigError(file, key(i), err.message);
      throw err;
    }
  });

  // columns the records bring: the type that takes every transform asked of them
  const needs = new Map<string, { time?: string; truncate?: string }>();
  parsed.forEach((p, i) => {
    const top = p.column.split('.')[0];
    if (METADATA_COLUMNS.includes(top)) {
      const missing = metadataKeyMissing(top, table);
      if (missing) throw new ConfigError(file, key(i), `partition expression "${table.partitionBy[i]}": ${top} is a Kafka metadata column, added only with ${missing}`);
      return;
    }
    const n = needs.get(p.column) ?? {};
    if (TIME.has(p.transform.kind)) n.time ??= table.partitionBy[i];
    if (p.transform.kind === 'truncate') n.truncate ??= table.partitionBy[i];
    if (n.time !== undefined && n.truncate !== undefined) {
      throw new ConfigError(file, key(i), `"${n.time}" and "${n.truncate}" cannot both apply to column ${p.column}: no column type takes a time transform and truncate`);
    }
    needs.set(p.column, n);
  });

  const columns = [...needs.keys()];
  for (const outer of columns) {
    const inner = columns.find((c) => c.startsWith(`${outer}.`));
    if (inner !== undefined) {
      const i = parsed.findIndex((p) => p.column === inner);
      throw new ConfigError(file, key(i), `column ${outer} is partitioned and so is ${inner} inside it: a partition source is a primitive column, not a struct`);
    }
  }

  let schema: Schema = { type: 'struct', 'schema-id': 0, fields: [] };
  let nextId = 0;
  for (const [column, n] of needs) addColumn(schema, column.split('.'), n.time !== undefined ? 'timestamptz' : 'string', () => ++nextId);
  if (table.kafkaMetadataColumns) schema = withKafkaMetadataColumns(schema, { key: table.kafkaKeyColumn, headers: table.kafkaHeadersColumn });
  try {
    buildPartitionSpec(schema, table.partitionBy);
  } catch (err) {
    if (!(err instanceof PartitionSpecError)) throw err;
    const i = table.partitionBy.findIndex((expr) => err.message.startsWith(`partition expression "${expr}"`));
    throw new ConfigError(file, i >= 0 ? key(i) : 'table.partitionBy', err.message);
  }
}

/** The config key that adds this metadata column, when it is not set. */
function metadataKeyMissing(column: string, table: PartitionByTable): string | undefined {
  if (!table.kafkaMetadataColumns) {
    if (column === KAFKA_KEY) return 'table.kafkaMetadataColumns: true and table.kafkaKeyColumn';
    if (column === KAFKA_HEADERS) return 'table.kafkaMetadataColumns: true and table.kafkaHeadersColumn: true';
    return 'table.kafkaMetadataColumns: true';
  }
  if (column === KAFKA_KEY && !table.kafkaKeyColumn) return 'table.kafkaKeyColumn';
  if (column === KAFKA_HEADERS && !table.kafkaHeadersColumn) return 'table.kafkaHeadersColumn: true';
  return undefined;
}

/** Adds a column at a dotted path, with structs on the way. */
function addColumn(struct: StructType, path: string[], type: PrimitiveType, id: () => number): void {
  const [name, ...rest] = path;
  let field: NestedField | undefined = struct.fields.find((f) => f.name === name);
  if (!field) {
    field = { id: id(), name, required: false, type: rest.length === 0 ? type : { type: 'struct', fields: [] } };
    struct.fields.push(field);
  }
  if (rest.length > 0 && typeof field.type !== 'string' && field.type.type === 'struct') addColumn(field.type, rest, type, id);
}
