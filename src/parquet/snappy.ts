// A small Snappy compressor and decompressor (raw block format, as Parquet's SNAPPY codec
// uses). The compressor matches greedily through a hash of 4-byte sequences and writes copies
// with 2-byte offsets (≤ 65535 back); the decompressor reads every element the format has.
//
//   stream  := varint(uncompressed length) element*
//   literal := tag (len-1)<<2 | 0 for len ≤ 60, else tag 60..63 and len-1 in 1..4 bytes LE
//   copy1   := tag (off>>8)<<5 | (len-4)<<2 | 1, off & 0xff (len 4..11, off < 2048)
//   copy2   := tag (len-1)<<2 | 2, offset as 2 bytes LE (len 1..64)
//   copy4   := tag (len-1)<<2 | 3, offset as 4 bytes LE (len 1..64)
import { FloeError } from '../errors.ts';

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

export class SnappyDecodeError extends FloeError {
  constructor(message: string) {
    super('fatal', message);
  }
}

/** Decompresses a raw Snappy block; throws SnappyDecodeError when it is malformed. */
export function snappyDecompress(src: Uint8Array): Uint8Array {
  const n = src.length;
  let ip = 0;
  let len = 0;
  let mul = 1;
  for (;;) {
    if (ip >= n || mul > 2 ** 28) throw new SnappyDecodeError('bad length header');
    const b = src[ip++];
    len += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
  }
  const out = new Uint8Array(len);
  let op = 0;
  while (ip < n) {
    const tag = src[ip++];
    const type = tag & 3;
    if (type === 0) {
      let l = tag >>> 2;
      if (l >= 60) {
        const extra = l - 59;
        if (ip + extra > n) throw new SnappyDecodeError('literal length beyond the end');
        l = 0;
        for (let k = 0; k < extra; k++) l += src[ip + k] * 2 ** (8 * k);
        ip += extra;
      }
      l += 1;
      if (ip + l > n || op + l > len) throw new SnappyDecodeError('literal beyond the end');
      if (l < 16) for (let k = 0; k < l; k++) out[op + k] = src[ip + k];
      else out.set(src.subarray(ip, ip + l), op);
      ip += l;
      op += l;
      continue;
    }
    let l: number;
    let off: number;
    if (type === 1) {
      if (ip >= n) throw new SnappyDecodeError('copy beyond the end');
      l = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | src[ip++];
    } else if (type === 2) {
      if (ip + 2 > n) throw new SnappyDecodeError('copy beyond the end');
      l = (tag >>> 2) + 1;
      off = src[ip] | (src[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) throw new SnappyDecodeError('copy beyond the end');
      l = (tag >>> 2) + 1;
      off = (src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16)) + src[ip + 3] * 2 ** 24;
      ip += 4;
    }
    if (off === 0 || off > op || op + l > len) throw new SnappyDecodeError(`bad copy (offset ${off}, length ${l}) at output byte ${op}`);
    if (off >= l) out.copyWithin(op, op - off, op - off + l);
    else for (let k = 0; k < l; k++) out[op + k] = out[op - off + k]; // overlapping: repeats the last `off` bytes
    op += l;
  }
  if (op !== len) throw new SnappyDecodeError(`block holds ${op} bytes, its header says ${len}`);
  return out;
}
