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
import { FloeError } from '../errors.ts';

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

/** The hybrid's bytes end before `count` values were read, or a run is malformed. */
export class RleDecodeError extends FloeError {
  constructor(message: string) {
    super('fatal', message);
  }
}

/**
 * Decodes `count` values of `width` bits (0..32) from the hybrid in buf[pos, end) into
 * out[at, at + count); returns the position after the last run read. The padding of a final
 * bit-packed group is read and dropped. Values wider than `out` holds are truncated by it
 * (levels go to a Uint8Array, dictionary indices to an Int32Array).
 */
export function decodeRleHybrid(buf: Uint8Array, pos: number, end: number, width: number, count: number, out: Uint8Array | Int32Array, at: number): number {
  if (width < 0 || width > 32) throw new RleDecodeError(`bit width ${width} is out of range`);
  const valueBytes = (width + 7) >> 3;
  const stop = at + count;
  let o = at;
  while (o < stop) {
    // run header: unsigned LEB128
    let header = 0;
    let mul = 1;
    for (;;) {
      if (pos >= end) throw new RleDecodeError(`hybrid ends after ${o - at} of ${count} values`);
      const b = buf[pos++];
      header += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
      if (mul > 2 ** 35) throw new RleDecodeError('run header longer than 5 bytes');
    }
    if ((header & 1) === 0) {
      // RLE run
      const n = Math.min(header / 2, stop - o);
      if (pos + valueBytes > end) throw new RleDecodeError('RLE run value beyond the end');
      let v = 0;
      for (let b = 0; b < valueBytes; b++) v += buf[pos + b] * 2 ** (8 * b);
      pos += valueBytes;
      if (n === 0) throw new RleDecodeError('empty RLE run');
      out.fill(v, o, o + n);
      o += n;
    } else {
      const groups = (header - 1) / 2;
      const bytes = groups * width;
      if (pos + bytes > end) throw new RleDecodeError(`bit-packed run of ${groups} groups beyond the end`);
      const n = Math.min(groups * 8, stop - o);
      if (groups === 0) throw new RleDecodeError('empty bit-packed run');
      unpack(buf, pos, width, n, out, o);
      pos += bytes;
      o += n;
    }
  }
  return pos;
}

/** n values of `width` bits, LSB first, from buf[pos..] into out[o..] (the bytes were checked to be there). */
function unpack(buf: Uint8Array, pos: number, width: number, n: number, out: Uint8Array | Int32Array, o: number): void {
  if (width === 0) {
    out.fill(0, o, o + n);
    return;
  }
  if (width === 1) {
    for (let k = 0; k < n; k++) out[o + k] = (buf[pos + (k >> 3)] >>> (k & 7)) & 1;
    return;
  }
  if (width <= 24) {
    // at most 31 bits pending: fits the 32-bit accumulator
    const mask = (1 << width) - 1;
    let acc = 0;
    let bits = 0;
    let p = pos;
    for (let k = 0; k < n; k++) {
      while (bits < width) {
        acc |= buf[p++] << bits;
        bits += 8;
      }
      out[o + k] = acc & mask;
      acc >>>= width;
      bits -= width;
    }
    return;
  }
  // 25..32 bits: bit by bit in floating point (never written by floe: indices stay under 2^17)
  for (let k = 0; k < n; k++) {
    let v = 0;
    const first = k * width;
    for (let b = 0; b < width; b++) {
      const bit = first + b;
      if ((buf[pos + (bit >> 3)] >>> (bit & 7)) & 1) v += 2 ** b;
    }
    out[o + k] = v;
  }
}
