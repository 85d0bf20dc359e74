// Record value bytes → (schema id, value, Iceberg schema), with one compiled decoder per schema
// id (per message for Protobuf) built on first use and kept. The Iceberg schema that comes
// with each value is the same object for every record of one schema, so the schema step can
// compare by identity before doing any work.
import type { Schema } from '../iceberg/types.ts';
import { DecodeError } from './decode-error.ts';
import { HEADER_LENGTH, readMessageIndexes, readSchemaId } from './wire-format.ts';
import type { ResolvedSchema, SchemaLookup } from './schema-registry.ts';
import { parseAvroSchema } from './avro-schema.ts';
import type { AvroType, NamedAvroTypes } from './avro-schema.ts';
import { compileAvroDecoder } from './avro-decoder.ts';
import { parseProtobufSchema } from './protobuf-schema.ts';
import type { ProtobufSchema } from './protobuf-schema.ts';
import { compileProtobufDecoder } from './protobuf-decoder.ts';
import { compileJsonSchemaDecoder, decodeJson } from './json-decoder.ts';
import { icebergSchemaFromAvro, VALUE_COLUMN } from '../schema/from-avro.ts';
import { icebergSchemaFromProtobuf } from '../schema/from-protobuf.ts';
import { jsonSchemaToIceberg } from '../schema/from-json-schema.ts';

export interface DecodedRecord {
  schemaId: number;
  /** The record as a plain object in floe's batch representation. */
  value: Record<string, unknown>;
  /** Iceberg schema derived from the writer schema (fresh ids; reconciled with the table by name). */
  schema: Schema;
}

/** One decoder for one schema id (and, for Protobuf, one message). */
export interface MessageDecoder {
  schema: Schema;
  /** Decodes the payload in bytes[offset..]. */
  decode(bytes: Uint8Array, offset: number): Record<string, unknown>;
}

/** An Avro writer schema whose records a batch builder can take straight from their bytes (RecordBatchBuilder.appendAvro). */
export interface AvroWriter {
  /** The parsed writer schema (a record), the same object for every frame of the schema id. */
  avro: AvroType;
  /** What decode() gives as the record's schema (DecodedRecord.schema). */
  schema: Schema;
  /** Where the Avro value starts in a frame. */
  offset: number;
}

interface SchemaEntry {
  id: number;
  /** Set for an Avro schema whose top level is a record. */
  avroWriter?: AvroWriter;
  /** Non-Protobuf: the decoder; Protobuf: one per message-index path. */
  forMessage(indexes: readonly number[] | undefined): MessageDecoder;
  protobuf: boolean;
}

type Decode = (bytes: Uint8Array, offset: number) => unknown;
function wrapIfNotObject(decode: Decode, topLevelIsRecord: boolean): (bytes: Uint8Array, offset: number) => Record<string, unknown> {
  if (topLevelIsRecord) return decode as (bytes: Uint8Array, offset: number) => Record<string, unknown>;
  return (bytes, offset) => ({ [VALUE_COLUMN]: decode(bytes, offset) });
}

function withId<T>(id: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError) throw e.schemaId === undefined ? e.withSchemaId(id) : e;
    throw new DecodeError('unsupported-schema', `schema ${id}: ${(e as Error).message}`, { schemaId: id, cause: e });
  }
}

/** Builds the decoder(s) for a resolved registry schema. */
export function buildSchemaEntry(rs: ResolvedSchema): SchemaEntry {
  return withId(rs.id, () => {
    switch (rs.schemaType) {
      case 'AVRO': {
        const named: NamedAvroTypes = new Map();
        for (const d of rs.dependencies) parseAvroSchema(d.schema, named);
        const avro = parseAvroSchema(rs.schema, named);
        const md: MessageDecoder = { schema: icebergSchemaFromAvro(avro), decode: wrapIfNotObject(compileAvroDecoder(avro), avro.kind === 'record') };
        const avroWriter = avro.kind === 'record' ? { avro, schema: md.schema, offset: HEADER_LENGTH } : undefined;
        return { id: rs.id, protobuf: false, forMessage: () => md, avroWriter };
      }
      case 'JSON': {
        const parse = (s: string): unknown => {
          try {
            return JSON.parse(s);
          } catch (e) {
            throw new DecodeError('unsupported-schema', `JSON Schema is not JSON: ${(e as Error).message}`);
          }
        };
        const root = parse(rs.schema);
        const refs = rs.dependencies.map((d) => ({ name: d.name, schema: parse(d.schema) }));
        const { schema, wrapped } = jsonSchemaToIceberg(root, new Map(refs.map((r) => [r.name, r.schema])));
        const valueType = wrapped ? schema.fields[0].type : schema;
        const md: MessageDecoder = { schema, decode: wrapIfNotObject(compileJsonSchemaDecoder(root, refs, valueType), !wrapped) };
        return { id: rs.id, protobuf: false, forMessage: () => md };
      }
      case 'PROTOBUF': {
        const ps: ProtobufSchema = parseProtobufSchema(
          rs.schema,
          rs.dependencies.map((d) => ({ name: d.name, schema: d.schema })),
        );
        const byPath = new Map<string, MessageDecoder>();
        return {
          id: rs.id,
          protobuf: true,
          forMessage: (indexes) => {
            const key = (indexes ?? [0]).join(',');
            let md = byPath.get(key);
            if (!md) {
              md = withId(rs.id, () => {
                const t = ps.messageAt(indexes ?? [0]);
                return { schema: icebergSchemaFromProtobuf(t), decode: compileProtobufDecoder(t) };
              });
              byPath.set(key, md);
            }
            return md;
          },
        };
      }
    }
  });
}

