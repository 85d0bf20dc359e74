// Committing compactions: groups of input data files, each replaced by output files already
// written, as ONE Iceberg `replace` snapshot on main, through the one retry loop
// (commit/commit-loop.ts). A run commits its groups in batches (compact-table.ts): one commit for
// many groups rewrites each manifest once, where a commit per group rewrote the same manifests
// again and again.
//
// The snapshot's manifests: one new manifest per partition spec with the outputs ADDED; each
// manifest that holds an input rewritten with that input DELETED and its other live entries
// EXISTING (snapshot ids and sequence numbers kept); every other manifest carried forward
// unchanged, but for a manifest without a live entry (every entry DELETED by an earlier
// snapshot), which is left out, as Java's MergingSnapshotProducer does ("only keep manifests that
// have live data files or that were written by this commit"): readers that read every entry
// (DuckDB) paid for 10,000 dead entries after a stitch of 10,000 files.
//
// Sequence numbers: each group's outputs take the largest data sequence number of its inputs
// (Iceberg's RewriteFiles with a fixed data sequence number), not the new snapshot's. An equality
// delete committed after every input (even one committed concurrently, between our build and
// commit) then still applies to the rows it applied to before; with the snapshot's sequence
// number it would stop applying and deleted rows would come back. Position deletes name files
// by path and cannot follow rows into a new file, and a delete between two inputs' sequence
// numbers cannot be kept for the older input's rows: so a group is given up when any live delete
// file could apply to its partition (same spec and partition, or an unpartitioned spec).
//
// Summary: operation `replace` with added/deleted files, records and bytes; EVERY `floe.*`
// entry of the parent (each connector's offsets map, lineage) copied unchanged, then this
// run's own `floe.maintenance.*` entries (files and bytes in and out summed over the groups).
//
// It never makes an append fail: it asserts main is still the head it built on; on a conflict
// it re-checks each group on the new head (every input still live, no delete applies), gives up
// the groups that fail the check, and retries the others ONCE; after a second conflict it gives
// them all up. A retry is cheap: manifests are parsed once per run (ManifestCache) and a
// rewritten manifest is reused when the same manifest loses the same inputs again. Giving up or
// failing returns a typed result per group (never throws) and deletes that group's outputs,
// which nothing references, unless an attempt's outcome was unknown (it may have landed later:
// the outputs then stay, orphans at worst).
import { landedSnapshot, mainSnapshotChange, newSnapshot } from '../commit/main-snapshot.ts';
import { connectorsOf, resolveOffsets } from '../commit/committed-offsets.ts';
import { formatOffsets, offsetsKey } from '../commit/offsets-map.ts';
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { commitWithRetry, lostToOtherWriters } from '../commit/commit-loop.ts';
import { afterNextAppend } from './quiet-gap.ts';
import type { QuietGapOptions } from './quiet-gap.ts';
import type { CommitPlan } from '../commit/commit-loop.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { ADDED, DELETED, EXISTING, manifestSummary, writeManifest } from '../iceberg/manifest.ts';
import type { ManifestEntry } from '../iceberg/manifest.ts';
import { newManifestFile, readManifestList, writeManifestList } from '../iceberg/manifest-list.ts';
import type { ManifestFile } from '../iceberg/manifest-list.ts';
import { currentSchema, currentSnapshot } from '../iceberg/metadata-updates.ts';
import { partitionType } from '../iceberg/partition-spec.ts';
import { newSnapshotId, snapshotSummary } from '../iceberg/snapshot-summary.ts';
import type { PartitionSpec, Snapshot, TableMetadata } from '../iceberg/table-metadata.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { partitionKey, readSnapshotFiles } from './table-files.ts';
import type { LiveFile, ManifestCache, SnapshotFiles } from './table-files.ts';
import { FloeError } from '../errors.ts';

/** One group of a commit: `inputs` (all of spec `specId`) replaced by `outputs`. */
export interface RewriteGroup {
  /** The data files replaced (identified by path), all of spec `specId`. */
  inputs: DataFile[];
  /** The new data files, already written, holding exactly the inputs' rows. */
  outputs: DataFile[];
  specId: number;
}

export interface RewriteGroupsRequest {
  catalog: Catalog;
  table: TableIdentifier;
  /** Groups with disjoint inputs. */
  groups: RewriteGroup[];
  /** floe.maintenance.action (default "stitch"). */
  action?: string;
  /** floe.maintenance.run-id: one id per maintenance run. */
  runId: string;
  io?: FileIO;
  /** Parsed manifests shared by the commits of a run (table-files.ts). */
  manifests?: ManifestCache;
  /** How the commit waits for the gap after a streaming writer's append (quiet-gap.ts). */
  quietGap?: QuietGapOptions;
}

