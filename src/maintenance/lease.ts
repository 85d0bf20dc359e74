// One maintenance worker per table at a time: a lease held in the table's own metadata, so it
// works on every catalog without new infrastructure.
//
// The lease is a tag, `floe-maintenance-lease`, on main's head, plus the table property
// `floe.maintenance.lease` = {"owner": <run id>, "until": <ms since the epoch>}, set in one
// commit. The tag makes taking the lease a compare-and-set: the commit asserts the tag is where
// the taker saw it (absent, or at the snapshot an expired holder left it at), which Iceberg's
// requirements can express (`assert-ref-snapshot-id`) and a table property cannot. A holder
// renews well before `until` (moving the tag to the new head); a taker only takes over a lease
// whose `until` has passed by a grace period. The tag pins at most one snapshot, and only while
// held: release removes it.
//
// The lease saves work, it does not guard correctness: every maintenance change still goes
// through the commit loop, which asserts main's head and re-checks on a conflict that its input
// files are still live. A holder paused past its lease (a GC pause, SIGSTOP) whose successor
// already started can at worst lose a race it then gives up.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { commitWithRetry } from '../commit/commit-loop.ts';
import { parseJson } from '../iceberg/json.ts';
import { currentSnapshot } from '../iceberg/metadata-updates.ts';
import type { TableRequirement, TableUpdate } from '../iceberg/table-metadata.ts';
import { FloeError } from '../errors.ts';

export const LEASE_REF = 'floe-maintenance-lease';
export const LEASE_PROPERTY = 'floe.maintenance.lease';

export interface Lease {
  owner: string;
  /** ms since the epoch */
  until: number;
}

export type LeaseOutcome = { held: true; lease: Lease } | { held: false; reason: 'held-by-other'; holder: Lease } | { held: false; reason: 'empty-table' };

export interface LeaseOptions {
  /** How long a lease lasts without renewal (default 5 min). */
  ttlMs?: number;
  /** How long past `until` an abandoned lease is left alone before another owner takes it (default 30 s). */
  graceMs?: number;
  now?: () => number;
}

/** The lease as the table holds it (undefined when none, or when tag and property disagree). */
export function leaseOf(table: LoadedTable): Lease | undefined {
  const raw = table.metadata.properties?.[LEASE_PROPERTY];
  if (raw === undefined || table.metadata.refs?.[LEASE_REF] === undefined) return undefined;
  const v = parseJson<{ owner?: unknown; until?: unknown }>(raw);
  if (typeof v.owner !== 'string' || typeof v.until !== 'number') return undefined;
  return { owner: v.owner, until: v.until };
}

class LeaseRefused extends FloeError {
  readonly outcome: LeaseOutcome;
  constructor(outcome: LeaseOutcome) {
    super('conflict', 'lease refused');
    this.outcome = outcome;
  }
}

/**
 * Takes the lease for `owner`, or renews it when `owner` holds it. Refused while another owner's
 * lease runs (until + grace), and on a table with no snapshot yet (nothing to maintain).
 */
export async function acquireLease(catalog: Catalog, id: TableIdentifier, owner: string, options: LeaseOptions = {}): Promise<LeaseOutcome> {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const grace = options.graceMs ?? 30_000;
  const now = options.now ?? Date.now;
  try {
    const { result } = await commitWithRetry<LeaseOutcome>(
      catalog,
      id,
      {
        describe: `maintenance lease on ${tableName(id)}`,
        build: async (table) => {
          const head = currentSnapshot(table.metadata);
          if (!head) throw new LeaseRefused({ held: false, reason: 'empty-table' });
          const current = leaseOf(table);
          if (current && current.owner !== owner && now() <= current.until + grace) throw new LeaseRefused({ held: false, reason: 'held-by-other', holder: current });
          const lease: Lease = { owner, until: now() + ttl };
          const requirements: TableRequirement[] = [
            { type: 'assert-table-uuid', uuid: table.metadata['table-uuid'] },
            { type: 'assert-ref-snapshot-id', ref: LEASE_REF, 'snapshot-id': table.metadata.refs?.[LEASE_REF]?.['snapshot-id'] ?? null },
          ];
          const updates: TableUpdate[] = [
            { action: 'set-snapshot-ref', 'ref-name': LEASE_REF, type: 'tag', 'snapshot-id': head['snapshot-id'] },
            { action: 'set-properties', updates: { [LEASE_PROPERTY]: JSON.stringify(lease) } },
          ];
          return { requirements, updates, result: () => ({ held: true, lease }) };
        },
        landed: (table) => {
          const l = leaseOf(table);
          return l && l.owner === owner ? { held: true, lease: l } : undefined;
        },
      },
      { maxAttempts: 5 },
    );
    return result;
  } catch (err) {
    if (err instanceof LeaseRefused) return err.outcome;
    throw err;
  }
}

/** Gives the lease up if `owner` holds it (the tag and the property go in one commit). */
export async function releaseLease(catalog: Catalog, id: TableIdentifier, owner: string): Promise<void> {
  await commitWithRetry<void>(
    catalog,
    id,
    {
      describe: `maintenance lease release on ${tableName(id)}`,
      build: async (table) => {
        const current = leaseOf(table);
        if (!current || current.owner !== owner) return { requirements: [], updates: [], result: () => undefined };
        return {
          requirements: [
            { type: 'assert-table-uuid', uuid: table.metadata['table-uuid'] },
            { type: 'assert-ref-snapshot-id', ref: LEASE_REF, 'snapshot-id': table.metadata.refs![LEASE_REF]['snapshot-id'] },
          ],
          updates: [
            { action: 'remove-snapshot-ref', 'ref-name': LEASE_REF },
            { action: 'remove-properties', removals: [LEASE_PROPERTY] },
          ],
          result: () => undefined,
        };
      },
    },
    { maxAttempts: 5 },
  );
}
