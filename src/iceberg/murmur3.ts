// Murmur3, x86 variant, 32-bit, seed 0: the hash behind Iceberg's bucket transform
// (table spec, "Appendix B: 32-bit Hash Requirements").
//
// Results are signed 32-bit integers, the value Java's `HashCode.asInt()` gives, so they
// compare directly with the spec's test values (e.g. hashLong(34) = 2017239379).

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK1(k1: number): number {
  k1 = Math.imul(k1, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  return Math.imul(k1, C2);
}

function mixH1(h1: number, k1: number): number {
  h1 ^= k1;
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function fmix(h1: number, length: number): number {
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 | 0;
}

/** Murmur3 x86_32 of `length` bytes of `bytes` starting at `offset`. */
export function murmur3Bytes(bytes: Uint8Array, offset = 0, length = bytes.length - offset, seed = 0): number {
  let h1 = seed | 0;
  const blocksEnd = offset + (length & ~3);
  let i = offset;
  for (; i < blocksEnd; i += 4) {
    const k1 = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    h1 = mixH1(h1, mixK1(k1));
  }
  let k1 = 0;
  switch (length & 3) {
    case 3:
      k1 ^= bytes[i + 2] << 16;
    // falls through
    case 2:
      k1 ^= bytes[i + 1] << 8;
    // falls through
    case 1:
      k1 ^= bytes[i];
      h1 ^= mixK1(k1);
  }
  return fmix(h1, length);
}

/** Hash of a 64-bit value given as its low and high 32-bit halves (8 little-endian bytes). */
export function murmur3Int64Halves(lo: number, hi: number): number {
  let h1 = mixH1(0, mixK1(lo | 0));
  h1 = mixH1(h1, mixK1(hi | 0));
  return fmix(h1, 8);
}

const TWO_32 = 4294967296;

/**
 * Java's `hashLong(v)`: the 8 little-endian bytes of a two's-complement 64-bit value.
 * Accepts a bigint (wrapped to 64 bits) or a number that is a safe integer.
 */
export function murmur3Long(v: bigint | number): number {
  if (typeof v === 'number') {
    if ((v | 0) === v) return murmur3Int64Halves(v, v < 0 ? -1 : 0);
    if (!Number.isSafeInteger(v)) throw new RangeError(`murmur3Long: ${v} is not a safe integer`);
    const hi = Math.floor(v / TWO_32);
    return murmur3Int64Halves(v - hi * TWO_32, hi);
  }
  return murmur3Int64Halves(Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
}

/** Java's `hashInt` as Iceberg uses it: an int is hashed as the long of the same value. */
export function murmur3Int(v: number): number {
  return murmur3Int64Halves(v, v < 0 ? -1 : 0);
}

const scratch = new Float64Array(1);
const scratchWords = new Int32Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Java's `hashLong(doubleToLongBits(v))` with -0.0 canonicalized to 0.0 and every NaN to
 * 0x7ff8000000000000 (spec Appendix B, note 5). Not used by any transform today; floats
 * and doubles cannot be bucketed.
 */
export function murmur3Double(v: number): number {
  if (Number.isNaN(v)) return murmur3Int64Halves(0, 0x7ff80000);
  scratch[0] = v === 0 ? 0 : v;
  return LITTLE_ENDIAN ? murmur3Int64Halves(scratchWords[0], scratchWords[1]) : murmur3Int64Halves(scratchWords[1], scratchWords[0]);
}

/**
 * Murmur3 of a string's UTF-8 bytes without materializing them, as Java's
 * `hashString(s, UTF_8)` gives it: an unpaired surrogate counts as '?' (String.getBytes).
 */
export function murmur3Utf8(s: string): number {
  let h1 = 0;
  let k = 0; // pending bytes, little-endian
  let n = 0; // number of pending bytes (0-3)
  let length = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    let bytes: number; // up to 4 bytes packed little-endian in emission order
    let count: number;
    if (c < 0x80) {
      bytes = c;
      count = 1;
    } else if (c < 0x800) {
      bytes = 0xc0 | (c >> 6) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes = 0xe0 | (c >> 12) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      count = 3;
    } else {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        bytes = 0xf0 | (c >> 18) | ((0x80 | ((c >> 12) & 0x3f)) << 8) | ((0x80 | ((c >> 6) & 0x3f)) << 16) | ((0x80 | (c & 0x3f)) << 24);
        count = 4;
      } else {
        bytes = 0x3f; // '?'
        count = 1;
      }
    }
    length += count;
    for (let j = 0; j < count; j++) {
      k |= ((bytes >>> (8 * j)) & 0xff) << (8 * n);
      if (++n === 4) {
        h1 = mixH1(h1, mixK1(k));
        k = 0;
        n = 0;
      }
    }
  }
  if (n > 0) h1 ^= mixK1(k);
  return fmix(h1, length);
}
