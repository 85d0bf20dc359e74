// Small helpers that turn raw decoded data into the value representation the batch builder
// accepts per Iceberg type (decimal → string like "-12.30", uuid → canonical string, ...).

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Unscaled integer + scale → decimal string: (-1230, 2) → "-12.30", (5, 3) → "0.005". */
export function formatDecimal(unscaled: number | bigint, scale: number): string {
  const negative = unscaled < 0;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale === 0) return negative ? '-' + digits : digits;
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  const cut = digits.length - scale;
  return (negative ? '-' : '') + digits.slice(0, cut) + '.' + digits.slice(cut);
}

/** Big-endian two's-complement bytes → integer (number when it fits exactly in 6 bytes, else bigint). */
export function twosComplementToInteger(bytes: Uint8Array, start: number, end: number): number | bigint {
  const len = end - start;
  if (len === 0) return 0;
  if (len <= 6) {
    let n = (bytes[start] << 24) >> 24; // sign-extended first byte
    for (let i = start + 1; i < end; i++) n = n * 256 + bytes[i];
    return n;
  }
  let hex = '';
  for (let i = start; i < end; i++) hex += HEX[bytes[i]];
  return BigInt.asIntN(len * 8, BigInt('0x' + hex));
}

/** 16 bytes → "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case). */
export function uuidFromBytes(b: Uint8Array, o = 0): string {
  return (
    HEX[b[o]] +
    HEX[b[o + 1]] +
    HEX[b[o + 2]] +
    HEX[b[o + 3]] +
    '-' +
    HEX[b[o + 4]] +
    HEX[b[o + 5]] +
    '-' +
    HEX[b[o + 6]] +
    HEX[b[o + 7]] +
    '-' +
    HEX[b[o + 8]] +
    HEX[b[o + 9]] +
    '-' +
    HEX[b[o + 10]] +
    HEX[b[o + 11]] +
    HEX[b[o + 12]] +
    HEX[b[o + 13]] +
    HEX[b[o + 14]] +
    HEX[b[o + 15]]
  );
}

/** A UUID string in canonical (lower-case, hyphenated) form, or undefined if it is not one. */
export function canonicalUuid(s: string): string | undefined {
  if (s.length !== 36) return undefined;
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return undefined; // '-'
    } else if (c >= 97 && c <= 102) {
      // a-f
    } else if (c >= 48 && c <= 57) {
      // 0-9
    } else if (c >= 65 && c <= 70) {
      upper = true; // A-F
    } else return undefined;
  }
  return upper ? s.toLowerCase() : s;
}

/** A long as the batch builder takes it: a number when it is a safe integer, else a bigint. */
export function normalizeLong(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}
