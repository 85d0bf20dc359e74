// Sample events for the demo: a 15-column clickstream record, deterministic for a seed.
import type { Schema } from '../iceberg/types.ts';

export const DEMO_EVENTS_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'event_id', required: true, type: 'uuid' },
    { id: 2, name: 'ts', required: true, type: 'timestamptz' },
    { id: 3, name: 'user_id', required: true, type: 'long' },
    { id: 4, name: 'session_id', required: false, type: 'string' },
    { id: 5, name: 'event_type', required: true, type: 'string' },
    { id: 6, name: 'page', required: false, type: 'string' },
    { id: 7, name: 'referrer', required: false, type: 'string' },
    { id: 8, name: 'country', required: false, type: 'string' },
    { id: 9, name: 'device', required: false, type: 'string' },
    { id: 10, name: 'price', required: false, type: 'decimal(10, 2)' },
    { id: 11, name: 'quantity', required: false, type: 'int' },
    { id: 12, name: 'duration_ms', required: false, type: 'double' },
    { id: 13, name: 'is_mobile', required: false, type: 'boolean' },
    { id: 14, name: 'tags', required: false, type: { type: 'list', 'element-id': 16, element: 'string', 'element-required': false } },
    { id: 15, name: 'properties', required: false, type: { type: 'map', 'key-id': 17, key: 'string', 'value-id': 18, value: 'string', 'value-required': false } },
  ],
};

const TYPES = ['page_view', 'click', 'add_to_cart', 'purchase', 'search'];
const COUNTRIES = ['DE', 'FR', 'US', 'BR', 'JP', 'IN', 'NG', 'GB'];
const DEVICES = ['ios', 'android', 'web', 'tablet'];

/** A small deterministic PRNG (mulberry32), so runs are repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  h[12] = '4';
  h[16] = ((parseInt(h[16], 16) & 3) | 8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export function demoEvents(count: number, seed = 1, startMs = Date.UTC(2026, 10, 20)): Record<string, unknown>[] {
  const rand = prng(seed);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[Math.floor(rand() * TYPES.length)];
    const purchase = type === 'purchase';
    out.push({
      event_id: uuidFrom(rand),
      ts: BigInt(startMs + Math.floor(rand() * 2 * 86_400_000)) * 1000n,
      user_id: BigInt(1 + Math.floor(rand() * 100_000)),
      session_id: `s-${Math.floor(rand() * 1e9).toString(36)}`,
      event_type: type,
      page: `/products/${Math.floor(rand() * 5000)}`,
      referrer: rand() < 0.3 ? null : `https://search.example/q?${Math.floor(rand() * 1e6)}`,
      country: COUNTRIES[Math.floor(rand() * COUNTRIES.length)],
      device: DEVICES[Math.floor(rand() * DEVICES.length)],
      price: purchase ? (Math.floor(rand() * 100_000) / 100).toFixed(2) : null,
      quantity: purchase ? 1 + Math.floor(rand() * 5) : null,
      duration_ms: Math.round(rand() * 60_000 * 1000) / 1000,
      is_mobile: rand() < 0.6,
      tags: rand() < 0.5 ? ['promo', `cohort-${Math.floor(rand() * 10)}`] : [],
      properties: { ab: rand() < 0.5 ? 'A' : 'B', v: String(Math.floor(rand() * 3)) },
    });
  }
  return out;
}
