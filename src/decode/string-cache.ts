// Interning of repeated short strings, one cache per string field of a compiled decoder.
//
// Most string columns repeat a few values (event types, countries, user agents, map keys).
// Decoding them through the cache returns the same JS string object for the same UTF-8 bytes:
// no new string per record, and the batch builder's dictionary lookup then finds a string
// whose hash V8 has already computed. A hit costs a short hash and a byte comparison; a miss
// decodes as usual and takes the slot. A field whose values rarely repeat (ids) stops using
// its cache after a probe window and tries again much later.
//
// Direct-mapped: slot = hash of (length, first, middle and last 4 bytes). Every hit is verified
// byte for byte, so a collision only costs a miss.

import { isUtf8 } from 'node:buffer';

type Utf8Slicer = { utf8Slice(this: Uint8Array, start: number, end: number): string };
const nativeSlice = (Buffer.prototype as unknown as Partial<Utf8Slicer>).utf8Slice;

/** UTF-8 bytes [start, end) of any Uint8Array as a string (Buffer's native slice, no wrapper). */
export const utf8: (buf: Uint8Array, start: number, end: number) => string =
  typeof nativeSlice === 'function'
    ? (buf, start, end) => nativeSlice.call(buf, start, end)
    : (buf, start, end) => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', start, end);

/**
 * Whether bytes [start, end) are valid UTF-8. Decoding never checks (an invalid sequence becomes
 * U+FFFD, a silent change of the producer's value), so every string a decoder takes is checked:
 * ASCII (the common case) by a loop, anything else by Node's native validator.
 */
export function validUtf8(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && buf[i] < 0x80) i++;
  return i === end || isUtf8(buf.subarray(i, end));
}

const SLOTS = 256;
/** Strings longer than this are not cached (comparing them costs about what decoding does). */
export const MAX_CACHED_BYTES = 128;
/** Lookups per probe window; a window with fewer than half hits switches the cache off. */
const WINDOW = 4096;
/** Strings decoded without the cache before it is tried again. */
const OFF_FOR = 1 << 16;

export class StringCache {
  private readonly bytes: (Uint8Array | undefined)[] = new Array(SLOTS).fill(undefined);
  private readonly strings: string[] = new Array(SLOTS).fill('');
  private lookups = 0;
  private hits = 0;
  /** > 0: the cache is off for this many more strings. */
  private off = 0;

  get enabled(): boolean {
    return this.off === 0;
  }

  /** The string of UTF-8 bytes buf[start, start + len). */
  get(buf: Uint8Array, start: number, len: number): string {
    if (this.off > 0) {
      this.off--;
      return utf8(buf, start, start + len);
    }
    if (len > MAX_CACHED_BYTES || len === 0) return len === 0 ? '' : utf8(buf, start, start + len);
    const end = start + len;
    // length, first, middle and last bytes (4 of each when there are that many)
    let h: number;
    if (len >= 4) {
      const m = start + (len >> 1) - 2;
      h = Math.imul(len ^ buf[start] ^ (buf[start + 1] << 8) ^ (buf[start + 2] << 16) ^ (buf[start + 3] << 24), 0x9e3779b1);
      h = Math.imul(h ^ buf[m] ^ (buf[m + 1] << 8) ^ (buf[m + 2] << 16) ^ (buf[m + 3] << 24), 0x85ebca6b);
      h = Math.imul(h ^ buf[end - 4] ^ (buf[end - 3] << 8) ^ (buf[end - 2] << 16) ^ (buf[end - 1] << 24), 0xc2b2ae35);
    } else {
      h = len;
      for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    }
    const slot = (h ^ (h >>> 16)) & (SLOTS - 1);
    const lookups = ++this.lookups;
    const cached = this.bytes[slot];
    if (cached !== undefined && cached.length === len) {
      let i = 0;
      while (i < len && cached[i] === buf[start + i]) i++;
      if (i === len) {
        const s = this.strings[slot]; // before endWindow, which may clear the slots
        this.hits++;
        if (lookups === WINDOW) this.endWindow();
        return s;
      }
    }
    const s = utf8(buf, start, end);
    const copy = new Uint8Array(len); // a copy: buf may be a view of a reused fetch buffer
    for (let i = 0; i < len; i++) copy[i] = buf[start + i];
    this.bytes[slot] = copy;
    this.strings[slot] = s;
    if (lookups === WINDOW) this.endWindow();
    return s;
  }

  private endWindow(): void {
    if (this.hits * 2 < this.lookups) {
      this.off = OFF_FOR;
      this.bytes.fill(undefined);
      this.strings.fill('');
    }
    this.lookups = 0;
    this.hits = 0;
  }
}
