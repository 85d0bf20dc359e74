// Decode rate (records/s, one core) of the `events` record (schemas/events.*) in every format,
// through the full path: Confluent frame → cached decoder → value in floe's batch representation.
// For the Avro library choice it also measures avsc on the same payloads (raw, and with the
// conversions floe needs). Last line: one JSON object with all numbers.
//   node bench/decode.bench.ts [seconds per case, default 3]
import avro from 'avsc';
import { ConfluentDecoder, decodePlainJson } from '../src/decode/record-decoder.ts';
import type { ResolvedSchema, SchemaLookup } from '../src/decode/schema-registry.ts';
import { encodeFrame } from '../src/decode/wire-format.ts';
import { formatDecimal, twosComplementToInteger } from '../src/decode/values.ts';
import { EVENTS_AVRO_SCHEMA, EVENTS_JSON_SCHEMA, EVENTS_PROTO_SCHEMA, encodeEventAvro, encodeEventProtobuf, eventToJson, sampleEvent } from '../schemas/events-sample.ts';

const seconds = Number(process.argv[2] ?? 3);
const N = 20_000;

const schemas: Record<number, Omit<ResolvedSchema, 'id'>> = {
  1: { schema: EVENTS_AVRO_SCHEMA, schemaType: 'AVRO', references: [], dependencies: [] },
  2: { schema: EVENTS_PROTO_SCHEMA, schemaType: 'PROTOBUF', references: [], dependencies: [] },
  3: { schema: EVENTS_JSON_SCHEMA, schemaType: 'JSON', references: [], dependencies: [] },
};
const lookup: SchemaLookup = { resolve: async (id) => ({ id, ...schemas[id] }) };

const events = Array.from({ length: N }, (_, i) => sampleEvent(i));
const avroPayloads = events.map(encodeEventAvro);
const enc = new TextEncoder();
const frames = {
  avro: avroPayloads.map((p) => encodeFrame(1, p)),
  protobuf: events.map((e) => encodeFrame(2, encodeEventProtobuf(e), [0])),
  jsonSchema: events.map((e) => encodeFrame(3, enc.encode(eventToJson(e)))),
  json: events.map((e) => enc.encode(eventToJson(e))),
};

// Rates are per CPU second of this process (user + system), so that other work on a shared
// machine does not show up as a slower decoder; wall-clock rates are printed beside them.
// Every case is warmed up first, then the cases run in interleaved rounds; the best round counts.
interface Case {
  name: string;
  inputs: Uint8Array[];
  fn: (b: Uint8Array) => unknown;
}
interface Result {
  name: string;
  msgsPerSec: number;
  wallMsgsPerSec: number;
  bytesPerMsg: number;
}

function round(c: Case, secs: number): { cpu: number; wall: number } {
  let sink = 0;
  const deadline = performance.now() + secs * 1000;
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() < deadline) {
    for (let i = 0; i < c.inputs.length; i++) if (c.fn(c.inputs[i]) !== undefined) sink++;
    n += c.inputs.length;
  }
  const cpu = process.cpuUsage(c0);
  if (sink === 0) throw new Error('nothing decoded');
  return { cpu: n / ((cpu.user + cpu.system) / 1e6), wall: n / ((performance.now() - t0) / 1000) };
}

function measureAll(cases: Case[], rounds = 3): Result[] {
  for (const c of cases) round(c, 0.3); // warm-up (JIT) for all before any measurement
  const best = new Map<string, { cpu: number; wall: number }>();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const m = round(c, seconds / rounds);
      const b = best.get(c.name);
      if (!b || m.cpu > b.cpu) best.set(c.name, m);
    }
  }
  return cases.map((c) => {
    const m = best.get(c.name)!;
    const bytesPerMsg = Math.round(c.inputs.reduce((a, b) => a + b.length, 0) / c.inputs.length);
    const r = { name: c.name, msgsPerSec: Math.round(m.cpu), wallMsgsPerSec: Math.round(m.wall), bytesPerMsg };
    console.log(
      `${c.name.padEnd(26)} ${(r.msgsPerSec / 1e6).toFixed(3)} M msgs/cpu-s  (${(r.wallMsgsPerSec / 1e6).toFixed(3)} M/s wall)  ` +
        `${bytesPerMsg} B/msg  ${((r.msgsPerSec * bytesPerMsg) / 1e6).toFixed(0)} MB/cpu-s`,
    );
    return r;
  });
}

const dec = new ConfluentDecoder(lookup);
// resolve the three schema ids once (the only async step)
await dec.decode(frames.avro[0]);
await dec.decode(frames.protobuf[0]);
await dec.decode(frames.jsonSchema[0]);
const sync = (b: Uint8Array) => {
  const r = dec.decode(b);
  if (r instanceof Promise) throw new Error('not cached');
  return r.value;
};

// avsc for comparison: the same payloads (no frame), raw and with floe's conversions
const avscType = avro.Type.forSchema(JSON.parse(EVENTS_AVRO_SCHEMA));
const avscRaw = (b: Uint8Array) => avscType.fromBuffer(b as Buffer);
const avscConverted = (b: Uint8Array) => {
  const v = avscType.fromBuffer(b as Buffer) as Record<string, unknown>;
  v.ts = BigInt(v.ts as number);
  const amount = v.amount as Buffer | null;
  v.amount = amount === null ? null : formatDecimal(twosComplementToInteger(amount, 0, amount.length), 2);
  v.properties = new Map(Object.entries(v.properties as object));
  return v;
};

const results = measureAll([
  { name: 'avro (floe, framed)', inputs: frames.avro, fn: sync },
  { name: 'avro (avsc raw)', inputs: avroPayloads, fn: avscRaw },
  { name: 'avro (avsc + conversions)', inputs: avroPayloads, fn: avscConverted },
  { name: 'protobuf (floe, framed)', inputs: frames.protobuf, fn: sync },
  { name: 'json-schema (floe, framed)', inputs: frames.jsonSchema, fn: sync },
  { name: 'json plain (floe)', inputs: frames.json, fn: decodePlainJson },
]);

console.log(
  JSON.stringify({
    bench: 'decode',
    record: 'events',
    node: process.version,
    secondsPerCase: seconds,
    loadAverage1m: (await import('node:os')).loadavg()[0],
    results: Object.fromEntries(results.map((r) => [r.name, { msgsPerCpuSec: r.msgsPerSec, msgsPerWallSec: r.wallMsgsPerSec, bytesPerMsg: r.bytesPerMsg }])),
  }),
);
