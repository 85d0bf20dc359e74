// Avro object container files (Avro 1.11 spec, "Object Container Files").
//
//   magic "Obj\x01" | metadata map<bytes> (avro.schema, avro.codec, user keys) | 16-byte sync
//   then blocks: record count (long) | byte size (long) | data (compressed) | sync
//
// The header's avro.schema is the caller's schema JSON as given, so Iceberg's "field-id",
// "element-id", "key-id", "value-id" and "logicalType": "map" attributes survive.
// Writes codec "deflate" (raw deflate, RFC 1951) or "null". Reads null, deflate, snappy
// (raw snappy + 4-byte big-endian CRC32) and zstandard.

import { crc32, deflateRawSync, inflateRawSync, zstdDecompressSync } from 'node:zlib';
import { stringifyJson } from './json.ts';
import type { AvroNode, AvroSchema, DecodeOptions } from './avro.ts';
import { AvroReader, AvroWriter, compileDecoder, compileEncoder, parseSchema } from './avro.ts';

export const AVRO_MAGIC = Uint8Array.of(0x4f, 0x62, 0x6a, 0x01); // "Obj" 1
const SYNC_SIZE = 16;

export type AvroWriteCodec = 'null' | 'deflate';

export interface AvroFileWriteOptions {
  /** Default "deflate". */
  codec?: AvroWriteCodec;
  /** Extra header metadata (Iceberg keys such as "schema", "partition-spec-id"). */
  metadata?: Record<string, string | Uint8Array>;
  /** Uncompressed bytes per block before a new block starts. Default 64 KiB. */
  blockBytes?: number;
  /** zlib level for deflate, default 6 (as Java's default for deflate manifests is -1 → 6). */
  deflateLevel?: number;
  /** Fixed sync marker (16 bytes); random otherwise. For tests and reproducible output. */
  syncMarker?: Uint8Array;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8');

/** Write a whole container file for `records` under `schema` (schema JSON kept as given). */
export function writeAvroFile(schema: AvroSchema, records: Iterable<unknown>, options: AvroFileWriteOptions = {}): Uint8Array {
  const codec = options.codec ?? 'deflate';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`unsupported Avro write codec "${String(codec)}"`);
  const blockBytes = options.blockBytes ?? 64 * 1024;
  const schemaText = typeof schema === 'string' && /^\s*[[{"]/.test(schema) ? schema : stringifyJson(schema);
  const encode = compileEncoder(schemaNodeOf(schemaText));
  const sync = options.syncMarker ?? crypto.getRandomValues(new Uint8Array(SYNC_SIZE));
  if (sync.length !== SYNC_SIZE) throw new RangeError('Avro sync marker must be 16 bytes');

  const out = new AvroWriter(8192);
  out.writeFixed(AVRO_MAGIC);
  const meta = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(options.metadata ?? {})) {
    if (k.startsWith('avro.')) throw new Error(`metadata key "${k}" is reserved for Avro`);
    meta.set(k, typeof v === 'string' ? textEncoder.encode(v) : v);
  }
  meta.set('avro.schema', textEncoder.encode(schemaText));
  meta.set('avro.codec', textEncoder.encode(codec));
  out.writeLong(meta.size);
  for (const [k, v] of meta) {
    out.writeString(k);
    out.writeBytes(v);
  }
  out.writeInt(0);
  out.writeFixed(sync);

  const block = new AvroWriter(Math.min(blockBytes + 1024, 1 << 20));
  let count = 0;
  const flush = () => {
    if (count === 0) return;
    const raw = block.buf.subarray(0, block.pos);
    const data = codec === 'deflate' ? deflateRawSync(raw, { level: options.deflateLevel ?? 6 }) : raw;
    out.writeLong(count);
    out.writeLong(data.length);
    out.writeFixed(data);
    out.writeFixed(sync);
    block.reset();
    count = 0;
  };
  for (const r of records) {
    encode(block, r);
    count++;
    if (block.pos >= blockBytes) flush();
  }
  flush();
  return out.toBytes();
}

/** Parsed schemas by their JSON text (at most PARSED_SCHEMAS_MAX, then started over). */
const parsedSchemas = new Map<string, AvroNode>();
const PARSED_SCHEMAS_MAX = 64;

/**
 * The schema whose JSON text is `text`, parsed once: a table's manifests and manifest lists
 * repeat a few schemas, and a parsed schema (immutable) keeps its compiled encoder and decoder
 * (compileEncoder, compileDecoder cache by node), which every commit would otherwise build again.
 */
function schemaNodeOf(text: string): AvroNode {
  let node = parsedSchemas.get(text);
  if (node === undefined) {
    node = parseSchema(JSON.parse(text) as AvroSchema);
    if (parsedSchemas.size >= PARSED_SCHEMAS_MAX) parsedSchemas.clear();
    parsedSchemas.set(text, node);
  }
  return node;
}

export interface AvroFileContents {
  /** The writer's schema, parsed. */
  schema: AvroNode;
  /** The writer's schema JSON as found in the header. */
  schemaJson: unknown;
  codec: string;
  /** Header metadata as UTF-8 text (every Iceberg key is text). */
  metadata: Record<string, string>;
  /** Header metadata as raw bytes. */
  rawMetadata: Map<string, Uint8Array>;
  sync: Uint8Array;
  /** Records decoded with the writer's schema (see avro.ts for the JS value mapping). */
  records: unknown[];
  /** Number of data blocks in the file. */
  blockCount: number;
}

export interface AvroFileHeader {
  schema: AvroNode;
  schemaJson: unknown;
  codec: string;
  metadata: Record<string, string>;
  rawMetadata: Map<string, Uint8Array>;
  sync: Uint8Array;
  /** Byte offset of the first block. */
  dataStart: number;
}

export function readAvroHeader(bytes: Uint8Array): AvroFileHeader {
  if (bytes.length < 4 + 1 + SYNC_SIZE || AVRO_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error('not an Avro object container file (bad magic)');
  }
  const r = new AvroReader(bytes, 4);
  const rawMetadata = new Map<string, Uint8Array>();
  for (;;) {
    let n = r.readLongNumber();
    if (n === 0) break;
    if (n < 0) {
      n = -n;
      r.readLongNumber();
    }
    for (let i = 0; i < n; i++) {
      const k = r.readString();
      rawMetadata.set(k, r.readBytes());
    }
  }
  const sync = r.readFixed(SYNC_SIZE);
  const metadata: Record<string, string> = {};
  for (const [k, v] of rawMetadata) metadata[k] = textDecoder.decode(v);
  const schemaText = metadata['avro.schema'];
  if (schemaText === undefined) throw new Error('Avro file header has no avro.schema');
  const schemaJson = JSON.parse(schemaText) as AvroSchema;
  return {
    schema: schemaNodeOf(schemaText),
    schemaJson,
    codec: metadata['avro.codec'] ?? 'null',
    metadata,
    rawMetadata,
    sync,
    dataStart: r.pos,
  };
}

/** Read a whole container file. Bytes/fixed values are views into private copies of the blocks. */
export function readAvroFile(bytes: Uint8Array, options: DecodeOptions = {}): AvroFileContents {
  const header = readAvroHeader(bytes);
  const decode = compileDecoder(header.schema, options);
  const records: unknown[] = [];
  const r = new AvroReader(bytes, header.dataStart);
  let blockCount = 0;
  while (r.pos < bytes.length) {
    const count = r.readLongNumber();
    const size = r.readLongNumber();
    if (count < 0 || size < 0) throw new Error(`corrupt Avro block header at ${r.pos}`);
    r.copyBytes = header.codec === 'null'; // the block must not alias the caller's bytes
    const raw = r.readFixed(size);
    const data = decompress(header.codec, raw);
    const br = new AvroReader(data);
    br.copyBytes = false;
    for (let i = 0; i < count; i++) records.push(decode(br));
    if (br.pos !== data.length) throw new Error(`Avro block ${blockCount} has ${data.length - br.pos} bytes after its ${count} records`);
    const sync = r.readFixed(SYNC_SIZE);
    for (let i = 0; i < SYNC_SIZE; i++) {
      if (sync[i] !== header.sync[i]) throw new Error(`Avro block ${blockCount}: sync marker mismatch`);
    }
    blockCount++;
  }
  return {
    schema: header.schema,
    schemaJson: header.schemaJson,
    codec: header.codec,
    metadata: header.metadata,
    rawMetadata: header.rawMetadata,
    sync: header.sync,
    records,
    blockCount,
  };
}

function decompress(codec: string, data: Uint8Array): Uint8Array {
  switch (codec) {
    case 'null':
      return data;
    case 'deflate':
      return new Uint8Array(inflateRawSync(data));
    case 'snappy': {
      if (data.length < 4) throw new Error('Avro snappy block shorter than its checksum');
      const body = data.subarray(0, data.length - 4);
      const out = snappyDecompress(body);
      const dv = new DataView(data.buffer, data.byteOffset + data.length - 4, 4);
      const expected = dv.getUint32(0, false);
      if (crc32(out) >>> 0 !== expected) throw new Error('Avro snappy block: CRC32 mismatch');
      return out;
    }
    case 'zstandard':
      return new Uint8Array(zstdDecompressSync(data));
    default:
      throw new Error(`unsupported Avro codec "${codec}"`);
  }
}

/** Decompress a raw snappy block (the format of google/snappy's format_description.txt). */
export function snappyDecompress(src: Uint8Array): Uint8Array {
  let pos = 0;
  // preamble: uncompressed length, little-endian varint (not zig-zag)
  let len = 0;
  let mul = 1;
  for (;;) {
    if (pos >= src.length) throw new Error('snappy: truncated length');
    const b = src[pos++];
    len += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
    if (mul > 2 ** 35) throw new Error('snappy: length too long');
  }
  const out = new Uint8Array(len);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const type = tag & 3;
    if (type === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        n = 0;
        for (let i = 0; i < extra; i++) n += src[pos++] * 2 ** (8 * i);
      }
      n += 1;
      if (pos + n > src.length || o + n > len) throw new Error('snappy: literal out of range');
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (type === 1) {
      n = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[pos++];
    } else if (type === 2) {
      n = 1 + (tag >>> 2);
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      n = 1 + (tag >>> 2);
      offset = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16) | (src[pos + 3] << 24)) >>> 0;
      pos += 4;
    }
    if (offset === 0 || offset > o || o + n > len) throw new Error('snappy: copy out of range');
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset];
  }
  if (o !== len) throw new Error(`snappy: expected ${len} bytes, got ${o}`);
  return out;
}
