// Committing a schema change: the evolved schema becomes the table's current schema, guarded
// so that two writers evolving at once cannot both assign the same new field ids.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { CommitConflictError } from '../catalog/catalog.ts';
import { currentSchema, RequirementFailedError } from '../iceberg/metadata-updates.ts';
import { evolveSchema } from '../iceberg/schema-evolution.ts';
import type { EvolveOptions, SchemaChange } from '../iceberg/schema-evolution.ts';
import type { FieldSpec, StructSpec } from '../iceberg/schema.ts';
import type { StructType } from '../iceberg/types.ts';

export interface SchemaUpdateResult {
  table: LoadedTable;
  changes: SchemaChange[];
}

/**
 * Evolves the table's schema towards `incoming` (matched by name: add columns, widen types,
 * make optional). Throws IncompatibleSchemaChangeError for anything else. No change, no commit.
 * A type the table already holds (int where the table has long, float under double, a smaller
 * decimal precision) is no change, unless `acceptNarrower: false`: an older producer still
 * writing int after a newer one widened the column to long is not incompatible.
 */
export async function updateSchema(
  catalog: Catalog,
  id: TableIdentifier,
  incoming: StructSpec | StructType | FieldSpec[],
  options: Omit<EvolveOptions, 'lastColumnId' | 'schemaId'> & { maxAttempts?: number } = {},
): Promise<SchemaUpdateResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const table = await catalog.loadTable(id);
    const m = table.metadata;
    const current = currentSchema(m);
    const schemaId = Math.max(...m.schemas.map((s) => s['schema-id'])) + 1;
    const result = evolveSchema(current, incoming, { ...options, acceptNarrower: options.acceptNarrower ?? true, lastColumnId: m['last-column-id'], schemaId });
    if (!result.schema) return { table, changes: [] };
    try {
      const committed = await catalog.commitTable(
        id,
        [
          { type: 'assert-current-schema-id', 'current-schema-id': m['current-schema-id'] },
          { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': m['last-column-id'] },
        ],
        [
          { action: 'add-schema', schema: result.schema, 'last-column-id': result.lastColumnId },
          { action: 'set-current-schema', 'schema-id': -1 },
        ],
      );
      return { table: committed, changes: result.changes };
    } catch (err) {
      if (!(err instanceof CommitConflictError || err instanceof RequirementFailedError) || attempt >= maxAttempts) throw err;
    }
  }
}
