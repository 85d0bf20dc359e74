// Snapshot expiry's planner (src/maintenance/expire-plan.ts) without a catalog: Iceberg's
// retention rules case by case (defaults, table properties, options, refs' own settings, tags,
// max ref age, unreferenced snapshots), floe's rule that each connector's offsets still resolve
// the same, then a randomized run over generated histories checked against a simple model.
//   FLOE_EXPIRE_SEED=<n>        replay one history (the seed a failure prints)
//   FLOE_EXPIRE_HISTORIES=<n>   how many histories (default 3000)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floorKey, formatFloor, OffsetsUnknownError, resolveOffsets } from '../../src/commit/committed-offsets.ts';
import type { ResolvedOffsets } from '../../src/commit/committed-offsets.ts';
import { formatOffsets, offsetsKey } from '../../src/commit/offsets-map.ts';
import type { OffsetsMap } from '../../src/commit/offsets-map.ts';
import { applyUpdates, newTableMetadata } from '../../src/iceberg/metadata-updates.ts';
import type { Snapshot, SnapshotRef, TableMetadata } from '../../src/iceberg/table-metadata.ts';
import { expiryUpdates, planExpiry } from '../../src/maintenance/expire-plan.ts';
import type { ExpireOptions } from '../../src/maintenance/expire-settings.ts';
import { rng } from '../helpers/rng.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const NOW = 1_000 * DAY;

interface SnapSpec {
  id: number;
  parent?: number;
  /** Age in days at NOW. */
  age: number;
  summary?: Record<string, string>;
}

function table(snaps: SnapSpec[], refs: Record<string, Partial<SnapshotRef> & { 'snapshot-id': bigint }> = {}, properties: Record<string, string> = {}): TableMetadata {
  const m = newTableMetadata({ schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'x', required: false, type: 'long' }] }, location: 'file:///t', properties, nowMs: 0 });
  m.snapshots = snaps.map((s, i) => {
    const snap: Snapshot = {
      'snapshot-id': BigInt(s.id),
      'sequence-number': i + 1,
      'timestamp-ms': NOW - s.age * DAY,
      'manifest-list': `file:///t/metadata/snap-${s.id}.avro`,
      summary: { operation: 'append', ...(s.summary ?? {}) },
    };
    if (s.parent !== undefined) snap['parent-snapshot-id'] = BigInt(s.parent);
    return snap;
  });
  m['last-sequence-number'] = snaps.length;
  m.refs = {};
  for (const [name, r] of Object.entries(refs)) m.refs[name] = { type: 'branch', ...r };
  m['current-snapshot-id'] = m.refs.main?.['snapshot-id'] ?? null;
  return m;
}

/** A main chain 1 ← 2 ← … ← n with the given ages (oldest first). */
function chain(ages: number[], summaries: Record<number, Record<string, string>> = {}): SnapSpec[] {
  return ages.map((age, i) => ({ id: i + 1, parent: i === 0 ? undefined : i, age, summary: summaries[i + 1] }));
}

const ids = (xs: bigint[]) => xs.map(Number).sort((a, b) => a - b);
const main = (id: number) => ({ main: { 'snapshot-id': BigInt(id), type: 'branch' as const } });

test('defaults: snapshots older than 5 days go, main keeps its head', () => {
  const m = table(chain([10, 8, 6, 4, 2]), main(5));
  const plan = planExpiry(m, NOW);
  assert.deepEqual(ids(plan.expire), [1, 2, 3]);
  assert.deepEqual(plan.removeRefs, []);
  assert.equal(plan.keep.get(5n), 'ref');
  assert.equal(plan.keep.get(4n), 'branch-history');
  // exactly 5 days old is still kept (timestamp >= now - age)
  assert.deepEqual(ids(planExpiry(table(chain([10, 5, 1]), main(3)), NOW).expire), [1]);
});

test('min snapshots to keep: the newest n of the ancestry stay whatever their age', () => {
  const m = table(chain([50, 40, 30, 20, 10]), main(5));
  assert.deepEqual(ids(planExpiry(m, NOW).expire), [1, 2, 3, 4]);
  assert.deepEqual(ids(planExpiry(m, NOW, { minSnapshotsToKeep: 3 }).expire), [1, 2]);
  assert.deepEqual(ids(planExpiry(m, NOW, { minSnapshotsToKeep: 10 }).expire), []);
});

