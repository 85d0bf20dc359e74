// Deterministic sample `events` records (schemas/events.*) for tests, benchmarks and the demo,
// and encoders that write them with the reference libraries (avsc, protobufjs, JSON.stringify):
// floe's decoders must give back exactly `sampleEvent(i)`.
import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import avro from 'avsc';
import protobuf from 'protobufjs';

/** One event in floe's batch representation (what the decoders must return). */
export interface SampleEvent {
  id: string;
  ts: bigint; // micros since epoch
  user_id: number;
  session_id: string;
  event_type: string;
  page_url: string;
  referrer: string | null;
  user_agent: string;
  country: string;
  city: string | null;
  amount: string | null; // decimal(12, 2)
  score: number;
  is_mobile: boolean;
  event_date: number; // days since epoch
  tags: string[];
  properties: Map<string, string>;
}

export const EVENT_TYPES = ['PAGE_VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE', 'SIGNUP', 'LOGOUT'];
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'NG', 'AU'];
const CITIES = ['Berlin', 'Paris', 'New York', 'Tokyo', 'São Paulo', 'Mumbai', 'Lagos', 'Sydney'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const PAGES = ['/', '/products', '/products/42', '/cart', '/checkout', '/account/settings', '/search?q=boots'];
const TAGS = ['new', 'promo', 'returning', 'mobile', 'ab-test-7', 'newsletter'];

const BASE_MICROS = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleEvent(i: number): SampleEvent {
  const r = rng(i * 2654435761 + 17);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  const ts = BASE_MICROS + BigInt(i) * 1_234_567n + BigInt(Math.floor(r() * 1000));
  const eventType = pick(EVENT_TYPES);
  const cents = Math.floor(r() * 2_000_000) - 1000;
  const tags = TAGS.filter(() => r() < 0.3);
  const properties = new Map<string, string>([['campaign', `spring-${Math.floor(r() * 10)}`]]);
  if (r() < 0.5) properties.set('variant', pick(['A', 'B']));
  return {
    id: `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
    ts,
    user_id: Math.floor(r() * 10_000_000),
    session_id: `s-${hex(16)}`,
    event_type: eventType,
    page_url: `https://shop.example.com${pick(PAGES)}`,
    referrer: r() < 0.4 ? null : 'https://www.example.org/ref',
    user_agent: pick(AGENTS),
    country: pick(COUNTRIES),
    city: r() < 0.2 ? null : pick(CITIES),
    amount: eventType === 'PURCHASE' || eventType === 'ADD_TO_CART' ? centsToString(cents) : null,
    score: Math.round(r() * 1e6) / 1e3,
    is_mobile: r() < 0.5,
    event_date: Number(ts / 86_400_000_000n),
    tags,
    properties,
  };
}

function centsToString(cents: number): string {
  const neg = cents < 0;
  const s = String(Math.abs(cents)).padStart(3, '0');
  return `${neg ? '-' : ''}${s.slice(0, -2)}.${s.slice(-2)}`;
}

const here = new URL('.', import.meta.url);
export const EVENTS_AVRO_SCHEMA = readFileSync(new URL('events.avsc', here), 'utf8');
export const EVENTS_PROTO_SCHEMA = readFileSync(new URL('events.proto', here), 'utf8');
export const EVENTS_JSON_SCHEMA = readFileSync(new URL('events.schema.json', here), 'utf8');

/** Decimal string → big-endian two's complement of the unscaled value (minimal length). */
export function decimalToBytes(s: string, scale: number): Buffer {
  const [ip, fp = ''] = s.split('.');
  let v = BigInt(ip.replace('-', '') + fp.padEnd(scale, '0'));
  if (s.startsWith('-')) v = -v;
  let len = 1;
  while (v < -(1n << BigInt(8 * len - 1)) || v >= 1n << BigInt(8 * len - 1)) len++;
  const out = Buffer.alloc(len);
  let u = BigInt.asUintN(8 * len, v);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

let avroType: avro.Type | undefined;
/** Encodes with avsc (logical types written as their underlying types). */
export function encodeEventAvro(e: SampleEvent): Buffer {
  avroType ??= avro.Type.forSchema(JSON.parse(EVENTS_AVRO_SCHEMA));
  return avroType.toBuffer({
    ...e,
    ts: Number(e.ts),
    amount: e.amount === null ? null : decimalToBytes(e.amount, 2),
    properties: Object.fromEntries(e.properties),
  });
}

let protoType: protobuf.Type | undefined;
export function eventProtoType(): protobuf.Type {
  if (!protoType) {
    const root = new protobuf.Root();
    root.addJSON((protobuf.common.get('google/protobuf/timestamp.proto') as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
    protobuf.parse(EVENTS_PROTO_SCHEMA, root, { keepCase: true });
    root.resolveAll();
    protoType = root.lookupType('floe.demo.Event');
  }
  return protoType;
}

export function encodeEventProtobuf(e: SampleEvent): Uint8Array {
  const t = eventProtoType();
  const msg = t.fromObject({
    ...e,
    ts: { seconds: Number(e.ts / 1_000_000n), nanos: Number(e.ts % 1_000_000n) * 1000 },
    referrer: e.referrer ?? undefined,
    city: e.city ?? undefined,
    amount: e.amount ?? undefined,
    properties: Object.fromEntries(e.properties),
  });
  return t.encode(msg).finish();
}

/** RFC 3339 with microseconds: 2026-01-01T00:00:01.234567Z. */
export function microsToIso(micros: bigint): string {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return iso.slice(0, -1) + String(micros % 1000n).padStart(3, '0') + 'Z';
}

export function eventToJson(e: SampleEvent): string {
  return JSON.stringify({
    ...e,
    ts: microsToIso(e.ts),
    amount: e.amount === null ? null : Number(e.amount),
    event_date: new Date(e.event_date * 86_400_000).toISOString().slice(0, 10),
    properties: Object.fromEntries(e.properties),
  });
}
