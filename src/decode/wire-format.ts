// The Confluent wire format: byte 0 is the magic byte 0, bytes 1..4 the schema id (big-endian,
// signed 32-bit as the Java serializer writes it), then for Protobuf the message-index path,
// then the payload.
//
// Protobuf message indexes, as io.confluent.kafka.serializers.protobuf writes them: a zig-zag
// varint count N, then N zig-zag varints, each the index of a message among its siblings
// (first the top-level message in the file, then nested ones). The common case [0] is
// written as the single byte 0 (a count of 0).
import { DecodeError } from './decode-error.ts';

export { DecodeError } from './decode-error.ts';
export type { DecodeReason } from './decode-error.ts';

export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

export interface WireFrame {
  schemaId: number;
  /** Protobuf only: the path of message indexes ([0] = first message in the file). */
  messageIndexes?: number[];
  /** The encoded value: a view into the input, not a copy. */
  payload: Uint8Array;
}

/** Reads magic byte and schema id; the payload is everything after the 5-byte header. */
export function parseFrame(bytes: Uint8Array): WireFrame {
  const schemaId = readSchemaId(bytes);
  return { schemaId, payload: bytes.subarray(HEADER_LENGTH) };
}

/** Checks the magic byte and header length; returns the schema id (the payload starts at HEADER_LENGTH). */
export function readSchemaId(bytes: Uint8Array): number {
  if (bytes.length === 0) throw new DecodeError('truncated', 'empty record value (expected a Confluent wire-format frame)');
  if (bytes[0] !== MAGIC_BYTE) {
    throw new DecodeError('bad-magic', `first byte is 0x${bytes[0].toString(16).padStart(2, '0')}, expected 0x00 (Confluent wire format)`);
  }
  if (bytes.length < HEADER_LENGTH) throw new DecodeError('truncated', `frame of ${bytes.length} bytes is shorter than the 5-byte header`);
  return (bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4] | 0;
}

/** Like parseFrame, then reads the Protobuf message-index path in front of the payload. */
export function parseProtobufFrame(bytes: Uint8Array): WireFrame & { messageIndexes: number[] } {
  const frame = parseFrame(bytes);
  const { indexes, offset } = readMessageIndexes(frame.payload, 0, frame.schemaId);
  return { schemaId: frame.schemaId, messageIndexes: indexes, payload: frame.payload.subarray(offset) };
}

/** The largest count of message indexes we accept (real nesting depths are tiny; garbage is not). */
const MAX_INDEXES = 64;

export function readMessageIndexes(bytes: Uint8Array, offset: number, schemaId?: number): { indexes: number[]; offset: number } {
  const first = readZigZagVarint32(bytes, offset, schemaId);
  const count = first.value;
  offset = first.offset;
  if (count === 0) return { indexes: [0], offset };
  if (count < 0 || count > MAX_INDEXES) {
    throw new DecodeError('invalid-payload', `protobuf message-index count ${count} is out of range`, { schemaId });
  }
  const indexes = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const r = readZigZagVarint32(bytes, offset, schemaId);
    if (r.value < 0) throw new DecodeError('invalid-payload', `protobuf message index ${r.value} is negative`, { schemaId });
    indexes[i] = r.value;
    offset = r.offset;
  }
  return { indexes, offset };
}

function readZigZagVarint32(bytes: Uint8Array, offset: number, schemaId?: number): { value: number; offset: number } {
  let raw = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (offset >= bytes.length) throw new DecodeError('truncated', 'frame ends inside the protobuf message-index varint', { schemaId });
    const b = bytes[offset++];
    raw += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (raw > 0xffffffff) break;
      const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      return { value, offset };
    }
  }
  throw new DecodeError('invalid-payload', 'protobuf message-index varint is longer than 32 bits', { schemaId });
}

function writeZigZagVarint32(out: number[], value: number): void {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  while (raw >= 0x80) {
    out.push((raw % 0x80) | 0x80);
    raw = Math.floor(raw / 0x80);
  }
  out.push(raw);
}

/** Encodes the message-index path as the Java serializer does ([0] → the single byte 0). */
export function encodeMessageIndexes(indexes: readonly number[]): Uint8Array {
  if (indexes.length === 1 && indexes[0] === 0) return Uint8Array.of(0);
  const out: number[] = [];
  writeZigZagVarint32(out, indexes.length);
  for (const i of indexes) writeZigZagVarint32(out, i);
  return Uint8Array.from(out);
}

/** Frames a payload (for producers in tests and the demo). */
export function encodeFrame(schemaId: number, payload: Uint8Array, messageIndexes?: readonly number[]): Uint8Array {
  const idx = messageIndexes === undefined ? new Uint8Array(0) : encodeMessageIndexes(messageIndexes);
  const out = new Uint8Array(HEADER_LENGTH + idx.length + payload.length);
  out[0] = MAGIC_BYTE;
  new DataView(out.buffer).setInt32(1, schemaId, false);
  out.set(idx, HEADER_LENGTH);
  out.set(payload, HEADER_LENGTH + idx.length);
  return out;
}
