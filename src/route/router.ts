// Which table a record goes to: one table for everything, one per topic ({topic} in the
// table name), or by the value of a field (an explicit value → table map, or {value} in the
// table name). A record the router cannot place gets a RouteError (a dead letter's reason).
import type { RouteConfig } from '../config/connector-config.ts';
import type { RecordFrame } from '../decode/record-frame.ts';
import { LazyFrame, peekValue } from '../decode/record-frame.ts';
import { FloeError } from '../errors.ts';

export class RouteError extends FloeError {
  constructor(message: string) {
    super('bad-record', message);
  }
}

export interface Router {
  /** The table name ("namespace.table") for a decoded record from a topic. */
  tableFor(topic: string, value: Readonly<Record<string, unknown>>): string;
  /**
   * tableFor of the frame's value, read without changing the frame: a batch can still take the
   * record from its bytes, and a top-level field of plain JSON is read without parsing the rest.
   */
  tableForFrame(topic: string, frame: RecordFrame): string;
}

/** Table names kept by a {value} router (forgotten all at once beyond this). */
const NAMED_MAX = 10_000;

/** Table names may hold letters, digits and "_"; anything else in a topic or value becomes "_". */
export function sanitizeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
}

export function createRouter(tableTemplate: string, route: RouteConfig): Router {
  const perTopic = tableTemplate.includes('{topic}');
  const topicCache = new Map<string, string>();
  const forTopic = (topic: string): string => {
    if (!perTopic) return tableTemplate;
    let t = topicCache.get(topic);
    if (t === undefined) topicCache.set(topic, (t = tableTemplate.replaceAll('{topic}', sanitizeName(topic))));
    return t;
  };
  if (route.by === 'topic') return { tableFor: (topic) => forTopic(topic), tableForFrame: (topic) => forTopic(topic) };

  const path = route.field.split('.');
  const explicit = new Map(Object.entries(route.tables));
  const templated = tableTemplate.includes('{value}');
  /** {value} tables named before, by topic and value (the name is made once, not per record) */
  const named = new Map<string, Map<string, string>>();
  let namedCount = 0;
  const byValue = (topic: string, v: unknown): string => {
    if (v === undefined || v === null) throw new RouteError(`routing field "${route.field}" is missing or null`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
      throw new RouteError(`routing field "${route.field}" must be a string or number, got ${Array.isArray(v) ? 'a list' : typeof v}`);
    }
    const key = String(v);
    const mapped = explicit.get(key);
    if (mapped !== undefined) return mapped;
    if (!templated) throw new RouteError(`routing field "${route.field}" has value "${key}", which route.tables does not list`);
    let byKey = named.get(topic);
    let name = byKey?.get(key);
    if (name !== undefined) return name;
    const s = sanitizeName(key);
    if (s === '') throw new RouteError(`routing field "${route.field}" is empty`);
    name = forTopic(topic).replaceAll('{value}', s);
    // a field of many values (an id routed by mistake) must not grow this without bound
    if (namedCount >= NAMED_MAX) {
      named.clear();
      namedCount = 0;
      byKey = undefined;
    }
    if (byKey === undefined) named.set(topic, (byKey = new Map()));
    byKey.set(key, name);
    namedCount++;
    return name;
  };
  const tableFor = (topic: string, value: Readonly<Record<string, unknown>>): string => {
    let v: unknown = value;
    // Avro and Protobuf maps decode to Map: a path step may be one of its keys
    for (const p of path) v = v instanceof Map ? v.get(p) : v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    return byValue(topic, v);
  };
  const top = path.length === 1 ? path[0] : undefined;
  const topBytes = Buffer.from(top ?? '', 'utf8');
  return {
    tableFor,
    tableForFrame(topic, frame) {
      if (top !== undefined && frame instanceof LazyFrame) return byValue(topic, frame.peekField(top, topBytes));
      return tableFor(topic, peekValue(frame));
    },
  };
}
