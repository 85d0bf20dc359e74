// The catalog interface: where a table's current metadata file is recorded, and the only
// place a commit becomes visible. REST and the embedded SQL catalog implement it.
import type { Schema } from '../iceberg/types.ts';
import type { PartitionSpec, SortOrder, TableMetadata, TableRequirement, TableUpdate } from '../iceberg/table-metadata.ts';
import { FloeError } from '../errors.ts';

export interface TableIdentifier {
  namespace: string[];
  name: string;
}

export interface LoadedTable {
  identifier: TableIdentifier;
  metadataLocation: string;
  metadata: TableMetadata;
  /** FileIO properties the catalog hands out with the table (s3.endpoint, credentials, ...). */
  config: Record<string, string>;
}

export interface CreateTableRequest {
  schema: Schema;
  partitionSpec?: PartitionSpec;
  sortOrder?: SortOrder;
  properties?: Record<string, string>;
  location?: string;
}

export interface Catalog {
  readonly name: string;
  listNamespaces(parent?: string[]): Promise<string[][]>;
  createNamespace(namespace: string[], properties?: Record<string, string>): Promise<void>;
  namespaceExists(namespace: string[]): Promise<boolean>;
  listTables(namespace: string[]): Promise<TableIdentifier[]>;
  tableExists(id: TableIdentifier): Promise<boolean>;
  loadTable(id: TableIdentifier): Promise<LoadedTable>;
  createTable(id: TableIdentifier, request: CreateTableRequest): Promise<LoadedTable>;
  /**
   * Applies updates if every requirement holds, atomically. Throws CommitConflictError when a
   * requirement fails (someone else committed first): the caller reloads and retries.
   * Throws CommitStateUnknownError when the outcome cannot be known (timeout, 5xx).
   */
  commitTable(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable>;
  dropTable(id: TableIdentifier, purge?: boolean): Promise<void>;
  close?(): Promise<void>;
}

export class CommitConflictError extends FloeError {
  constructor(message: string, cause?: unknown) {
    super('conflict', message, { cause });
  }
}

export class CommitStateUnknownError extends FloeError {
  constructor(message: string, cause?: unknown) {
    super('unknown-outcome', message, { cause });
  }
}

export class NoSuchTableError extends FloeError {
  constructor(id: TableIdentifier) {
    super('fatal', `table does not exist: ${[...id.namespace, id.name].join('.')}`);
  }
}

export class CatalogUnreachableError extends FloeError {
  constructor(url: string, cause?: unknown) {
    super('retryable', `catalog unreachable at ${url}: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

export function tableName(id: TableIdentifier): string {
  return [...id.namespace, id.name].join('.');
}

export function parseTableName(name: string): TableIdentifier {
  const parts = name.split('.');
  if (parts.length < 2 || parts.some((p) => p === '')) throw new Error(`table name "${name}" must be namespace.table`);
  return { namespace: parts.slice(0, -1), name: parts[parts.length - 1] };
}

export class NoSuchNamespaceError extends FloeError {
  constructor(namespace: string[], cause?: unknown) {
    super('fatal', `namespace does not exist: ${namespace.join('.')}`, { cause });
  }
}

export class TableAlreadyExistsError extends FloeError {
  constructor(id: TableIdentifier, cause?: unknown) {
    super('conflict', `table already exists: ${tableName(id)}`, { cause });
  }
}

export class NamespaceAlreadyExistsError extends FloeError {
  constructor(namespace: string[], cause?: unknown) {
    super('conflict', `namespace already exists: ${namespace.join('.')}`, { cause });
  }
}
