// Benchmark payloads: the 15-field sample event (schemas/events-sample.ts) as Confluent-framed
// Avro (~283 B) and as plain JSON (~515 B). A pool of distinct events is encoded once; record i
// is pool[i % size] with the last 12 hex digits of its uuid `id` replaced by i, so every record
// of a topic has its own id while producing stays cheap (millions per run). With `tenants` (JSON
// only), each event also carries `"tenant": "tNN"`, NN = i % tenants: a field to route by.
import { Buffer } from 'node:buffer';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import { encodeEventAvro, eventToJson, sampleEvent } from '../../schemas/events-sample.ts';

export type PayloadFormat = 'avro' | 'json';

export class EventPayloads {
  readonly #pool: Buffer[];
  /** byte offset of the uuid's last 12 hex digits in every pooled payload */
  readonly #idTail: number;

  /** `schemaId` is the registry id written in the Confluent frame (Avro only). */
  constructor(format: PayloadFormat, schemaId = 0, poolSize = 20_000, options: { tenants?: number } = {}) {
    const tenants = options.tenants;
    if (tenants !== undefined && (format !== 'json' || poolSize % tenants !== 0)) throw new Error(`bench payloads: tenants only for JSON, dividing the pool size ${poolSize}`);
    this.#pool = new Array(poolSize);
    for (let i = 0; i < poolSize; i++) {
      const e = sampleEvent(i);
      if (format === 'avro') this.#pool[i] = Buffer.from(encodeFrame(schemaId, encodeEventAvro(e)));
      else {
        const json = eventToJson(e);
        const tenant = tenants === undefined ? '' : `,"tenant":"t${String(i % tenants).padStart(2, '0')}"`;
        this.#pool[i] = Buffer.from(`${json.slice(0, -1)}${tenant}}`, 'utf8');
      }
    }
    // Avro: 5-byte frame header, 1-byte length (36), then the uuid; JSON: `{"id":"` then the uuid
    const idStart = format === 'avro' ? 6 : 7;
    this.#idTail = idStart + 24;
    const probe = this.#pool[0].subarray(idStart, idStart + 36).toString('latin1');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(probe)) {
      throw new Error(`bench payloads: no uuid at byte ${idStart} of the ${format} event (got "${probe}"): did schemas/events.avsc change?`);
    }
  }

  /** A fresh buffer: the i-th record's payload. */
  payload(i: number): Buffer {
    const src = this.#pool[i % this.#pool.length];
    const out = Buffer.allocUnsafe(src.length);
    src.copy(out);
    out.write((i % 0x1000000000000).toString(16).padStart(12, '0'), this.#idTail, 12, 'latin1');
    return out;
  }

  /** Mean payload size in bytes over the pool. */
  averageBytes(): number {
    let n = 0;
    for (const b of this.#pool) n += b.length;
    return n / this.#pool.length;
  }
}