test('table properties set the defaults; options win over them', () => {
  const props = { 'history.expire.max-snapshot-age-ms': String(25 * DAY), 'history.expire.min-snapshots-to-keep': '2' };
  const m = table(chain([50, 40, 30, 20, 10]), main(5), props);
  assert.deepEqual(ids(planExpiry(m, NOW).expire), [1, 2, 3]);
  assert.deepEqual(ids(planExpiry(m, NOW, { maxSnapshotAgeMs: 35 * DAY }).expire), [1, 2]);
  assert.deepEqual(ids(planExpiry(m, NOW, { minSnapshotsToKeep: 4 }).expire), [1]);
  const plan = planExpiry(m, NOW);
  assert.deepEqual(plan.settings, { maxSnapshotAgeMs: 25 * DAY, minSnapshotsToKeep: 2, maxRefAgeMs: Infinity });
});

test("a branch's own settings win over the table's (and over the options)", () => {
  // main: 1 ← 2 ← 3 ← 4;  branch b: 2 ← 5 ← 6
  const snaps: SnapSpec[] = [...chain([50, 40, 30, 1]), { id: 5, parent: 2, age: 20 }, { id: 6, parent: 5, age: 15 }];
  const m = table(snaps, { ...main(4), b: { 'snapshot-id': 6n, 'max-snapshot-age-ms': 45 * DAY } });
  // b keeps 6, 5 and 2 (younger than 45 days), not 1; main keeps 4 only (default 5 days)
  assert.deepEqual(ids(planExpiry(m, NOW).expire), [1, 3]);
  assert.deepEqual(ids(planExpiry(m, NOW, { maxSnapshotAgeMs: 100 * DAY }).expire), [], 'the option reaches main');
  const m2 = table(snaps, { ...main(4), b: { 'snapshot-id': 6n, 'min-snapshots-to-keep': 4 } });
  assert.deepEqual(ids(planExpiry(m2, NOW).expire), [3]);
  // main's own settings are honoured too
  const m3 = table(snaps, { main: { 'snapshot-id': 4n, type: 'branch', 'min-snapshots-to-keep': 3 }, b: { 'snapshot-id': 6n } });
  assert.deepEqual(ids(planExpiry(m3, NOW).expire), [1, 5]);
});

test('a tag keeps its snapshot (only that one); an old tag past its max ref age is removed', () => {
  const m = table(chain([50, 40, 30, 1]), { ...main(4), t: { 'snapshot-id': 2n, type: 'tag' } });
  let plan = planExpiry(m, NOW);
  assert.deepEqual(ids(plan.expire), [1, 3]);
  assert.equal(plan.keep.get(2n), 'ref');
  const old = table(chain([50, 40, 30, 1]), { ...main(4), t: { 'snapshot-id': 2n, type: 'tag', 'max-ref-age-ms': 30 * DAY } });
  plan = planExpiry(old, NOW);
  assert.deepEqual(plan.removeRefs, ['t']);
  assert.deepEqual(ids(plan.expire), [1, 2, 3]);
  assert.deepEqual(expiryUpdates(plan), [
    { action: 'remove-snapshot-ref', 'ref-name': 't' },
    { action: 'remove-snapshots', 'snapshot-ids': [1n, 2n, 3n] },
  ]);
  // the table's max ref age applies to refs without their own
  plan = planExpiry(m, NOW, { maxRefAgeMs: 35 * DAY });
  assert.deepEqual(plan.removeRefs, ['t']);
});

test('main is never removed, whatever the max ref age; a ref to a missing snapshot is', () => {
  const m = table(chain([50, 40]), { main: { 'snapshot-id': 2n, type: 'branch', 'max-ref-age-ms': 1 }, gone: { 'snapshot-id': 99n, type: 'tag' } });
  const plan = planExpiry(m, NOW, { maxRefAgeMs: 0 });
  assert.deepEqual(plan.removeRefs, ['gone']);
  assert.deepEqual(ids(plan.expire), [1]);
  assert.equal(plan.keep.get(2n), 'ref');
});

