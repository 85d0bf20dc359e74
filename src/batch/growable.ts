// Growable typed arrays: capacity doubles, `length` counts the used part. The builders keep
// the array and its length in their own fields and call these only when full.

export function grow<T extends Int32Array | Uint8Array | Float32Array | Float64Array | BigInt64Array>(a: T, minCapacity: number): T {
  let cap = Math.max(16, a.length * 2);
  while (cap < minCapacity) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a as never);
  return b;
}
