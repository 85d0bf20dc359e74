// Which rows the schema inferrer (schema/infer-json.ts) would take without a change, told cheaply:
// a row whose every key is a top-level column of the inferred schema, with a value of a kind that
// column already is, changes nothing and breaks no rule, so JsonSchemaInferrer.add() can be
// skipped for it. Any other row (a new key, a nested value, a value that would widen a column or
// not fit it) is not decided here: the caller gives it to the inferrer, which has the last word.
//
// The kinds, as the inferrer merges them, for inferred columns and for a table's (fixed) ones:
//   boolean     a boolean
//   long        an integral number or a bigint (a fraction would widen it to double)
//   double      a number or a bigint
//   string      a string
//   timestamptz a string in RFC 3339 with an offset (another string would widen it to string)
//   null        fits every column
// Columns of other types (int, date, decimal, struct, list, ...) are left to the inferrer.
import type { Schema } from '../iceberg/types.ts';
import { isRfc3339DateTime } from '../schema/infer-json.ts';

const BOOLEAN = 1;
const LONG = 2;
const DOUBLE = 3;
const STRING = 4;
const TIMESTAMPTZ = 5;

const KINDS: Record<string, number> = { boolean: BOOLEAN, long: LONG, double: DOUBLE, string: STRING, timestamptz: TIMESTAMPTZ };

export class SchemaFit {
  private readonly kinds = new Map<string, number>();

  /** `schema`: the inferrer's schema() as it is now (make a new SchemaFit when it changes). */
  constructor(schema: Schema) {
    for (const f of schema.fields) {
      const kind = typeof f.type === 'string' ? KINDS[f.type] : undefined;
      if (kind !== undefined) this.kinds.set(f.name, kind);
    }
  }

  /** True when the inferrer would take the row without a change; false: ask the inferrer. */
  fits(row: Record<string, unknown>): boolean {
    const kinds = this.kinds;
    // for-in: no array of keys per row (a key inherited from a polluted prototype is unknown: false)
    for (const key in row) {
      const v = row[key];
      if (v === null || v === undefined) {
        if (!kinds.has(key)) return false; // a key the inferrer may not hold yet
        continue;
      }
      switch (kinds.get(key)) {
        case BOOLEAN:
          if (typeof v !== 'boolean') return false;
          break;
        case LONG:
          if (!(typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) return false;
          break;
        case DOUBLE:
          if (typeof v !== 'number' && typeof v !== 'bigint') return false;
          break;
        case STRING:
          if (typeof v !== 'string') return false;
          break;
        case TIMESTAMPTZ:
          if (typeof v !== 'string' || !isTimestamptzText(v)) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  }
}

const D0 = 48;

/** Two ASCII digits at i as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - D0;
  const b = s.charCodeAt(i + 1) - D0;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * isRfc3339DateTime(s), without a regular expression for the usual form
 * "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)"; any other text is given to isRfc3339DateTime.
 */
export function isTimestamptzText(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > 35) return false;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const sec = two(s, 17);
  const t = s.charCodeAt(10);
  if (
    y1 < 0 ||
    y2 < 0 ||
    mo < 0 ||
    d < 0 ||
    h < 0 ||
    mi < 0 ||
    sec < 0 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    (t !== 84 && t !== 116 && t !== 32)
  ) {
    return isRfc3339DateTime(s);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < n && s.charCodeAt(i) >= D0 && s.charCodeAt(i) <= D0 + 9) i++;
    if (i === start || i - start > 9) return false;
  }
  const z = s.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === n) return true;
  if ((z === 43 || z === 45) && i + 6 === n && s.charCodeAt(i + 3) === 58) {
    const oh = two(s, i + 1);
    const om = two(s, i + 4);
    return oh >= 0 && om >= 0 && oh <= 23 && om <= 59;
  }
  return false;
}