test("an expired branch's history is judged as unreferenced: young snapshots stay, old ones go", () => {
  // main 1 ← 2 ← 3;  branch b (too old by max ref age): 1 ← 4 ← 5
  const snaps: SnapSpec[] = [...chain([50, 40, 1]), { id: 4, parent: 1, age: 45 }, { id: 5, parent: 4, age: 4 }];
  const m = table(snaps, { ...main(3), b: { 'snapshot-id': 5n, 'max-ref-age-ms': DAY } });
  const plan = planExpiry(m, NOW);
  assert.deepEqual(plan.removeRefs, ['b']);
  assert.deepEqual(ids(plan.expire), [1, 2, 4]);
  assert.equal(plan.keep.get(5n), 'young');
});

test('snapshots in no ref: kept while younger than the max snapshot age (a rolled-back head)', () => {
  const snaps: SnapSpec[] = [...chain([50, 40, 30]), { id: 4, parent: 3, age: 2 }, { id: 5, parent: 4, age: 1 }, { id: 6, parent: 3, age: 40 }];
  const m = table(snaps, main(3));
  const plan = planExpiry(m, NOW, { minSnapshotsToKeep: 1 });
  assert.deepEqual(ids(plan.expire), [1, 2, 6]);
  assert.equal(plan.keep.get(4n), 'young');
});

test("a branch's walk stops at the first snapshot it may not keep (as Java's), even if an older one is young", () => {
  // clocks disagreed: 2 is older than 1
  const m = table(chain([1, 40, 2]), main(3));
  assert.deepEqual(ids(planExpiry(m, NOW).expire), [1, 2]);
});

const c1 = offsetsKey('c1');
const c2 = offsetsKey('c2');

test("floe's rule: each connector's newest offsets snapshot stays whatever its age, with main's history down to it", () => {
  // 1 (c1, c2) ← 2 (c1, c2) ← 3 (c2 only: c1's key dropped by nobody, c2 moved) ← 4, 5 foreign
  const summaries = {
    1: { [c1]: '{"t":{"0":1}}', [c2]: '{"u":{"0":1}}' },
    2: { [c1]: '{"t":{"0":5}}', [c2]: '{"u":{"0":1}}' },
    3: { [c1]: '{"t":{"0":5}}', [c2]: '{"u":{"0":9}}' },
  };
  const m = table(chain([60, 50, 40, 30, 20], summaries), main(5), {
    [floorKey('c1')]: formatFloor(2n, new Map([['t', new Map([[0, 5n]])]])),
    [floorKey('c2')]: formatFloor(3n, new Map([['u', new Map([[0, 9n]])]])),
  });
  const plan = planExpiry(m, NOW);
  assert.deepEqual(ids(plan.expire), [1, 2], 'snapshot 3 is the newest holding both maps');
  assert.equal(plan.keep.get(3n), 'offsets');
  assert.equal(plan.keep.get(4n), 'offsets', 'the walk from main to snapshot 3 needs 4');
  assert.deepEqual(plan.keptForOffsets.get(3n), ['c1', 'c2']);
  assertOffsetsUnchanged(m, plan.expire, plan.removeRefs);

  // only foreign commits on top of an old connector: its snapshot and the path stay
  const only = table(chain([60, 50, 40, 30, 20], { 2: { [c1]: '{"t":{"0":5}}' } }), main(5));
  assert.deepEqual(ids(planExpiry(only, NOW).expire), [1]);
  // a young enough history needs nothing of the rule
  assert.equal(planExpiry(only, NOW, { maxSnapshotAgeMs: 100 * DAY }).keptForOffsets.size, 0);
});

test("floe's rule: the floor's snapshot stays while main is rolled back away from it", () => {
  // main 1 ← 2 (c1) ← 3 (c1): rolled back to 1 (no c1 key): the floor names 3
  const m = table(chain([60, 50, 40], { 2: { [c1]: '{"t":{"0":5}}' }, 3: { [c1]: '{"t":{"0":8}}' } }), main(1), {
    [floorKey('c1')]: formatFloor(3n, new Map([['t', new Map([[0, 8n]])]])),
  });
  assert.equal(resolveOffsets(m, 'c1').source, 'none');
  const plan = planExpiry(m, NOW);
  assert.deepEqual(ids(plan.expire), [2]);
  assert.equal(plan.keep.get(3n), 'offsets');
  assertOffsetsUnchanged(m, plan.expire, plan.removeRefs);
  // once the floor's snapshot is gone, the floor is the answer and nothing more is held
  const expired = table(chain([60], {}), main(1), { [floorKey('c1')]: formatFloor(3n, new Map([['t', new Map([[0, 8n]])]])) });
  assert.equal(planExpiry(expired, NOW).keptForOffsets.size, 0);
});

