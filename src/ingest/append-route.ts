// The append API's one route: POST /v1/tables/{namespace}.{table}/append[?partial=true|false].
// The table name is the last path segment before /append: a namespace, a dot, a table name
// (nested namespaces: a.b.table). Anything else is not this route.
import { IngestError } from './ingest-error.ts';

export interface AppendRoute {
  table: string;
  /** Commit a request's good rows when some are bad (default false: all or none). */
  partial: boolean;
}

const PATH = /^\/v1\/tables\/([^/]+)\/append\/?$/;
const TABLE_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

/** The route of a request URL, or undefined when it is not the append route. Throws IngestError 400 for a bad name or query. */
export function appendRoute(url: string): AppendRoute | undefined {
  const q = url.indexOf('?');
  const m = PATH.exec(q < 0 ? url : url.slice(0, q));
  if (!m) return undefined;
  let table: string;
  try {
    table = decodeURIComponent(m[1]);
  } catch {
    throw new IngestError(400, 'bad-record', `"${m[1]}" is not a valid table name`);
  }
  if (!TABLE_NAME.test(table)) throw new IngestError(400, 'bad-record', `"${table}" is not a table name (namespace.table: letters, digits, _ and -)`);
  const partial = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('partial');
  if (partial !== null && partial !== 'true' && partial !== 'false') throw new IngestError(400, 'bad-record', `partial must be true or false, got "${partial}"`);
  return { table, partial: partial === 'true' };
}
