// Lossless JSON for Iceberg metadata and catalog responses.
//
// Snapshot ids are random 63-bit integers: JSON.parse would round them to the nearest double.
// Fields that hold an id always come back as bigint; any other integer outside the safe range
// comes back as bigint too; everything else is what JSON.parse gives. stringify writes bigints
// as bare JSON numbers.

/** Keys whose integer values are 64-bit ids and are always returned as bigint. */
export const ID_KEYS: ReadonlySet<string> = new Set(['snapshot-id', 'parent-snapshot-id', 'current-snapshot-id', 'added-snapshot-id']);

type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;

const revive: Reviver = function (key, value, context) {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const source = context.source;
  if (ID_KEYS.has(key) && /^-?\d+$/.test(source)) return BigInt(source);
  if (!Number.isSafeInteger(value) && /^-?\d+$/.test(source)) return BigInt(source);
  return value;
};

export function parseJson<T = unknown>(text: string): T {
  return JSON.parse(text, revive as never) as T;
}

const replace = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON(value.toString()) : value);

export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, replace, indent);
}