test('bad settings are refused with the setting named', () => {
  const m = table(chain([1]), main(1), { 'history.expire.max-snapshot-age-ms': 'soon' });
  assert.throws(() => planExpiry(m, NOW), /history\.expire\.max-snapshot-age-ms/);
  assert.throws(() => planExpiry(table(chain([1]), main(1)), NOW, { minSnapshotsToKeep: 0 }), /min snapshots to keep/);
  assert.throws(() => planExpiry(table(chain([1]), main(1)), NOW, { maxSnapshotAgeMs: -1 }), /max snapshot age/);
});

test('an empty table and a table with nothing old: no updates', () => {
  assert.deepEqual(expiryUpdates(planExpiry(table([], {}), NOW)), []);
  assert.deepEqual(expiryUpdates(planExpiry(table(chain([3, 2, 1]), main(3)), NOW)), []);
});

// ---------------------------------------------------------------------------------------------
// Randomized histories against a model

interface History {
  metadata: TableMetadata;
  options: ExpireOptions;
  now: number;
  /** Some commit is older than its parent (clocks disagreed). */
  skewed: boolean;
  describe: string;
}

/**
 * A table's life: floe connectors and foreign engines commit to main and to branches, tags are
 * set, main is rolled back now and then; timestamps grow with each commit by whole hours (so
 * ages fall exactly on a cutoff now and then), except in a few histories where clocks disagree.
 * Refs and the table get random retention settings.
 */
function generate(seed: number): History {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  const connectors = ['c1', 'c2', 'c3'].slice(0, 1 + int(3));
  const props: Record<string, string> = {};
  if (r() < 0.3) props['history.expire.max-snapshot-age-ms'] = String(int(20) * DAY);
  if (r() < 0.3) props['history.expire.min-snapshots-to-keep'] = String(1 + int(4));
  if (r() < 0.2) props['history.expire.max-ref-age-ms'] = String(int(30) * DAY);
  const m = table([], {}, props);
  const snaps: Snapshot[] = [];
  const refs: Record<string, SnapshotRef> = {};
  const byId = new Map<bigint, Snapshot>();
  const offsets = new Map<string, number>();
  let clock = 0;
  let nextId = 1n;
  const skewed = r() < 0.15;
  const settings = (): Partial<SnapshotRef> => ({
    ...(r() < 0.3 ? { 'max-snapshot-age-ms': int(20) * DAY } : {}),
    ...(r() < 0.3 ? { 'min-snapshots-to-keep': 1 + int(4) } : {}),
    ...(r() < 0.3 ? { 'max-ref-age-ms': int(40) * DAY } : {}),
  });
  const commit = (branch: string | undefined, parent: Snapshot | undefined) => {
    clock += int(3) === 0 ? 0 : int(48) * HOUR;
    const id = nextId++;
    const at = skewed && r() < 0.2 ? clock - int(10) * DAY : clock;
    const summary: Snapshot['summary'] = { operation: 'append' };
    const by = r() < 0.65 ? pick(connectors) : undefined; // else another engine: no floe keys
    if (by) {
      for (const [k, v] of Object.entries(parent?.summary ?? {})) if (k.startsWith('floe.kafka-offsets.')) summary[k] = v;
      const next = (offsets.get(by) ?? 0) + 1 + int(10);
      offsets.set(by, next);
      summary[offsetsKey(by)] = `{"t":{"0":${next}}}`;
    }
    const s: Snapshot = { 'snapshot-id': id, 'sequence-number': snaps.length + 1, 'timestamp-ms': at, 'manifest-list': `m${id}`, summary };
    if (parent) s['parent-snapshot-id'] = parent['snapshot-id'];
    snaps.push(s);
    byId.set(id, s);
    if (branch) refs[branch] = { ...(refs[branch] ?? { type: 'branch' }), 'snapshot-id': id };
    if (by && branch === 'main') props[floorKey(by)] = formatFloor(id, new Map([['t', new Map([[0, BigInt(offsets.get(by)!)]])]]));
  };
  const steps = 3 + int(40);
  commit('main', undefined);
  if (r() < 0.3) refs.main = { ...refs.main, ...settings() };
  for (let i = 0; i < steps; i++) {
    const x = r();
    const head = (b: string) => byId.get(refs[b]['snapshot-id']);
    if (x < 0.55) commit('main', head('main'));
    else if (x < 0.7) {
      const branches = Object.keys(refs).filter((n) => refs[n].type === 'branch');
      const b = pick(branches);
      commit(b, head(b));
    } else if (x < 0.78) {
      const name = `b${i}`;
      refs[name] = { type: 'branch', 'snapshot-id': pick(snaps)['snapshot-id'], ...settings() };
      if (r() < 0.7) commit(name, head(name));
    } else if (x < 0.88) {
      refs[`t${i}`] = { type: 'tag', 'snapshot-id': pick(snaps)['snapshot-id'], ...settings() };
    } else if (x < 0.94) {
      // roll main back to one of its ancestors
      const anc: Snapshot[] = [];
      for (let s = head('main'); s; s = s['parent-snapshot-id'] === undefined ? undefined : byId.get(s['parent-snapshot-id'])) anc.push(s);
      refs.main = { ...refs.main, 'snapshot-id': pick(anc)['snapshot-id'] };
    } else {
      commit(undefined, pick(snaps)); // staged: in no ref
    }
    if (r() < 0.03) refs[`gone${i}`] = { type: 'tag', 'snapshot-id': 10_000n + BigInt(i) };
  }
  m.snapshots = snaps;
  m.refs = refs;
  m['current-snapshot-id'] = refs.main['snapshot-id'];
  m['last-sequence-number'] = snaps.length;
  m.properties = props;
  const options: ExpireOptions = {};
  if (r() < 0.4) options.maxSnapshotAgeMs = int(30) * DAY;
  if (r() < 0.3) options.minSnapshotsToKeep = 1 + int(5);
  if (r() < 0.2) options.maxRefAgeMs = int(30) * DAY;
  const now = clock + int(15 * 24) * HOUR;
  return {
    metadata: m,
    options,
    now,
    skewed,
    describe: `${skewed ? 'skewed clocks, ' : ''}${snaps.length} snapshots, refs ${Object.keys(refs).join(' ')}, options ${JSON.stringify(options)}, props ${JSON.stringify(props)}`,
  };
}

