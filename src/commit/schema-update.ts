// Committing a schema change: the evolved schema becomes the table's current schema, guarded
// so that two writers evolving at once cannot both assign the same new field ids. Committed
// through the one retry loop (commit-loop.ts): on a conflict the change is evolved again from
// the new current schema (by name, so a column another writer added meanwhile is not added twice).
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { currentSchema } from '../iceberg/metadata-updates.ts';
import { evolveSchema } from '../iceberg/schema-evolution.ts';
import type { EvolveOptions, SchemaChange } from '../iceberg/schema-evolution.ts';
import type { FieldSpec, StructSpec } from '../iceberg/schema.ts';
import type { StructType } from '../iceberg/types.ts';
import { commitWithRetry } from './commit-loop.ts';

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
  const { result } = await commitWithRetry<SchemaUpdateResult>(
    catalog,
    id,
    {
      describe: `schema update of ${tableName(id)}`,
      build: async (table) => {
        const m = table.metadata;
        const schemaId = Math.max(...m.schemas.map((s) => s['schema-id'])) + 1;
        const evolved = evolveSchema(currentSchema(m), incoming, { ...options, acceptNarrower: options.acceptNarrower ?? true, lastColumnId: m['last-column-id'], schemaId });
        if (!evolved.schema) return { requirements: [], updates: [], result: (t) => ({ table: t, changes: [] }) };
        return {
          requirements: [
            { type: 'assert-current-schema-id', 'current-schema-id': m['current-schema-id'] },
            { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': m['last-column-id'] },
          ],
          updates: [
            { action: 'add-schema', schema: evolved.schema, 'last-column-id': evolved.lastColumnId },
            { action: 'set-current-schema', 'schema-id': -1 },
          ],
          result: (t) => ({ table: t, changes: evolved.changes }),
        };
      },
    },
    { maxAttempts: options.maxAttempts ?? 5 },
  );
  return result;
}
