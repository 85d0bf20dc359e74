// Avro binary encoding and schemas (Avro 1.11 spec), our own, for Iceberg's manifests.
//
// Why not avsc: given a Type it drops Iceberg's custom attributes ("field-id", "element-id",
// ...) from the schema it writes into file headers, and its longs are doubles unless a custom
// BigInt type is registered. Iceberg needs both, so the header schema here is always the JSON
// the caller gave, untouched, and longs are exact.
//
// Value mapping (decode → JS; encode accepts the same, plus the noted alternatives):
//   null → null            boolean → boolean        int → number (int32)
//   long → bigint by default (exact; snapshot ids are 63-bit); with { longs: 'number-if-safe' }
//          a number when |v| <= 2^53 - 1, else bigint. Encoding accepts bigint or a
//          safe-integer number.
//   float, double → number  bytes → Uint8Array (a copy; from readAvroFile, a view into the
//          file's private decompressed block)   string → string
//   fixed → Uint8Array (exactly `size` bytes)   enum → the symbol string
//   array → JS array        map → Map<string, T> (encoding also accepts a plain object)
//   array with "logicalType": "map" of 2-field records (Iceberg's non-string-key maps) →
//          Map(first field → second field); encoding accepts that Map or an array of records
//   record → plain object keyed by field name
//   union → the value of the branch, unwrapped. Encoding picks the first branch whose kind
//          matches the JS value; ["null", T] (the only union Iceberg uses) is the fast case.
//
// Logical types and custom attributes are kept on the parsed node (`props`) but do not change
// the JS value: a date is an int, a decimal is fixed/bytes. Iceberg-level meaning is applied by
// the callers (manifest.ts), which look fields up by "field-id" (see fieldsById).
//
// Decoding uses the writer's schema only (no Avro schema resolution against a reader schema):
// Iceberg readers project by field id instead, which callers do on the decoded records.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8');

// ---------------------------------------------------------------------------------------------
// Schemas

/** An Avro schema in its JSON form: a type name, a union array, or an object. */
export type AvroSchema = string | AvroSchema[] | { type: AvroSchema; [attr: string]: unknown };

export type AvroPrimitiveKind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface AvroField {
  name: string;
  type: AvroNode;
  /** The field's JSON object as written ("field-id", "default", "doc", ...). */
  props: Record<string, unknown>;
  /** props["field-id"] when it is an integer. */
  fieldId?: number;
}

interface NodeBase {
  /** The schema object's attributes as written (logicalType, element-id, ...); {} for a bare name. */
  props: Record<string, unknown>;
}
export interface AvroPrimitiveNode extends NodeBase {
  kind: AvroPrimitiveKind;
}
export interface AvroFixedNode extends NodeBase {
  kind: 'fixed';
  name: string;
  size: number;
}
export interface AvroEnumNode extends NodeBase {
  kind: 'enum';
  name: string;
  symbols: string[];
}
export interface AvroArrayNode extends NodeBase {
  kind: 'array';
  items: AvroNode;
}
export interface AvroMapNode extends NodeBase {
  kind: 'map';
  values: AvroNode;
}
export interface AvroRecordNode extends NodeBase {
  kind: 'record';
  name: string;
  fields: AvroField[];
}
export interface AvroUnionNode extends NodeBase {
  kind: 'union';
  branches: AvroNode[];
}

export type AvroNode = AvroPrimitiveNode | AvroFixedNode | AvroEnumNode | AvroArrayNode | AvroMapNode | AvroRecordNode | AvroUnionNode;