/** The rules restated per snapshot: "is there a reason to keep it?" (no walks with early exits). */
function model(h: History): { expire: Set<bigint>; removeRefs: Set<string> } {
  const m = h.metadata;
  const props = m.properties ?? {};
  const num = (k: string) => (props[k] === undefined ? undefined : Number(props[k]));
  const tMaxAge = h.options.maxSnapshotAgeMs ?? num('history.expire.max-snapshot-age-ms') ?? 5 * DAY;
  const tMin = h.options.minSnapshotsToKeep ?? num('history.expire.min-snapshots-to-keep') ?? 1;
  const tRefAge = h.options.maxRefAgeMs ?? num('history.expire.max-ref-age-ms') ?? Infinity;
  const byId = new Map(m.snapshots!.map((s) => [s['snapshot-id'], s]));
  const lineage = (id: bigint): Snapshot[] => {
    const out: Snapshot[] = [];
    for (let s = byId.get(id); s; s = s['parent-snapshot-id'] === undefined ? undefined : byId.get(s['parent-snapshot-id'])) out.push(s);
    return out;
  };
  const live = Object.entries(m.refs!).filter(
    ([n, ref]) => byId.has(ref['snapshot-id']) && (n === 'main' || h.now - byId.get(ref['snapshot-id'])!['timestamp-ms'] <= (ref['max-ref-age-ms'] ?? tRefAge)),
  );
  const removeRefs = new Set(Object.keys(m.refs!).filter((n) => !live.some(([l]) => l === n)));
  const keep = new Set<bigint>();
  const referenced = new Set<bigint>();
  for (const [, ref] of live) {
    keep.add(ref['snapshot-id']);
    if (ref.type === 'tag') {
      referenced.add(ref['snapshot-id']);
      continue;
    }
    const line = lineage(ref['snapshot-id']);
    const min = ref['min-snapshots-to-keep'] ?? tMin;
    const cutoff = h.now - (ref['max-snapshot-age-ms'] ?? tMaxAge);
    const ok = line.map((s, i) => i < min || s['timestamp-ms'] >= cutoff);
    line.forEach((s, i) => {
      referenced.add(s['snapshot-id']);
      if (ok.slice(0, i + 1).every(Boolean)) keep.add(s['snapshot-id']);
    });
  }
  for (const s of m.snapshots!) if (!referenced.has(s['snapshot-id']) && s['timestamp-ms'] >= h.now - tMaxAge) keep.add(s['snapshot-id']);
  // offsets: main's line down to the newest snapshot with each connector's key; else the floor's snapshot
  const mainLine = lineage(m.refs!.main['snapshot-id']);
  const names = new Set<string>();
  for (const k of Object.keys(props)) if (k.startsWith('floe.kafka-offsets-floor.')) names.add(k.slice('floe.kafka-offsets-floor.'.length));
  for (const s of mainLine) for (const k of Object.keys(s.summary)) if (k.startsWith('floe.kafka-offsets.')) names.add(k.slice('floe.kafka-offsets.'.length));
  for (const c of names) {
    const at = mainLine.findIndex((s) => s.summary[offsetsKey(c)] !== undefined);
    if (at >= 0) for (const s of mainLine.slice(0, at + 1)) keep.add(s['snapshot-id']);
    else {
      const floor = props[floorKey(c)];
      const fid = floor === undefined ? undefined : BigInt(/"snapshot-id":(\d+)/.exec(floor)![1]);
      if (fid !== undefined && byId.has(fid)) keep.add(fid);
    }
  }
  return { expire: new Set(m.snapshots!.map((s) => s['snapshot-id']).filter((id) => !keep.has(id))), removeRefs };
}

