// The error a record gets when one of its values does not fit the table's schema.
// The message names the table, the column path (a.b.element.c), the expected Iceberg type and
// what was given, so that a dead-letter reason is useful on its own.
import { FloeError } from '../errors.ts';

export class ValueError extends FloeError {
  readonly table: string;
  readonly column: string;
  readonly expected: string;
  constructor(table: string, column: string, expected: string, value: unknown, reason?: string) {
    super('bad-record', `table ${table}, column "${column}": expected ${expected}, got ${preview(value)}${reason ? ` (${reason})` : ''}`);
    this.table = table;
    this.column = column;
    this.expected = expected;
  }
}

const MAX = 40;

function clip(s: string): string {
  return s.length > MAX ? `${s.slice(0, MAX)}…` : s;
}

/** Short description of a JS value: its type and a preview. */
export function preview(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'string':
      return `string ${clip(JSON.stringify(v))}`;
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    case 'bigint':
      return `bigint ${v}n`;
    case 'symbol':
      return 'symbol';
    case 'function':
      return 'function';
  }
  if (Array.isArray(v)) return `array (length ${v.length})`;
  if (v instanceof Date) return `Date ${Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()}`;
  if (v instanceof Uint8Array) return `${v.constructor.name} (${v.length} bytes)`;
  if (v instanceof Map) return `Map (size ${v.size})`;
  let json: string;
  try {
    json = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) ?? '';
  } catch {
    json = '';
  }
  const name = (v as object).constructor?.name;
  return `${name && name !== 'Object' ? name : 'object'} ${clip(json)}`;
}