const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Parse an Avro schema (JSON text or value) into a tree of nodes; named references are resolved. */
export function parseSchema(schema: AvroSchema | string): AvroNode {
  let json: AvroSchema = schema;
  if (typeof schema === 'string' && /^\s*[[{"]/.test(schema)) json = JSON.parse(schema) as AvroSchema;
  const named = new Map<string, AvroNode>();
  return parseNode(json, '', named);
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

function namespaceOf(fullname: string): string {
  const i = fullname.lastIndexOf('.');
  return i < 0 ? '' : fullname.slice(0, i);
}

function define(named: Map<string, AvroNode>, name: string, node: AvroNode): void {
  if (named.has(name)) throw new Error(`Avro schema defines "${name}" twice`);
  named.set(name, node);
}

function parseNode(s: AvroSchema, ns: string, named: Map<string, AvroNode>): AvroNode {
  if (typeof s === 'string') {
    if (PRIMITIVES.has(s)) return { kind: s as AvroPrimitiveKind, props: {} };
    const ref = named.get(fullName(s, ns)) ?? named.get(s);
    if (!ref) throw new Error(`Avro schema references unknown type "${s}"`);
    return ref;
  }
  if (Array.isArray(s)) {
    const branches = s.map((b) => parseNode(b, ns, named));
    if (branches.some((b) => b.kind === 'union')) throw new Error('Avro unions may not contain unions');
    return { kind: 'union', branches, props: {} };
  }
  if (s === null || typeof s !== 'object') throw new Error(`invalid Avro schema: ${JSON.stringify(s)}`);
  const props = s as Record<string, unknown>;
  const type = s.type;
  if (typeof type !== 'string') {
    // {"type": {...}} or {"type": [...]}: the attributes of the wrapper are dropped (spec allows it)
    return parseNode(type, ns, named);
  }
  switch (type) {
    case 'null':
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'bytes':
    case 'string':
      return { kind: type, props };
    case 'fixed': {
      const name = fullName(String(props.name), typeof props.namespace === 'string' ? props.namespace : ns);
      const size = Number(props.size);
      if (!Number.isInteger(size) || size < 0) throw new Error(`Avro fixed "${name}" has invalid size`);
      const node: AvroFixedNode = { kind: 'fixed', name, size, props };
      define(named, name, node);
      return node;
    }
    case 'enum': {
      const name = fullName(String(props.name), typeof props.namespace === 'string' ? props.namespace : ns);
      const symbols = props.symbols;
      if (!Array.isArray(symbols)) throw new Error(`Avro enum "${name}" has no symbols`);
      const node: AvroEnumNode = { kind: 'enum', name, symbols: symbols.map(String), props };
      define(named, name, node);
      return node;
    }
    case 'array':
      return { kind: 'array', items: parseNode(props.items as AvroSchema, ns, named), props };
    case 'map':
      return { kind: 'map', values: parseNode(props.values as AvroSchema, ns, named), props };
    case 'record':
    case 'error': {
      const name = fullName(String(props.name), typeof props.namespace === 'string' ? props.namespace : ns);
      const node: AvroRecordNode = { kind: 'record', name, fields: [], props };
      define(named, name, node); // before the fields: records may refer to themselves
      const inner = namespaceOf(name);
      const fields = props.fields;
      if (!Array.isArray(fields)) throw new Error(`Avro record "${name}" has no fields array`);
      for (const f of fields as Record<string, unknown>[]) {
        const fid = f['field-id'];
        node.fields.push({
          name: String(f.name),
          type: parseNode(f.type as AvroSchema, inner, named),
          props: f,
          fieldId: typeof fid === 'number' && Number.isInteger(fid) ? fid : undefined,
        });
      }
      return node;
    }
    default: {
      const ref = named.get(fullName(type, ns)) ?? named.get(type);
      if (!ref) throw new Error(`Avro schema references unknown type "${type}"`);
      return ref;
    }
  }
}

/** The non-null branch of ["null", T] (or [T, "null"]); the node itself otherwise. */
export function unwrapOptional(node: AvroNode): AvroNode {
  if (node.kind !== 'union') return node;
  const rest = node.branches.filter((b) => b.kind !== 'null');
  return rest.length === 1 ? rest[0] : node;
}

/** True for a union with a null branch. */
export function isOptional(node: AvroNode): boolean {
  return node.kind === 'union' && node.branches.some((b) => b.kind === 'null');
}

/** A record's fields indexed by their "field-id" attribute. */
export function fieldsById(record: AvroRecordNode): Map<number, AvroField> {
  const out = new Map<number, AvroField>();
  for (const f of record.fields) if (f.fieldId !== undefined) out.set(f.fieldId, f);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Binary writer: one growing buffer

const TWO_52 = 2 ** 52;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export class AvroWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initialSize = 4096) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  writeNull(): void {}

  writeBoolean(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** zig-zag varint of a 32-bit signed integer. */
  writeInt(v: number): void {
    this.ensure(5);
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    const buf = this.buf;
    while (z > 0x7f) {
      buf[this.pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[this.pos++] = z;
  }

  /** zig-zag varint of a 64-bit signed integer given as bigint or safe-integer number. */
  writeLong(v: number | bigint): void {
    if (typeof v === 'number') {
      if ((v | 0) === v) return this.writeInt(v);
      if (Number.isInteger(v) && Math.abs(v) < TWO_52) {
        this.ensure(10);
        let z = v >= 0 ? v * 2 : -v * 2 - 1; // exact below 2^53
        const buf = this.buf;
        while (z >= 128) {
          buf[this.pos++] = (z % 128) | 0x80;
          z = Math.floor(z / 128);
        }
        buf[this.pos++] = z;
        return;
      }
      if (!Number.isSafeInteger(v)) throw new RangeError(`Avro long: ${v} is not a safe integer (use a bigint)`);
      v = BigInt(v);
    } else if (typeof v !== 'bigint') {
      throw new TypeError(`Avro long: expected bigint or number, got ${typeof v}`);
    }
    if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`Avro long: ${v} is outside int64`);
    if (v >= -0x40000000n && v < 0x40000000n) return this.writeInt(Number(v));
    this.ensure(10);
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const buf = this.buf;
    while (z > 0x7fn) {
      buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    buf[this.pos++] = Number(z);
  }

  writeFloat(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  writeDouble(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  writeFixed(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    if (n < 32) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i];
    } else {
      this.buf.set(b, this.pos);
    }
    this.pos += n;
  }

  writeBytes(b: Uint8Array): void {
    this.writeLong(b.length);
    this.writeFixed(b);
  }

  writeString(s: string): void {
    const len = s.length;
    if (len < 64) {
      // short strings: ASCII fast path, one length byte (< 64 chars → ≤ 192 bytes; 1 byte holds ≤ 63)
      this.ensure(len * 3 + 2);
      const buf = this.buf;
      const start = this.pos;
      let ascii = true;
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        buf[start + 1 + i] = c;
      }
      if (ascii) {
        buf[start] = len << 1;
        this.pos = start + 1 + len;
        return;
      }
    }
    const maxBytes = len * 3;
    const reserve = varintSize(maxBytes * 2);
    this.ensure(reserve + maxBytes + 10); // + room for writeLong's own ensure: no reallocation below
    const start = this.pos;
    const { written } = textEncoder.encodeInto(s, this.buf.subarray(start + reserve));
    const lenSize = varintSize(written * 2);
    if (lenSize < reserve) this.buf.copyWithin(start + lenSize, start + reserve, start + reserve + written);
    this.writeLong(written);
    this.pos = start + lenSize + written;
  }
}

function varintSize(z: number): number {
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Binary reader

export class AvroReader {
  buf: Uint8Array;
  view: DataView;
  pos: number;
  end: number;
  /**
   * bytes/fixed values are copies (default). Set false only when `buf` is private to the reader
   * (readAvroFile does this for its decompressed blocks): values are then views into it.
   */
  copyBytes = true;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    // a plain Uint8Array view, so that slice() copies (Buffer#slice would share memory)
    this.buf = Object.getPrototypeOf(buf) === Uint8Array.prototype ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError(`Avro data truncated at byte ${this.pos} (need ${n} more)`);
  }

  readBoolean(): boolean {
    this.need(1);
    return this.buf[this.pos++] !== 0;
  }

  readInt(): number {
    const buf = this.buf;
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      if (this.pos >= this.end) throw new RangeError('Avro int truncated');
      if (shift > 28) throw new RangeError('Avro int is longer than 5 bytes');
      b = buf[this.pos++];
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return (v >>> 1) ^ -(v & 1);
  }

  /** A long as a number; throws if it is outside the safe-integer range. For counts and lengths. */
  readLongNumber(): number {
    const v = this.readLongRaw();
    if (typeof v === 'bigint') throw new RangeError(`Avro long ${v} is too large here`);
    return v;
  }

  /** A long as bigint (always). */
  readLong(): bigint {
    const v = this.readLongRaw();
    return typeof v === 'bigint' ? v : BigInt(v);
  }

  /** A long: number when it is a safe integer, else bigint. */
  readLongSafe(): number | bigint {
    const v = this.readLongRaw();
    if (typeof v === 'number') return v;
    return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
  }

  /** A long: number when it fits in 49 bits of zig-zag (|v| < 2^48), else bigint. */
  readLongRaw(): number | bigint {
    const buf = this.buf;
    const start = this.pos;
    let z = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new RangeError('Avro long truncated');
      const b = buf[this.pos++];
      z += (b & 0x7f) * mul;
      if (b < 0x80) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      mul *= 128;
    }
    // more than 7 bytes: redo exactly with bigint
    this.pos = start;
    let zb = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('Avro long truncated');
      const b = buf[this.pos++];
      zb |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        zb = BigInt.asUintN(64, zb);
        return (zb >> 1n) ^ -(zb & 1n);
      }
      shift += 7n;
    }
    throw new RangeError('Avro long is longer than 10 bytes');
  }

  readFloat(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  readDouble(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  readFixed(n: number): Uint8Array {
    this.need(n);
    const start = this.pos;
    this.pos += n;
    return this.copyBytes ? this.buf.slice(start, start + n) : this.buf.subarray(start, start + n);
  }

  readBytes(): Uint8Array {
    const n = this.readLongNumber();
    if (n < 0) throw new RangeError(`Avro bytes with negative length ${n}`);
    return this.readFixed(n);
  }

  readString(): string {
    const n = this.readLongNumber();
    if (n < 0) throw new RangeError(`Avro string with negative length ${n}`);
    this.need(n);
    const buf = this.buf;
    const start = this.pos;
    this.pos += n;
    if (n < 32) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = buf[i];
        if (c > 0x7f) return textDecoder.decode(buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(buf.subarray(start, start + n));
  }
}

// ---------------------------------------------------------------------------------------------
// Compiled encoders and decoders

export type Encoder = (w: AvroWriter, v: unknown) => void;
export type Decoder = (r: AvroReader) => unknown;

/**
 * How longs decode: "bigint" (default: always bigint) or "number-if-safe" (a number when
 * |v| <= 2^53 - 1, else a bigint; faster, for callers that convert per field anyway).
 */
export type LongMode = 'bigint' | 'number-if-safe';
export interface DecodeOptions {
  longs?: LongMode;
}

const encoderCache = new WeakMap<AvroNode, Encoder>();
const decoderCaches: Record<LongMode, WeakMap<AvroNode, Decoder>> = { bigint: new WeakMap(), 'number-if-safe': new WeakMap() };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Does a JS value belong to this branch of a union (used to pick a branch when encoding)? */
function matches(node: AvroNode, v: unknown): boolean {
  switch (node.kind) {
    case 'null':
      return v === null || v === undefined;
    case 'boolean':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && (v | 0) === v;
    case 'long':
      return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
    case 'float':
    case 'double':
      return typeof v === 'number';
    case 'bytes':
      return v instanceof Uint8Array;
    case 'fixed':
      return v instanceof Uint8Array && v.length === node.size;
    case 'string':
      return typeof v === 'string';
    case 'enum':
      return typeof v === 'string' && node.symbols.includes(v);
    case 'array':
      return Array.isArray(v);
    case 'map':
      return v instanceof Map || (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array));
    case 'record':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);
    case 'union':
      return false;
  }
}

const FIELD_PATH = Symbol('avroFieldPath');

/** Prefix an encoding error's message with the dotted path of record fields it happened in. */
function withFieldPath(e: unknown, field: string): unknown {
  if (!(e instanceof Error)) return e;
  const tagged = e as Error & { [FIELD_PATH]?: { path: string[]; detail: string } };
  const info = (tagged[FIELD_PATH] ??= { path: [], detail: e.message });
  info.path.unshift(field);
  e.message = `${info.path.join('.')}: ${info.detail}`;
  return e;
}

export function compileEncoder(node: AvroNode): Encoder {
  const cached = encoderCache.get(node);
  if (cached) return cached;
  let fn: Encoder;
  switch (node.kind) {
    case 'null':
      fn = (_w, v) => {
        if (v !== null && v !== undefined) throw new TypeError(`Avro null: got ${describe(v)}`);
      };
      break;
    case 'boolean':
      fn = (w, v) => {
        if (typeof v !== 'boolean') throw new TypeError(`Avro boolean: got ${describe(v)}`);
        w.writeBoolean(v);
      };
      break;
    case 'int':
      fn = (w, v) => {
        if (typeof v !== 'number' || (v | 0) !== v) throw new TypeError(`Avro int: got ${describe(v)} ${String(v)}`);
        w.writeInt(v);
      };
      break;
    case 'long':
      fn = (w, v) => w.writeLong(v as number | bigint);
      break;
    case 'float':
      fn = (w, v) => {
        if (typeof v !== 'number') throw new TypeError(`Avro float: got ${describe(v)}`);
        w.writeFloat(v);
      };
      break;
    case 'double':
      fn = (w, v) => {
        if (typeof v !== 'number') throw new TypeError(`Avro double: got ${describe(v)}`);
        w.writeDouble(v);
      };
      break;
    case 'bytes':
      fn = (w, v) => {
        if (!(v instanceof Uint8Array)) throw new TypeError(`Avro bytes: got ${describe(v)}`);
        w.writeBytes(v);
      };
      break;
    case 'string':
      fn = (w, v) => {
        if (typeof v !== 'string') throw new TypeError(`Avro string: got ${describe(v)}`);
        w.writeString(v);
      };
      break;
    case 'fixed': {
      const size = node.size;
      const name = node.name;
      fn = (w, v) => {
        if (!(v instanceof Uint8Array) || v.length !== size) throw new TypeError(`Avro fixed ${name}(${size}): got ${describe(v)}`);
        w.writeFixed(v);
      };
      break;
    }
    case 'enum': {
      const index = new Map(node.symbols.map((s, i) => [s, i]));
      const name = node.name;
      fn = (w, v) => {
        const i = index.get(v as string);
        if (i === undefined) throw new TypeError(`Avro enum ${name}: unknown symbol ${String(v)}`);
        w.writeInt(i);
      };
      break;
    }
    case 'array': {
      let items: Encoder | undefined;
      const itemNode = node.items;
      const pairs = node.props.logicalType === 'map' && itemNode.kind === 'record' && itemNode.fields.length === 2 ? itemNode : undefined;
      let keyEnc: Encoder | undefined;
      let valueEnc: Encoder | undefined;
      fn = (w, v) => {
        if (pairs && v instanceof Map) {
          // Iceberg's map-as-array: a JS Map encodes as its [key, value] records
          keyEnc ??= compileEncoder(pairs.fields[0].type);
          valueEnc ??= compileEncoder(pairs.fields[1].type);
          if (v.size > 0) {
            w.writeLong(v.size);
            for (const [k, x] of v) {
              keyEnc(w, k);
              valueEnc(w, x);
            }
          }
          w.writeInt(0);
          return;
        }
        if (!Array.isArray(v)) throw new TypeError(`Avro array: got ${describe(v)}`);
        items ??= compileEncoder(itemNode);
        if (v.length > 0) {
          w.writeLong(v.length);
          for (let i = 0; i < v.length; i++) items(w, v[i]);
        }
        w.writeInt(0);
      };
      break;
    }
    case 'map': {
      let values: Encoder | undefined;
      const valueNode = node.values;
      fn = (w, v) => {
        values ??= compileEncoder(valueNode);
        const entries: [unknown, unknown][] =
          v instanceof Map
            ? [...v.entries()]
            : typeof v === 'object' && v !== null
              ? Object.entries(v)
              : (() => {
                  throw new TypeError(`Avro map: got ${describe(v)}`);
                })();
        if (entries.length > 0) {
          w.writeLong(entries.length);
          for (const [k, x] of entries) {
            if (typeof k !== 'string') throw new TypeError(`Avro map keys are strings, got ${describe(k)}`);
            w.writeString(k);
            values(w, x);
          }
        }
        w.writeInt(0);
      };
      break;
    }
    case 'record': {
      const rec = node;
      let names: string[] | undefined;
      let encs: Encoder[] | undefined;
      fn = (w, v) => {
        if (typeof v !== 'object' || v === null) throw new TypeError(`Avro record ${rec.name}: got ${describe(v)}`);
        if (!encs) {
          names = rec.fields.map((f) => f.name);
          encs = rec.fields.map((f) => compileEncoder(f.type));
        }
        const o = v as Record<string, unknown>;
        for (let i = 0; i < encs.length; i++) {
          try {
            encs[i](w, o[names![i]]);
          } catch (e) {
            throw withFieldPath(e, names![i]);
          }
        }
      };
      break;
    }
    case 'union': {
      const branches = node.branches;
      const nullIndex = branches.findIndex((b) => b.kind === 'null');
      if (branches.length === 2 && nullIndex >= 0) {
        const other = 1 - nullIndex;
        let enc: Encoder | undefined;
        fn = (w, v) => {
          if (v === null || v === undefined) {
            w.writeInt(nullIndex);
          } else {
            enc ??= compileEncoder(branches[other]);
            w.writeInt(other);
            enc(w, v);
          }
        };
      } else {
        const encs: (Encoder | undefined)[] = [];
        fn = (w, v) => {
          const i = branches.findIndex((b) => matches(b, v));
          if (i < 0) throw new TypeError(`Avro union: no branch for ${describe(v)}`);
          w.writeInt(i);
          (encs[i] ??= compileEncoder(branches[i]))(w, v);
        };
      }
      break;
    }
  }
  encoderCache.set(node, fn);
  return fn;
}

export function compileDecoder(node: AvroNode, options: DecodeOptions = {}): Decoder {
  const longs = options.longs ?? 'bigint';
  const cache = decoderCaches[longs];
  const cached = cache.get(node);
  if (cached) return cached;
  let fn: Decoder;
  switch (node.kind) {
    case 'null':
      fn = () => null;
      break;
    case 'boolean':
      fn = (r) => r.readBoolean();
      break;
    case 'int':
      fn = (r) => r.readInt();
      break;
    case 'long':
      fn = longs === 'bigint' ? (r) => r.readLong() : (r) => r.readLongSafe();
      break;
    case 'float':
      fn = (r) => r.readFloat();
      break;
    case 'double':
      fn = (r) => r.readDouble();
      break;
    case 'bytes':
      fn = (r) => r.readBytes();
      break;
    case 'string':
      fn = (r) => r.readString();
      break;
    case 'fixed': {
      const size = node.size;
      fn = (r) => r.readFixed(size);
      break;
    }
    case 'enum': {
      const symbols = node.symbols;
      const name = node.name;
      fn = (r) => {
        const i = r.readInt();
        if (i < 0 || i >= symbols.length) throw new RangeError(`Avro enum ${name}: index ${i} out of range`);
        return symbols[i];
      };
      break;
    }
    case 'array': {
      let items: Decoder | undefined;
      const itemNode = node.items;
      const pairs = node.props.logicalType === 'map' && itemNode.kind === 'record' && itemNode.fields.length === 2 ? itemNode : undefined;
      if (pairs) {
        // Iceberg's map-as-array decodes straight to a JS Map (no per-pair record objects)
        let keyDec: Decoder | undefined;
        let valueDec: Decoder | undefined;
        fn = (r) => {
          keyDec ??= compileDecoder(pairs.fields[0].type, options);
          valueDec ??= compileDecoder(pairs.fields[1].type, options);
          const out = new Map<unknown, unknown>();
          for (;;) {
            let n = r.readLongNumber();
            if (n === 0) return out;
            if (n < 0) {
              n = -n;
              r.readLongNumber();
            }
            for (let i = 0; i < n; i++) {
              const k = keyDec(r);
              out.set(k, valueDec(r));
            }
          }
        };
        break;
      }
      fn = (r) => {
        items ??= compileDecoder(itemNode, options);
        const out: unknown[] = [];
        for (;;) {
          let n = r.readLongNumber();
          if (n === 0) return out;
          if (n < 0) {
            n = -n;
            r.readLongNumber(); // block size in bytes
          }
          for (let i = 0; i < n; i++) out.push(items(r));
        }
      };
      break;
    }
    case 'map': {
      let values: Decoder | undefined;
      const valueNode = node.values;
      fn = (r) => {
        values ??= compileDecoder(valueNode, options);
        const out = new Map<string, unknown>();
        for (;;) {
          let n = r.readLongNumber();
          if (n === 0) return out;
          if (n < 0) {
            n = -n;
            r.readLongNumber();
          }
          for (let i = 0; i < n; i++) {
            const k = r.readString();
            out.set(k, values(r));
          }
        }
      };
      break;
    }
    case 'record': {
      const rec = node;
      let names: string[] | undefined;
      let decs: Decoder[] | undefined;
      fn = (r) => {
        if (!decs) {
          names = rec.fields.map((f) => f.name);
          decs = rec.fields.map((f) => compileDecoder(f.type, options));
        }
        const o: Record<string, unknown> = {};
        for (let i = 0; i < decs.length; i++) o[names![i]] = decs[i](r);
        return o;
      };
      break;
    }
    case 'union': {
      const branches = node.branches;
      const decs: (Decoder | undefined)[] = [];
      fn = (r) => {
        const i = r.readInt();
        if (i < 0 || i >= branches.length) throw new RangeError(`Avro union index ${i} out of range`);
        return (decs[i] ??= compileDecoder(branches[i], options))(r);
      };
      break;
    }
  }
  cache.set(node, fn);
  return fn;
}

/** Encode one value (the schema's binary encoding, no container). */
export function encodeValue(node: AvroNode, value: unknown): Uint8Array {
  const w = new AvroWriter(256);
  compileEncoder(node)(w, value);
  return w.toBytes();
}

/** Decode one value; throws if bytes are left over. */
export function decodeValue(node: AvroNode, bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  const r = new AvroReader(bytes);
  const v = compileDecoder(node, options)(r);
  if (r.pos !== bytes.length) throw new RangeError(`${bytes.length - r.pos} bytes left after the Avro value`);
  return v;
}