function tryResolve(m: TableMetadata, c: string): ResolvedOffsets | 'unknown' {
  try {
    return resolveOffsets(m, c);
  } catch (err) {
    if (err instanceof OffsetsUnknownError) return 'unknown';
    throw err;
  }
}

const fmt = (o: OffsetsMap) => formatOffsets(o);

/** Every connector's offsets resolve the same after the expiry (or "none" becomes "unknown": never a silent resume). */
function assertOffsetsUnchanged(m: TableMetadata, expire: bigint[], removeRefs: string[]): void {
  const after = applyUpdates(m, expiryUpdates({ expire, removeRefs } as Parameters<typeof expiryUpdates>[0]), NOW);
  const names = new Set<string>();
  for (const s of m.snapshots ?? []) for (const k of Object.keys(s.summary)) if (k.startsWith('floe.kafka-offsets.')) names.add(k.slice('floe.kafka-offsets.'.length));
  for (const c of names) {
    const a = tryResolve(m, c);
    const b = tryResolve(after, c);
    if (a === 'unknown' || b === 'unknown') {
      assert.ok(b === 'unknown' && (a === 'unknown' || a.source === 'none'), `connector ${c}: ${JSON.stringify(a === 'unknown' ? a : a.source)} became ${b === 'unknown' ? b : b.source}`);
      continue;
    }
    assert.equal(b.source, a.source, `connector ${c}: offsets came from ${a.source}, now from ${b.source}`);
    assert.equal(b.snapshotId, a.snapshotId, `connector ${c}: the snapshot holding its offsets changed`);
    assert.equal(fmt(b.offsets), fmt(a.offsets), `connector ${c}: its offsets changed`);
  }
}