export type RewriteFilesRequest = Omit<RewriteGroupsRequest, 'groups'> & RewriteGroup;

export type RewriteFilesResult =
  | { status: 'committed'; table: LoadedTable; snapshot: Snapshot; attempts: number; dataSequenceNumber: number }
  /** Not committed, outputs deleted: inputs no longer live, deletes apply, or a conflict twice. */
  | { status: 'gave-up'; reason: string; attempts: number }
  /** Not committed for another reason (I/O, catalog error); outputs deleted. */
  | { status: 'failed'; error: unknown; attempts: number }
  /** An attempt's outcome is unknown: it may land later, so the outputs are kept. */
  | { status: 'unknown'; error: unknown; attempts: number };

/** The plan refuses on this head (the inputs are gone, deletes apply): give the group up. */
class GiveUp extends FloeError {
  constructor(reason: string) {
    super('conflict', reason);
  }
}

const MAINTENANCE_PREFIX = 'floe.maintenance.';

export function specById(metadata: TableMetadata, specId: number): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
  if (!spec) throw new Error(`table ${metadata.location} has no partition spec ${specId}`);
  return spec;
}

export function metadataPath(metadata: TableMetadata, file: string): string {
  const dir = metadata.properties?.['write.metadata.path'] ?? `${metadata.location}/metadata`;
  return `${dir}/${file}`;
}

/** Every `floe.*` entry of a summary (offsets maps of every connector, lineage). */
export function floeEntries(summary: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(summary ?? {})) if (k.startsWith('floe.') && !k.startsWith(MAINTENANCE_PREFIX)) out[k] = v;
  return out;
}

/**
 * Every connector's offsets map as the table holds it (committed-offsets.ts), so the maintenance
 * snapshot carries them even when its parent is another engine's snapshot without them.
 */
export function connectorOffsets(metadata: TableMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of connectorsOf(metadata)) {
    try {
      const r = resolveOffsets(metadata, c);
      if (r.source !== 'none') out[offsetsKey(c)] = formatOffsets(r.offsets);
    } catch {
      // unknown offsets (OffsetsUnknownError): the connector says so itself; carry nothing
    }
  }
  return out;
}

/** Why the inputs cannot be replaced on this table state, or their live entries' max data sequence number. */
function checkInputs(live: Map<string, LiveFile>, files: SnapshotFiles, req: RewriteGroup, metadata: TableMetadata): number {
  let maxSeq = 0;
  const keys = new Set<string>();
  for (const input of req.inputs) {
    const f = live.get(input['file-path']);
    if (!f) throw new GiveUp(`${input['file-path']} is no longer live (compacted or deleted by another writer)`);
    if (f.specId !== req.specId) throw new GiveUp(`${input['file-path']} is in spec ${f.specId}, not ${req.specId}`);
    if (files.deletes.length > 0) keys.add(partitionKey(f.specId, f.dataFile.partition));
    maxSeq = Math.max(maxSeq, f.sequenceNumber);
  }
  for (const d of files.deletes) {
    const unpartitioned = specById(metadata, d.specId).fields.length === 0;
    if (unpartitioned || keys.has(partitionKey(d.specId, d.dataFile.partition))) {
      throw new GiveUp(`delete file ${d.dataFile['file-path']} may apply to the inputs (stitching cannot apply deletes)`);
    }
  }
  return maxSeq;
}

/** Replaces one group's `inputs` by its `outputs` in one `replace` snapshot. Never throws. */
export async function rewriteFiles(req: RewriteFilesRequest): Promise<RewriteFilesResult> {
  const { inputs, outputs, specId, ...rest } = req;
  return (await rewriteGroups({ ...rest, groups: [{ inputs, outputs, specId }] }))[0];
}

/**
 * Replaces every group's inputs by its outputs in one `replace` snapshot (see the module
 * comment); one result per group, in order. Never throws.
 */
