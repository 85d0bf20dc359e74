// Record value bytes → (schema id, value, Iceberg schema), with one compiled decoder per schema
// id (per message for Protobuf) built on first use and kept. The Iceberg schema that comes
// with each value is the same object for every record of one schema, so the schema step can
// compare by identity before doing any work.
import type { Schema } from '../iceberg/types.ts';
import { DecodeError } from './decode-error.ts';
import { HEADER_LENGTH, readMessageIndexes, readSchemaId } from './wire-format.ts';
import type { ResolvedSchema, SchemaLookup } from './schema-registry.ts';
import { parseAvroSchema } from './avro-schema.ts';
import type { NamedAvroTypes } from './avro-schema.ts';
import { compileAvroDecoder } from './avro-decoder.ts';
import { parseProtobufSchema } from './protobuf-schema.ts';
import type { ProtobufSchema } from './protobuf-schema.ts';
import { compileProtobufDecoder } from './protobuf-decoder.ts';
import { compileJsonSchemaDecoder, decodeJson } from './json-decoder.ts';
import { LazyFrame } from './record-frame.ts';
import type { DirectEncoding, RecordFrame } from './record-frame.ts';
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

interface SchemaEntry {
  id: number;
  /** Set for an Avro schema whose top level is a record: its records can go straight into a batch's columns. */
  direct?: DirectEncoding;
  /** Non-Protobuf: the decoder; Protobuf: one per message-index path. */
  forMessage(indexes: readonly number[] | undefined): MessageDecoder;
  protobuf: boolean;
  /** Non-Protobuf: the value decoder of its lazy frames (made on first use). */
  lazy?: (bytes: Uint8Array) => Record<string, unknown>;
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
        const direct: DirectEncoding | undefined = avro.kind === 'record' ? { format: 'avro', writer: avro, offset: HEADER_LENGTH } : undefined;
        return { id: rs.id, protobuf: false, forMessage: () => md, direct };
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
   * The record as a frame (record-frame.ts): its schema from the header, its value decoded when
   * first read (a DecodeError then), and for an Avro record the way to take it straight into a
   * batch's columns. Synchronous once the schema id is known, a promise the first time (registry
   * lookup); a bad header or an unknown id throws (or rejects) here. Protobuf frames are decoded
   * at once (the message indexes are part of the header).
   */
  frame(bytes: Uint8Array): RecordFrame | Promise<RecordFrame> {
    const id = readSchemaId(bytes);
    const e = this.entry(id);
    if (e instanceof Promise) return e.then((entry) => this.frameWith(entry, bytes));
    return this.frameWith(e, bytes);
  }

  private frameWith(entry: SchemaEntry, bytes: Uint8Array): RecordFrame {
    if (entry.protobuf) return this.decodeWith(entry, bytes);
    const md = entry.forMessage(undefined);
    let decode = entry.lazy;
    if (decode === undefined) {
      const id = entry.id;
      entry.lazy = decode = (b: Uint8Array): Record<string, unknown> => {
        try {
          return md.decode(b, HEADER_LENGTH);
        } catch (e) {
          // a lazy value is read deep in the pipeline: whatever its decoder throws is the record's problem
          if (!(e instanceof DecodeError)) throw new DecodeError('invalid-payload', (e as Error).message, { schemaId: id, cause: e });
          throw e.schemaId === undefined ? e.withSchemaId(id) : e;
        }
      };
    }
    return new LazyFrame(bytes, decode, entry.direct, md.schema, entry.id);
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

const PLAIN_JSON: DirectEncoding = { format: 'json', offset: 0 };

/** A plain JSON record value as a lazy frame: decodePlainJson when read; a batch may take the JSON straight into its columns. */
export function plainJsonFrame(bytes: Uint8Array): RecordFrame {
  return new LazyFrame(bytes, decodePlainJson, PLAIN_JSON);
}