function checkHistory(h: History): void {
  const m = h.metadata;
  const plan = planExpiry(m, h.now, h.options);
  const want = model(h);
  assert.deepEqual(ids(plan.expire), ids([...want.expire]), 'expired snapshots differ from the model');
  assert.deepEqual(plan.removeRefs, [...want.removeRefs].sort(), 'removed refs differ from the model');
  assert.equal(plan.keep.size + plan.expire.length, m.snapshots!.length, 'every snapshot is kept or expired');

  // Invariants, each on its own.
  const expired = new Set(plan.expire);
  const byId = new Map(m.snapshots!.map((s) => [s['snapshot-id'], s]));
  const line = (id: bigint) => {
    const out: Snapshot[] = [];
    for (let s = byId.get(id); s; s = s['parent-snapshot-id'] === undefined ? undefined : byId.get(s['parent-snapshot-id'])) out.push(s);
    return out;
  };
  assert.ok(!plan.removeRefs.includes('main'), 'main is never removed');
  const props = m.properties ?? {};
  const tMaxAge = h.options.maxSnapshotAgeMs ?? (props['history.expire.max-snapshot-age-ms'] !== undefined ? Number(props['history.expire.max-snapshot-age-ms']) : 5 * DAY);
  const tMin = h.options.minSnapshotsToKeep ?? (props['history.expire.min-snapshots-to-keep'] !== undefined ? Number(props['history.expire.min-snapshots-to-keep']) : 1);
  const inKeptRefs = new Map<bigint, number>(); // snapshot → the longest max age of a kept branch reaching it
  for (const [name, ref] of Object.entries(m.refs!)) {
    if (plan.removeRefs.includes(name)) continue;
    assert.ok(!expired.has(ref['snapshot-id']), `ref ${name}'s snapshot is kept`);
    if (ref.type === 'tag') {
      inKeptRefs.set(ref['snapshot-id'], Math.max(inKeptRefs.get(ref['snapshot-id']) ?? -Infinity, Infinity));
      continue;
    }
    const l = line(ref['snapshot-id']);
    const min = ref['min-snapshots-to-keep'] ?? tMin;
    const kept = l.filter((s) => !expired.has(s['snapshot-id'])).length;
    assert.ok(kept >= Math.min(min, l.length), `branch ${name} keeps at least ${min} of its ${l.length} ancestors (kept ${kept})`);
    const prefix = l.slice(0, Math.min(min, l.length));
    for (const s of prefix) assert.ok(!expired.has(s['snapshot-id']), `branch ${name}: its newest ${min} are kept`);
    const age = ref['max-snapshot-age-ms'] ?? tMaxAge;
    for (const s of l) inKeptRefs.set(s['snapshot-id'], Math.max(inKeptRefs.get(s['snapshot-id']) ?? -Infinity, age));
  }
  // (with clocks that disagree, Java's walk stops at an old snapshot before a younger one)
  for (const id of h.skewed ? [] : expired) {
    const s = byId.get(id)!;
    const age = inKeptRefs.get(id) ?? tMaxAge;
    assert.ok(s['timestamp-ms'] < h.now - age, `snapshot ${id} expired though younger than ${age / DAY} days`);
  }
  assertOffsetsUnchanged(m, plan.expire, plan.removeRefs);
  // what the plan says is what the updates do
  const after = applyUpdates(m, expiryUpdates(plan), h.now);
  assert.deepEqual(ids(after.snapshots!.map((s) => s['snapshot-id'])), ids([...plan.keep.keys()]));
  assert.deepEqual(
    Object.keys(after.refs!).sort(),
    Object.keys(m.refs!)
      .filter((n) => !plan.removeRefs.includes(n))
      .sort(),
  );
}

test('randomized histories: the plan matches the model and keeps every invariant', () => {
  const one = process.env.FLOE_EXPIRE_SEED;
  const count = Number(process.env.FLOE_EXPIRE_HISTORIES ?? 3000);
  const base = one !== undefined ? Number(one) : (Date.now() % 1_000_000) * 1000;
  const seeds = one !== undefined ? [base] : Array.from({ length: count }, (_, i) => base + i);
  const started = Date.now();
  let expiredAny = 0;
  let keptForOffsets = 0;
  for (const seed of seeds) {
    const h = generate(seed);
    try {
      checkHistory(h);
    } catch (err) {
      throw new Error(`expiry history failed: replay with FLOE_EXPIRE_SEED=${seed} (${h.describe}): ${(err as Error).message}`, { cause: err });
    }
    const plan = planExpiry(h.metadata, h.now, h.options);
    if (plan.expire.length > 0) expiredAny++;
    if (plan.keptForOffsets.size > 0) keptForOffsets++;
  }
  if (one === undefined) {
    // the generator exercises what it should
    assert.ok(expiredAny > count / 4, `only ${expiredAny} of ${count} histories expired anything`);
    assert.ok(keptForOffsets > count / 50, `only ${keptForOffsets} of ${count} histories kept a snapshot for offsets`);
  }
  assert.ok(Date.now() - started < 20_000 * Math.max(1, count / 3000), 'bounded');
});
