// Protobuf payload → floe's batch representation: protobufjs decodes the message (its decoder
// is generated per type), then a converter built once per message type maps the values:
//   64-bit integers (Long) → number if safe, else bigint; uint32 → number; enum → name
//   (unknown numbers → their decimal string); bytes → Uint8Array (a copy);
//   google.protobuf.Timestamp → bigint micros; wrappers (Int64Value, ...) → the value or null;
//   map → Map; repeated → array; nested message → object.
// A field with presence (proto3 `optional`, oneof members, messages, proto2 optional) that is
// absent becomes null; an implicit-presence proto3 scalar that is absent is its default (0, "").
import protobuf from 'protobufjs';
import { DecodeError } from './decode-error.ts';

/** Decodes the message in bytes[offset..]. */
export type ProtobufDecoder = (bytes: Uint8Array, offset?: number) => Record<string, unknown>;

type Conv = (v: unknown) => unknown;
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

const TWO32 = 4294967296;

function signedLong(v: unknown): number | bigint {
  if (typeof v === 'number') return v;
  const l = v as LongLike;
  const high = l.high | 0;
  if (high >= -0x200000 && high < 0x200000) return high * TWO32 + (l.low >>> 0);
  return (BigInt(high) << 32n) | BigInt(l.low >>> 0);
}

function unsignedLong(v: unknown): number | bigint {
  if (typeof v === 'number') return v;
  const l = v as LongLike;
  const high = l.high >>> 0;
  if (high < 0x200000) return high * TWO32 + (l.low >>> 0);
  if (high >= 0x80000000) throw new DecodeError('invalid-payload', 'uint64 value is larger than the largest Iceberg long');
  return (BigInt(high) << 32n) | BigInt(l.low >>> 0);
}

const identity: Conv = (v) => v;
const copyBytes: Conv = (v) => new Uint8Array(v as Uint8Array);

export const WRAPPERS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};
export const TIMESTAMP = '.google.protobuf.Timestamp';

function scalarConv(type: string): Conv {
  switch (type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return signedLong;
    case 'uint64':
    case 'fixed64':
      return unsignedLong;
    case 'bytes':
      return copyBytes;
    default:
      return identity; // double float int32 uint32 sint32 fixed32 sfixed32 bool string
  }
}

function timestampMicros(v: unknown): bigint {
  const m = v as { seconds: unknown; nanos: number };
  const seconds = signedLong(m.seconds);
  const micros = Math.floor((m.nanos ?? 0) / 1000);
  if (typeof seconds === 'number' && Math.abs(seconds) < 9e9) return BigInt(seconds * 1_000_000 + micros);
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

class ConverterBuilder {
  private readonly messages = new Map<protobuf.Type, (m: Record<string, unknown>) => Record<string, unknown>>();

  valueConv(field: protobuf.Field): Conv {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Enum) {
      const names = rt.valuesById;
      return (v) => names[v as number] ?? String(v);
    }
    if (rt instanceof protobuf.Type) {
      if (rt.fullName === TIMESTAMP) return timestampMicros;
      const wrapped = WRAPPERS[rt.fullName];
      if (wrapped) {
        const inner = scalarConv(wrapped);
        const valueField = rt.fields.value;
        const dflt = valueField.typeDefault;
        return (v) => {
          const m = v as Record<string, unknown>;
          return inner(Object.prototype.hasOwnProperty.call(m, 'value') ? m.value : wrapped === 'bytes' ? new Uint8Array(0) : dflt);
        };
      }
      return this.message(rt) as Conv;
    }
    return scalarConv(field.type);
  }

  message(t: protobuf.Type): (m: Record<string, unknown>) => Record<string, unknown> {
    const existing = this.messages.get(t);
    if (existing) return existing;
    let impl: ((m: Record<string, unknown>) => Record<string, unknown>) | undefined;
    const lazy = (m: Record<string, unknown>): Record<string, unknown> => impl!(m);
    this.messages.set(t, lazy);
    const steps: ((m: Record<string, unknown>, out: Record<string, unknown>) => void)[] = [];
    for (const field of t.fieldsArray) {
      field.resolve();
      const name = field.name;
      if (field instanceof protobuf.MapField) {
        const vconv = this.valueConv(field);
        const kconv = mapKeyConv(field.keyType);
        steps.push((m, out) => {
          const obj = m[name] as Record<string, unknown> | undefined;
          const map = new Map<unknown, unknown>();
          if (obj) for (const k of Object.keys(obj)) map.set(kconv(k), vconv(obj[k]));
          out[name] = map;
        });
      } else if (field.repeated) {
        const conv = this.valueConv(field);
        if (conv === identity)
          steps.push((m, out) => {
            out[name] = (m[name] as unknown[] | undefined) ?? [];
          });
        else
          steps.push((m, out) => {
            out[name] = ((m[name] as unknown[] | undefined) ?? []).map(conv);
          });
      } else {
        const conv = this.valueConv(field);
        const nullable = field.hasPresence || field.resolvedType instanceof protobuf.Type;
        if (nullable) {
          steps.push((m, out) => {
            const v = Object.prototype.hasOwnProperty.call(m, name) ? m[name] : undefined;
            out[name] = v === undefined || v === null ? null : conv(v);
          });
        } else {
          const dflt = field.type === 'bytes' ? undefined : conv(field.typeDefault);
          steps.push((m, out) => {
            const v = Object.prototype.hasOwnProperty.call(m, name) ? m[name] : undefined;
            out[name] = v === undefined || v === null ? (dflt ?? new Uint8Array(0)) : conv(v);
          });
        }
      }
    }
    impl = (m) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < steps.length; i++) steps[i](m, out);
      return out;
    };
    return lazy;
  }
}

function mapKeyConv(keyType: string): (k: string) => unknown {
  switch (keyType) {
    case 'string':
      return (k) => k;
    case 'bool':
      return (k) => k === 'true';
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      // with long.js present (a protobufjs dependency) 64-bit keys are stored as 8-char hashes
      return (k) => (protobuf.util.Long ? signedLong(protobuf.util.longFromHash(k, false)) : Number(k));
    case 'uint64':
    case 'fixed64':
      return (k) => (protobuf.util.Long ? unsignedLong(protobuf.util.longFromHash(k, true)) : Number(k));
    default:
      return (k) => Number(k);
  }
}

/** A decoder for payloads of message type `t`. */
export function compileProtobufDecoder(t: protobuf.Type): ProtobufDecoder {
  const convert = new ConverterBuilder().message(t);
  return function decodeProtobuf(bytes: Uint8Array, offset = 0): Record<string, unknown> {
    let m: protobuf.Message;
    try {
      if (offset === 0) m = t.decode(bytes);
      else {
        const reader = protobuf.Reader.create(bytes);
        reader.pos = offset;
        m = t.decode(reader);
      }
    } catch (e) {
      const msg = (e as Error).message;
      const reason = /index out of range/.test(msg) ? 'truncated' : 'invalid-payload';
      throw new DecodeError(reason, `Protobuf payload does not decode as ${t.fullName.slice(1)}: ${msg}`, { cause: e });
    }
    return convert(m as unknown as Record<string, unknown>);
  };
}