/**
 * Decodes Confluent wire-format record values. `decode` returns synchronously once the
 * schema id is known, and a promise the first time an id is seen (registry lookup).
 */
export class ConfluentDecoder {
  private readonly registry: SchemaLookup;
  private readonly entries = new Map<number, SchemaEntry>();
  private readonly pending = new Map<number, Promise<SchemaEntry>>();
  /** Failed ids: an unusable schema forever, an unknown id for a while, so bad records do not hammer the registry. */
  private readonly failures = new Map<number, { error: DecodeError; until: number }>();
  private readonly unknownIdRetryMs: number;

  constructor(registry: SchemaLookup, options: { unknownIdRetryMs?: number } = {}) {
    this.registry = registry;
    this.unknownIdRetryMs = options.unknownIdRetryMs ?? 30_000;
  }

  /** The schema entry for an id, or a promise of it (fetched and compiled once). */
  entry(id: number): SchemaEntry | Promise<SchemaEntry> {
    const e = this.entries.get(id);
    if (e) return e;
    const failed = this.failures.get(id);
    if (failed) {
      if (Date.now() < failed.until) throw failed.error;
      this.failures.delete(id);
    }
    let p = this.pending.get(id);
    if (!p) {
      p = this.registry.resolve(id).then((rs) => {
        const built = buildSchemaEntry(rs);
        this.entries.set(id, built);
        this.pending.delete(id);
        return built;
      });
      p.catch((err: unknown) => {
        this.pending.delete(id);
        if (err instanceof DecodeError && err.reason === 'unsupported-schema') this.failures.set(id, { error: err, until: Infinity });
        if (err instanceof DecodeError && err.reason === 'unknown-schema') this.failures.set(id, { error: err, until: Date.now() + this.unknownIdRetryMs });
      });
      this.pending.set(id, p);
    }
    return p;
  }

  /**
   * Decodes one record value. Returns synchronously when the schema id is known, a promise
   * the first time an id is seen. Throws (synchronously, or by rejecting) a DecodeError.
   */
  decode(bytes: Uint8Array): DecodedRecord | Promise<DecodedRecord> {
    const id = readSchemaId(bytes);
    const e = this.entry(id);
    if (e instanceof Promise) return e.then((entry) => this.decodeWith(entry, bytes));
    return this.decodeWith(e, bytes);
  }

  /**
   * The Avro writer schema of a frame whose schema id is already loaded, if its top level is a
   * record; otherwise undefined (decode() is the way). No registry lookup, no decoding.
   */
  avroWriter(bytes: Uint8Array): AvroWriter | undefined {
    if (bytes.length < HEADER_LENGTH || bytes[0] !== 0) return undefined;
    return this.entries.get(readSchemaId(bytes))?.avroWriter;
  }

  private decodeWith(entry: SchemaEntry, bytes: Uint8Array): DecodedRecord {
    let indexes: number[] | undefined;
    let offset = HEADER_LENGTH;
    if (entry.protobuf) {
      const r = readMessageIndexes(bytes, HEADER_LENGTH, entry.id);
      indexes = r.indexes;
      offset = r.offset;
    }
    const md = entry.forMessage(indexes);
    try {
      return { schemaId: entry.id, value: md.decode(bytes, offset), schema: md.schema };
    } catch (e) {
      throw e instanceof DecodeError && e.schemaId === undefined ? e.withSchemaId(entry.id) : e;
    }
  }
}

/** Plain JSON record values (no registry): the parsed object, int64-safe. */
export function decodePlainJson(bytes: Uint8Array): Record<string, unknown> {
  const v = decodeJson(bytes, 0);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { [VALUE_COLUMN]: v };
  return v as Record<string, unknown>;
}
