// The embedded defaults: a SQLite catalog file and a warehouse folder, both under one local
// directory, so floe runs with nothing else installed.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../catalog/sql-catalog.ts';

export const DEFAULT_WAREHOUSE_DIR = 'warehouse';

export function embeddedCatalog(dir: string = DEFAULT_WAREHOUSE_DIR): { catalog: SqlCatalog; dir: string; catalogFile: string; warehouse: string } {
  const abs = path.resolve(dir);
  fs.mkdirSync(abs, { recursive: true });
  const catalogFile = path.join(abs, 'catalog.db');
  const warehouse = pathToFileURL(abs).href;
  return { catalog: new SqlCatalog({ uri: catalogFile, warehouse }), dir: abs, catalogFile, warehouse };
}
