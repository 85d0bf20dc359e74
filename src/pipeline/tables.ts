// The tables a connector writes: opened (or created, with the configured partition spec) on
// first use, and evolved as producers move to new schemas. A table's schema only ever changes
// here, through a guarded commit (see commit/schema-update.ts).
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { NoSuchTableError, parseTableName } from '../catalog/catalog.ts';
import type { ConnectorConfig } from '../config/connector-config.ts';
import { updateSchema } from '../commit/schema-update.ts';
import { currentSchema, defaultSpec } from '../iceberg/metadata-updates.ts';
import { buildPartitionSpec } from '../iceberg/partition-spec.ts';
import { createdTableProperties } from '../iceberg/table-properties.ts';
import type { SchemaChange } from '../iceberg/schema-evolution.ts';
import type { PartitionSpec } from '../iceberg/table-metadata.ts';
import type { Schema, StructType } from '../iceberg/types.ts';
import { withKafkaMetadataColumns } from '../schema/kafka-metadata.ts';
import { FloeError } from '../errors.ts';

export interface OpenTable {
  name: string;
  id: TableIdentifier;
  table: LoadedTable;
  schema: Schema;
  spec: PartitionSpec;
}

export class TableNotFoundError extends FloeError {
  constructor(name: string) {
    super('fatal', `table ${name} does not exist and table.autoCreate is false`);
  }
}

export class TableManager {
  private readonly catalog: Catalog;
  private readonly config: Pick<ConnectorConfig, 'table'>;

  /** Only `config.table` is read (the append API passes one table's settings). */
  constructor(catalog: Catalog, config: Pick<ConnectorConfig, 'table'>) {
    this.catalog = catalog;
    this.config = config;
  }

  /** The incoming schema as the table should see it: with Kafka metadata columns when configured. */
  withMetadata<T extends StructType>(schema: T): T {
    const t = this.config.table;
    return t.kafkaMetadataColumns ? withKafkaMetadataColumns(schema, { key: t.kafkaKeyColumn, headers: t.kafkaHeadersColumn }) : schema;
  }

  /** Loads a table, or returns undefined when it does not exist. */
  async load(name: string): Promise<OpenTable | undefined> {
    const id = parseTableName(name);
    try {
      return this.wrap(name, await this.catalog.loadTable(id));
    } catch (err) {
      if (err instanceof NoSuchTableError) return undefined;
      throw err;
    }
  }

  /** Loads a table, creating it from `incoming` (and the configured partitioning) if missing. */
  async open(name: string, incoming: Schema | undefined): Promise<OpenTable> {
    const existing = await this.load(name);
    if (existing) return existing;
    if (!this.config.table.autoCreate) throw new TableNotFoundError(name);
    if (!incoming) throw new Error(`cannot create table ${name}: no schema known yet`);
    const id = parseTableName(name);
    const schema = this.withMetadata(incoming);
    const { spec } = buildPartitionSpec(schema, this.config.table.partitionBy);
    if (!(await this.catalog.namespaceExists(id.namespace))) {
      await this.catalog.createNamespace(id.namespace).catch(async (err) => {
        if (!(await this.catalog.namespaceExists(id.namespace))) throw err; // another worker made it
      });
    }
    try {
      return this.wrap(name, await this.catalog.createTable(id, { schema, partitionSpec: spec, properties: createdTableProperties(this.config.table.properties) }));
    } catch (err) {
      const raced = await this.load(name); // another worker created it first
      if (raced) return raced;
      throw err;
    }
  }

  /** Evolves the table towards `incoming` (by name). Throws IncompatibleSchemaChangeError. */
  async evolve(t: OpenTable, incoming: StructType): Promise<{ table: OpenTable; changes: SchemaChange[] }> {
    const { table, changes } = await updateSchema(this.catalog, t.id, this.withMetadata(incoming));
    return { table: changes.length > 0 ? this.wrap(t.name, table) : await this.reload(t), changes };
  }

  async reload(t: OpenTable): Promise<OpenTable> {
    return this.wrap(t.name, await this.catalog.loadTable(t.id));
  }

  private wrap(name: string, table: LoadedTable): OpenTable {
    return { name, id: table.identifier, table, schema: currentSchema(table.metadata), spec: defaultSpec(table.metadata) };
  }
}
