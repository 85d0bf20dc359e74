// Parquet's RLE / bit-packing hybrid, used for definition and repetition levels and for
// dictionary indices.
//
//   run        := rle-run | bit-packed-run
//   rle-run    := varint(count << 1) value (ceil(bitWidth / 8) bytes, little-endian)
//   bit-packed := varint(groups << 1 | 1) groups * 8 values, bitWidth bits each, LSB first
//
// Runs of 8 or more equal values become RLE runs; everything else is bit-packed in groups
// of 8. Only the final bit-packed group may be padded (the reader knows the value count).

import type { ByteWriter } from './byte-writer.ts';

export function bitWidth(maxValue: number): number {
  let w = 0;
  while (maxValue >= 2 ** w) w++;
  return w;
}

export function encodeRleHybrid(values: Uint8Array | Int32Array, start: number, end: number, width: number, out: ByteWriter): void {
  const valueBytes = (width + 7) >> 3;
  let pendStart = start; // bit-packed values not yet written: [pendStart, i)
  let i = start;
  while (i < end) {
    const v = values[i];
    let j = i + 1;
    while (j < end && values[j] === v) j++;
    const run = j - i;
    if (run >= 8) {
      // make the pending bit-packed part a multiple of 8 by taking values from this run
      const pending = i - pendStart;
      const take = (8 - (pending & 7)) & 7;
      if (run - take >= 8) {
        if (pending + take > 0) writeBitPacked(values, pendStart, i + take, width, out);
        const count = run - take;
        out.varint(count * 2);
        out.ensure(valueBytes);
        for (let b = 0; b < valueBytes; b++) out.buf[out.pos++] = (v >>> (8 * b)) & 0xff;
        pendStart = j;
      }
    }
    i = j;
  }
  if (pendStart < end) writeBitPacked(values, pendStart, end, width, out);
}

/** Bit-pack values[start, end) in groups of 8 (the last group zero-padded). */
function writeBitPacked(values: Uint8Array | Int32Array, start: number, end: number, width: number, out: ByteWriter): void {
  const n = end - start;
  const groups = Math.ceil(n / 8);
  out.varint(groups * 2 + 1);
  const bytes = groups * width;
  out.ensure(bytes);
  const buf = out.buf;
  let p = out.pos;
  buf.fill(0, p, p + bytes);
  if (width === 0) return;
  let acc = 0;
  let bits = 0;
  for (let k = 0; k < groups * 8; k++) {
    const v = start + k < end ? values[start + k] : 0;
    acc |= v << bits;
    bits += width;
    while (bits >= 8) {
      buf[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) buf[p++] = acc & 0xff;
  out.pos = p;
}
