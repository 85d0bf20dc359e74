// A small Snappy compressor (raw block format, as Parquet's SNAPPY codec uses): greedy
// matching through a hash of 4-byte sequences, copies with 2-byte offsets (≤ 65535 back).
//
//   stream  := varint(uncompressed length) element*
//   literal := tag (len-1)<<2 | 0 for len ≤ 60, else tag 60..63 and len-1 in 1..4 bytes LE
//   copy2   := tag (len-1)<<2 | 2, offset as 2 bytes LE (len 1..64)

const HASH_BITS = 14;

export function snappyCompress(src: Uint8Array): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(32 + n + Math.ceil(n / 6));
  let op = 0;
  let v = n;
  while (v >= 0x80) {
    out[op++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[op++] = v;
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let lit = 0; // start of pending literal
  let i = 0;
  const emitLiteral = (from: number, to: number) => {
    let len = to - from;
    while (len > 0) {
      const chunk = Math.min(len, 65536);
      const l = chunk - 1;
      if (l < 60) out[op++] = l << 2;
      else if (l < 256) {
        out[op++] = 60 << 2;
        out[op++] = l;
      } else {
        out[op++] = 61 << 2;
        out[op++] = l & 0xff;
        out[op++] = l >>> 8;
      }
      out.set(src.subarray(from, from + chunk), op);
      op += chunk;
      from += chunk;
      len -= chunk;
    }
  };
  while (i + 4 <= n) {
    const word = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
    const h = Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
    const cand = table[h];
    table[h] = i;
    if (cand >= 0 && i - cand <= 65535 && src[cand] === src[i] && src[cand + 1] === src[i + 1] && src[cand + 2] === src[i + 2] && src[cand + 3] === src[i + 3]) {
      if (lit < i) emitLiteral(lit, i);
      let len = 4;
      while (i + len < n && src[cand + len] === src[i + len]) len++;
      const offset = i - cand;
      let rest = len;
      while (rest > 0) {
        let c = Math.min(rest, 64);
        if (rest - c > 0 && rest - c < 4) c = rest - 4; // keep the next copy ≥ 4 (any length ≥ 1 is valid, this is just tidy)
        out[op++] = ((c - 1) << 2) | 2;
        out[op++] = offset & 0xff;
        out[op++] = offset >>> 8;
        rest -= c;
      }
      i += len;
      lit = i;
    } else i++;
  }
  if (lit < n) emitLiteral(lit, n);
  return out.subarray(0, op);
}