export async function rewriteGroups(req: RewriteGroupsRequest): Promise<RewriteFilesResult[]> {
  const snapshotId = newSnapshotId();
  const cache: ManifestCache = req.manifests ?? new Map();
  let io = req.io;
  let uncertain = false;
  let attempts = 0;
  const results: (RewriteFilesResult | undefined)[] = req.groups.map(() => undefined);
  /** Index of every group still in the commit → its data sequence number on the head built on. */
  const active = new Map<number, number>(req.groups.map((_g, i) => [i, 0]));
  /** Files this commit wrote that a later attempt may reuse, by what they hold. */
  const reusable = new Map<string, { file: ManifestFile; path: string }>();
  const discard = async (paths: string[]) => {
    if (io) await Promise.all(paths.map((p) => io!.delete(p).catch(() => undefined)));
  };
  /** Outputs of groups given up along the way: deleted at the end, unless an attempt's outcome stays unknown. */
  const givenUp: string[] = [];
  const giveUp = (i: number, reason: string) => {
    results[i] = { status: 'gave-up', reason, attempts };
    active.delete(i);
    givenUp.push(...req.groups[i].outputs.map((f) => f['file-path']));
  };

  const plan: CommitPlan<{ table: LoadedTable; snapshot: Snapshot }> = {
    describe: `${req.action ?? 'stitch'} in ${tableName(req.table)}`,
    build: async (table, attempt) => {
      attempts = attempt;
      io ??= fileIOFor(table.metadata.location, table.config);
      const metadata = table.metadata;
      const parent = currentSnapshot(metadata);
      if (!parent) throw new GiveUp('the table has no snapshot');
      const files = await readSnapshotFiles(io, parent, cache);
      const live = new Map(files.data.map((f) => [f.dataFile['file-path'], f]));
      for (const i of [...active.keys()]) {
        try {
          active.set(i, checkInputs(live, files, req.groups[i], metadata));
        } catch (err) {
          if (!(err instanceof GiveUp)) throw err;
          giveUp(i, err.message);
        }
      }
      if (active.size === 0) throw new GiveUp('no group left to commit');
      const groups = [...active.keys()].map((i) => ({ i, group: req.groups[i], seq: active.get(i)! }));
      const inputPaths = new Set(groups.flatMap(({ group }) => group.inputs.map((f) => f['file-path'])));

      const schema = currentSchema(metadata);
      const written: string[] = [];
      /** A manifest written by this commit, or one an earlier attempt wrote for the same content. */
      const manifestOf = async (key: string, specId: number, entries: () => ManifestEntry[], name: string): Promise<ManifestFile> => {
        const known = reusable.get(key);
        if (known) return known.file;
        const spec = specById(metadata, specId);
        const pType = partitionType(spec, schema);
        const list = entries();
        const bytes = writeManifest({ schema, spec, partitionType: pType, entries: list, formatVersion: 2 });
        const path = metadataPath(metadata, `${crypto.randomUUID()}-${name}.avro`);
        await io!.write(path, bytes);
        const file = newManifestFile({ path, length: bytes.length, specId, snapshotId, summary: manifestSummary(list, pType) });
        reusable.set(key, { file, path });
        return file;
      };
      try {
        // the outputs, ADDED with their group's largest input data sequence number, one manifest per spec
        const manifests: ManifestFile[] = [];
        for (const specId of [...new Set(groups.map(({ group }) => group.specId))].sort((a, b) => a - b)) {
          const of = groups.filter(({ group }) => group.specId === specId);
          const key = `added/${specId}/${of.map(({ i, seq }) => `${i}@${seq}`).join(',')}`;
          const added = () => of.flatMap(({ group, seq }) => group.outputs.map((dataFile): ManifestEntry => ({ status: ADDED, snapshotId, sequenceNumber: seq, fileSequenceNumber: null, dataFile })));
          manifests.push(await manifestOf(key, specId, added, 'm0'));
        }
        // manifests holding an input: rewritten; the others carried forward, but for those
        // with no live entry (all DELETED by an earlier snapshot: nothing for a reader)
        let k = 1;
        for (const { manifest, entries } of files.manifests) {
          const lost = manifest.content === 0 ? entries.filter((e) => e.status !== DELETED && inputPaths.has(e.dataFile['file-path'])) : [];
          if (lost.length === 0) {
            if (entries.some((e) => e.status !== DELETED)) manifests.push(manifest);
            continue;
          }
          const key = `rewritten/${manifest.manifestPath}/${lost.map((e) => e.dataFile['file-path']).join('\n')}`;
          const kept = () =>
            entries.flatMap((e): ManifestEntry[] => {
              if (e.status === DELETED) return [];
              return [inputPaths.has(e.dataFile['file-path']) ? { ...e, status: DELETED, snapshotId } : { ...e, status: EXISTING }];
            });
          manifests.push(await manifestOf(key, manifest.partitionSpecId, kept, `m${k++}`));
        }

        const sequenceNumber = metadata['last-sequence-number'] + 1;
        const listPath = metadataPath(metadata, `snap-${snapshotId}-${attempt}-${crypto.randomUUID()}.avro`);
        await io.write(listPath, writeManifestList({ snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, manifests }));
        written.push(listPath);

        const ins = groups.flatMap(({ group }) => group.inputs);
        const outs = groups.flatMap(({ group }) => group.outputs);
        const sum = (fs: DataFile[], k: 'record-count' | 'file-size-in-bytes') => fs.reduce((n, f) => n + f[k], 0);
        const outBytes = sum(outs, 'file-size-in-bytes');
        const inBytes = sum(ins, 'file-size-in-bytes');
        const extra: Record<string, string> = {
          ...floeEntries(parent.summary),
          ...connectorOffsets(metadata),
          'floe.maintenance.action': req.action ?? 'stitch',
          'floe.maintenance.groups': String(groups.length),
          'floe.maintenance.files-in': String(ins.length),
          'floe.maintenance.files-out': String(outs.length),
          'floe.maintenance.bytes-in': String(inBytes),
          'floe.maintenance.bytes-out': String(outBytes),
          'floe.maintenance.run-id': req.runId,
        };
        const partitions = new Set(groups.flatMap(({ group }) => [...group.inputs, ...group.outputs].map((f) => partitionKey(group.specId, f.partition))));
        const summary = snapshotSummary(
          'replace',
          {
            addedDataFiles: outs.length,
            addedRecords: sum(outs, 'record-count'),
            addedFilesSize: outBytes,
            deletedDataFiles: ins.length,
            deletedRecords: sum(ins, 'record-count'),
            removedFilesSize: inBytes,
            changedPartitionCount: partitions.size,
          },
          parent.summary,
          extra,
        );
        return mainSnapshotChange(metadata, newSnapshot(metadata, snapshotId, parent, listPath, summary), written);
      } catch (err) {
        await discard(written);
        throw err;
      }
    },
    landed: (table) => landedSnapshot(table, snapshotId),
    discard,
    abandon: async (why) => {
      uncertain = why.uncertain;
    },
  };

  let committed: { table: LoadedTable; snapshot: Snapshot } | undefined;
  let failure: unknown;
  try {
    // One attempt on the head as loaded, one more on the new head after a conflict.
    const { result, attempts: n } = await commitWithRetry(req.catalog, req.table, plan, { maxAttempts: 2, beforeAttempt: afterNextAppend(req.catalog, req.table, req.quietGap) });
    committed = result;
    attempts = n;
  } catch (error) {
    failure = error;
  }
  // A commit that landed asserted main's head, so no earlier attempt can land after it; a
  // failure is certain unless the loop said otherwise.
  if (committed) {
    // manifests written for an earlier attempt and not part of the snapshot that landed
    const inSnapshot = new Set(await manifestPaths(io!, committed.snapshot));
    if (inSnapshot.size > 0) await discard([...reusable.values()].map((r) => r.path).filter((p) => !inSnapshot.has(p)));
    await discard(givenUp);
  } else if (!uncertain) {
    await discard([...reusable.values()].map((r) => r.path));
    await discard(givenUp);
    await discard([...active.keys()].flatMap((i) => req.groups[i].outputs.map((f) => f['file-path'])));
  }
  return results.map((r, i): RewriteFilesResult => {
    if (r) return r;
    if (committed) return { status: 'committed', table: committed.table, snapshot: committed.snapshot, attempts, dataSequenceNumber: active.get(i) ?? 0 };
    return failedResult(failure, uncertain, attempts);
  });
}

/** The manifests of a snapshot's list; none when the list cannot be read (nothing is deleted then). */
async function manifestPaths(io: FileIO, snapshot: Snapshot): Promise<string[]> {
  try {
    return readManifestList(await io.read(snapshot['manifest-list'])).map((m) => m.manifestPath);
  } catch {
    return [];
  }
}

function failedResult(error: unknown, uncertain: boolean, attempts: number): RewriteFilesResult {
  if (uncertain) return { status: 'unknown', error, attempts };
  if (error instanceof GiveUp) return { status: 'gave-up', reason: error.message, attempts };
  if (lostToOtherWriters(error)) return { status: 'gave-up', reason: `main moved again: ${(error as Error).message}`, attempts };
  return { status: 'failed', error, attempts };
}
