// The embedded catalog: a SQLite file (node:sqlite) whose tables are exactly those of Iceberg
// Java's JdbcCatalog and PyIceberg's SqlCatalog, so either of them opens the same file:
//
//   iceberg_tables(catalog_name, table_namespace, table_name, metadata_location,
//                  previous_metadata_location, iceberg_type)       PK (catalog_name, table_namespace, table_name)
//   iceberg_namespace_properties(catalog_name, namespace, property_key, property_value)
//                                                                   PK (catalog_name, namespace, property_key)
//
// Namespaces of several levels are stored joined by '.'. A table's default location is
// <warehouse>/<namespace joined by '.'>/<table> (PyIceberg 0.12's SqlCatalog), or
// <namespace property "location">/<table>. A commit writes the next metadata file
// (<NNNNN>-<uuid>.metadata.json) and then swaps the pointer with
// UPDATE ... WHERE metadata_location = <the one we read>; no row changed means someone else
// committed first: CommitConflictError, and the file we wrote is deleted.
//
// Several processes may share the file: WAL journal, a busy timeout, and the conditional UPDATE
// as the only commit point. DatabaseSync is synchronous: a busy wait blocks the event loop for
// at most the busy timeout.
//
// Durability: in WAL mode the file runs at synchronous=NORMAL (SQLite writes each transaction to
// the WAL without syncing it) and every change here returns only after the WAL file is fsynced
// on the thread pool (durable()): as durable as synchronous=FULL, which would fsync inside the
// statement and hold the event loop for the disk's flush (~0.2–1 ms a commit on a local disk).
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { parseJson, stringifyJson } from '../iceberg/json.ts';
import { applyUpdates, checkRequirements, newTableMetadata, RequirementFailedError } from '../iceberg/metadata-updates.ts';
import type { TableMetadata, TableRequirement, TableUpdate } from '../iceberg/table-metadata.ts';
import type { FileIO, FileIOProperties } from '../io/file-io.ts';
import { localPath } from '../io/local-file-io.ts';
import { fileIOFor, schemeOf } from '../io/resolve-file-io.ts';
import { METADATA_DELETE_AFTER_COMMIT } from '../iceberg/table-properties.ts';
import {
  CommitConflictError,
  NamespaceAlreadyExistsError,
  NoSuchNamespaceError,
  NoSuchTableError,
  TableAlreadyExistsError,
  tableName,
  type Catalog,
  type CreateTableRequest,
  type LoadedTable,
  type TableIdentifier,
} from './catalog.ts';

export interface SqlCatalogOptions {
  /** The catalog_name column; PyIceberg's SqlCatalog must be given the same name. Default "default". */
  name?: string;
  /** The SQLite file: a path, file:// URI, sqlite:///path (SQLAlchemy) or jdbc:sqlite:path. */
  uri: string;
  /** Where new tables go: file:///..., s3://bucket/prefix, or an absolute path. */
  warehouse?: string;
  /** FileIO properties (s3.endpoint, ...), also handed out with every loaded table. */
  properties?: FileIOProperties;
  /** Overrides the FileIO chosen by each location's scheme (tests). */
  fileIO?: FileIO;
  /** How long to wait for another process's lock (default 10 s). */
  busyTimeoutMs?: number;
  /**
   * SQLite journal mode (default 'wal': readers never block the committer). Use 'delete' on a
   * network file system, where WAL's shared memory does not work.
   */
  journalMode?: 'wal' | 'delete';
}

const TABLE_TYPE = 'TABLE';
/** Swaps of the metadata pointer tried in one commitTable before another writer's commits count as a conflict. */
const SWAP_ATTEMPTS = 5;

// The DDL PyIceberg's SqlCatalog (SQLAlchemy create_all) issues for SQLite; Java's JdbcCatalog
// creates the same columns (iceberg_type added by its V1 migration).
const CREATE_TABLES_SQL = `CREATE TABLE IF NOT EXISTS iceberg_tables (
	catalog_name VARCHAR(255) NOT NULL, 
	table_namespace VARCHAR(255) NOT NULL, 
	table_name VARCHAR(255) NOT NULL, 
	metadata_location VARCHAR(1000), 
	previous_metadata_location VARCHAR(1000), 
	iceberg_type VARCHAR(5), 
	PRIMARY KEY (catalog_name, table_namespace, table_name)
)`;
const CREATE_NAMESPACE_PROPERTIES_SQL = `CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
	catalog_name VARCHAR(255) NOT NULL, 
	namespace VARCHAR(255) NOT NULL, 
	property_key VARCHAR(255) NOT NULL, 
	property_value VARCHAR(1000) NOT NULL, 
	PRIMARY KEY (catalog_name, namespace, property_key)
)`;

/** The file path of a SQLite URI in any of the spellings we accept. */
export function sqliteFilePath(uri: string): string {
  if (uri === ':memory:') return uri;
  let u = uri;
  if (u.startsWith('jdbc:sqlite:')) u = u.slice('jdbc:sqlite:'.length);
  else if (u.startsWith('sqlite:///')) return '/' + u.slice('sqlite:///'.length).replace(/^\/+/, '');
  else if (u.startsWith('sqlite://')) throw new Error(`SQLite URI needs an absolute path (sqlite:////abs/file.db or sqlite:///abs/file.db): ${uri}`);
  if (u.startsWith('file:')) return localPath(u.split('?')[0]);
  return u;
}

const METADATA_FILE = /^(\d+)-([0-9a-fA-F-]{36})\.metadata\.json$/;

/** The version in a metadata file name (00042-<uuid>.metadata.json → 42), -1 if it has none. */
export function metadataVersion(location: string): number {
  const m = METADATA_FILE.exec(location.slice(location.lastIndexOf('/') + 1));
  return m ? Number(m[1]) : -1;
}

function escapeLike(s: string): string {
  return s.replace(/!/g, '!!').replace(/_/g, '!_').replace(/%/g, '!%');
}

function isConstraintError(err: unknown): boolean {
  const e = err as { code?: string; errcode?: number; message?: string };
  return (e?.errcode !== undefined && (e.errcode & 0xff) === 19) || /constraint/i.test(e?.message ?? '');
}

function isBusyError(err: unknown): boolean {
  const e = err as { errcode?: number; message?: string };
  return (e?.errcode !== undefined && ((e.errcode & 0xff) === 5 || (e.errcode & 0xff) === 6)) || /database is locked|SQLITE_BUSY/i.test(e?.message ?? '');
}

export class SqlCatalog implements Catalog {
  readonly name: string;
  readonly warehouse?: string;
  private readonly db: DatabaseSync;
  private readonly props: FileIOProperties;
  private readonly fixedIO?: FileIO;
  private readonly ios = new Map<string, FileIO>();
  /**
   * The metadata this catalog last read or wrote for each table, with its location. A metadata
   * file never changes once written, so while the catalog's pointer still names that file, a
   * load or a commit takes it as it is instead of reading and parsing it again (two per commit:
   * ~10 % of the CPU of a one-file commit). Another process's commit moves the pointer to a file
   * not held here, which is read. The objects are shared: metadata is never changed in place
   * (applyUpdates works on a copy).
   */
  private readonly lastKnown = new Map<string, { location: string; metadata: TableMetadata }>();
  /** false on an old (v0) file without the iceberg_type column. */
  private readonly hasType: boolean;
  /** The WAL file durable() fsyncs (undefined: not in WAL mode, where SQLite syncs at commit itself). */
  private readonly walPath: string | undefined;
  /** The WAL fsync under way, and the one that starts when it ends (durable()). */
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;
  private readonly st: Record<string, StatementSync> = {};

  constructor(opts: SqlCatalogOptions) {
    this.name = opts.name ?? 'default';
    this.warehouse = opts.warehouse?.replace(/\/+$/, '');
    this.props = { ...(opts.properties ?? {}) };
    this.fixedIO = opts.fileIO;
    const path = sqliteFilePath(opts.uri);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const timeout = opts.busyTimeoutMs ?? 10_000;
    this.db = new DatabaseSync(path, { timeout });
    this.db.exec(`PRAGMA busy_timeout = ${timeout}`);
    if (path !== ':memory:') {
      const mode = this.db.prepare(`PRAGMA journal_mode = ${opts.journalMode === 'delete' ? 'DELETE' : 'WAL'}`).get() as { journal_mode?: string } | undefined;
      if (mode?.journal_mode?.toLowerCase() === 'wal') {
        this.db.exec('PRAGMA synchronous = NORMAL');
        this.walPath = `${path}-wal`;
      }
    }
    this.db.exec(CREATE_TABLES_SQL);
    this.db.exec(CREATE_NAMESPACE_PROPERTIES_SQL);
    const cols = this.db.prepare('PRAGMA table_info(iceberg_tables)').all() as { name: string }[];
    this.hasType = cols.some((c) => c.name === 'iceberg_type');
  }

  private typeFilter(): string {
    return this.hasType ? ` AND (iceberg_type = '${TABLE_TYPE}' OR iceberg_type IS NULL)` : '';
  }

  private stmt(key: string, sql: string): StatementSync {
    return (this.st[key] ??= this.db.prepare(sql));
  }

  private io(location: string): FileIO {
    if (this.fixedIO) return this.fixedIO;
    const key = schemeOf(location) ?? 'file';
    let io = this.ios.get(key);
    if (!io) {
      io = fileIOFor(location, this.props);
      this.ios.set(key, io);
    }
    return io;
  }

  /**
   * Makes every change committed so far durable: fsyncs the WAL file (synchronous=NORMAL leaves
   * that to the checkpoint) on the thread pool. One fsync covers every change written before it
   * started, so changes that come while one is under way share the next (group commit: many
   * tables committing together cost a few syncs, not one each).
   */
  private durable(): Promise<void> {
    if (this.walPath === undefined) return Promise.resolve();
    if (this.syncing === undefined) return this.startSync(this.walPath);
    const wal = this.walPath;
    return (this.nextSync ??= this.syncing
      .catch(() => {})
      .then(() => {
        this.nextSync = undefined;
        return this.startSync(wal);
      }));
  }

  private startSync(wal: string): Promise<void> {
    const p = fsyncFile(wal);
    this.syncing = p;
    p.then(
      () => this.syncDone(p),
      () => this.syncDone(p),
    );
    return p;
  }

  private syncDone(p: Promise<void>): void {
    if (this.syncing === p) this.syncing = undefined;
  }

  private withTransaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.db.exec('COMMIT');
      return r;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  // ---- namespaces ----

  private nsString(namespace: string[]): string {
    if (namespace.length === 0) throw new NoSuchNamespaceError(namespace);
    if (namespace.some((p) => p === '' || p.includes('.'))) {
      throw new Error(`namespace parts must be non-empty and contain no '.': ${JSON.stringify(namespace)}`);
    }
    return namespace.join('.');
  }

  private nsExists(ns: string): boolean {
    const like = escapeLike(ns) + '.%';
    const t = this.stmt('nsExistsT', `SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND (table_namespace = ? OR table_namespace LIKE ? ESCAPE '!') LIMIT 1`).get(this.name, ns, like);
    if (t) return true;
    const p = this.stmt('nsExistsP', `SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND (namespace = ? OR namespace LIKE ? ESCAPE '!') LIMIT 1`).get(this.name, ns, like);
    return p !== undefined;
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    return this.nsExists(this.nsString(namespace));
  }

  async createNamespace(namespace: string[], properties: Record<string, string> = {}): Promise<void> {
    const ns = this.nsString(namespace);
    const props = Object.keys(properties).length > 0 ? properties : { exists: 'true' };
    this.withTransaction(() => {
      if (this.nsExists(ns)) throw new NamespaceAlreadyExistsError(namespace);
      const ins = this.stmt('nsInsert', 'INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)');
      for (const [k, v] of Object.entries(props)) ins.run(this.name, ns, k, v);
    });
    await this.durable();
  }

  async listNamespaces(parent: string[] = []): Promise<string[][]> {
    if (parent.length > 0 && !this.nsExists(this.nsString(parent))) throw new NoSuchNamespaceError(parent);
    const rows = this.stmt(
      'nsList',
      `SELECT table_namespace AS ns FROM iceberg_tables WHERE catalog_name = ?
       UNION SELECT namespace AS ns FROM iceberg_namespace_properties WHERE catalog_name = ?`,
    ).all(this.name, this.name) as { ns: string }[];
    const level = parent.length + 1;
    const seen = new Map<string, string[]>();
    for (const { ns } of rows) {
      const parts = ns.split('.');
      if (parts.length < level) continue;
      if (!parent.every((p, i) => parts[i] === p)) continue;
      const child = parts.slice(0, level);
      seen.set(child.join('.'), child);
    }
    return [...seen.values()].sort((a, b) => (a.join('.') < b.join('.') ? -1 : 1));
  }

  async loadNamespaceProperties(namespace: string[]): Promise<Record<string, string>> {
    const ns = this.nsString(namespace);
    if (!this.nsExists(ns)) throw new NoSuchNamespaceError(namespace);
    const rows = this.stmt('nsProps', 'SELECT property_key AS k, property_value AS v FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?').all(this.name, ns) as {
      k: string;
      v: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.k, r.v]));
  }

  async dropNamespace(namespace: string[]): Promise<void> {
    const ns = this.nsString(namespace);
    this.withTransaction(() => {
      if (!this.nsExists(ns)) throw new NoSuchNamespaceError(namespace);
      const n = this.stmt('nsTables', `SELECT COUNT(*) AS n FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?`).get(this.name, ns) as { n: number };
      if (n.n > 0) throw new Error(`namespace ${ns} is not empty: ${n.n} table(s)`);
      this.stmt('nsDelete', 'DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?').run(this.name, ns);
    });
    await this.durable();
  }

  // ---- tables ----

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    const ns = this.nsString(namespace);
    if (!this.nsExists(ns)) throw new NoSuchNamespaceError(namespace);
    const rows = this.db.prepare(`SELECT table_name AS t FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?${this.typeFilter()} ORDER BY table_name`).all(this.name, ns) as {
      t: string;
    }[];
    return rows.map((r) => ({ namespace: [...namespace], name: r.t }));
  }

  private currentLocation(id: TableIdentifier): string | undefined {
    const row = this.stmt('tableGet', `SELECT metadata_location AS m FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?${this.typeFilter()}`).get(
      this.name,
      this.nsString(id.namespace),
      id.name,
    ) as { m: string | null } | undefined;
    if (!row) return undefined;
    if (!row.m) throw new NoSuchTableError(id);
    return row.m;
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    return this.currentLocation(id) !== undefined;
  }

  private async readMetadata(location: string): Promise<TableMetadata> {
    const bytes = await this.io(location).read(location);
    return parseJson<TableMetadata>(new TextDecoder().decode(bytes));
  }

  /** The table's metadata at `location`, its pointer now: held (lastKnown) or read. */
  private async currentMetadata(id: TableIdentifier, location: string): Promise<TableMetadata> {
    const key = this.tableKey(id);
    const held = this.lastKnown.get(key);
    if (held?.location === location) return held.metadata;
    const metadata = await this.readMetadata(location);
    this.lastKnown.set(key, { location, metadata });
    return metadata;
  }

  private tableKey(id: TableIdentifier): string {
    return `${this.nsString(id.namespace)}\u0000${id.name}`;
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    const metadataLocation = this.currentLocation(id);
    if (!metadataLocation) throw new NoSuchTableError(id);
    const metadata = await this.currentMetadata(id, metadataLocation);
    return { identifier: id, metadataLocation, metadata, config: { ...this.props } };
  }

  private async defaultLocation(id: TableIdentifier): Promise<string> {
    const nsProps = await this.loadNamespaceProperties(id.namespace);
    if (nsProps['location']) return `${nsProps['location'].replace(/\/+$/, '')}/${id.name}`;
    if (!this.warehouse) throw new Error(`no warehouse configured and no location given for table ${tableName(id)}`);
    return `${this.warehouse}/${this.nsString(id.namespace)}/${id.name}`;
  }

  private metadataFileLocation(metadata: TableMetadata, version: number): string {
    const dir = metadata.properties?.['write.metadata.path']?.replace(/\/+$/, '') ?? `${metadata.location}/metadata`;
    return `${dir}/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
  }

  private async writeMetadata(location: string, metadata: TableMetadata): Promise<void> {
    await this.io(location).write(location, new TextEncoder().encode(stringifyJson(metadata)));
  }

  async createTable(id: TableIdentifier, request: CreateTableRequest): Promise<LoadedTable> {
    const ns = this.nsString(id.namespace);
    if (!this.nsExists(ns)) throw new NoSuchNamespaceError(id.namespace);
    if (this.currentLocation(id) !== undefined) throw new TableAlreadyExistsError(id);
    const location = (request.location ?? (await this.defaultLocation(id))).replace(/\/+$/, '');
    const metadata = newTableMetadata({
      schema: request.schema,
      spec: request.partitionSpec,
      sortOrder: request.sortOrder,
      location,
      properties: request.properties ?? {},
    });
    const metadataLocation = this.metadataFileLocation(metadata, 0);
    await this.writeMetadata(metadataLocation, metadata);
    try {
      const cols = this.hasType ? ', iceberg_type' : '';
      const vals = this.hasType ? ', ?' : '';
      const args = [this.name, ns, id.name, metadataLocation, null, ...(this.hasType ? [TABLE_TYPE] : [])];
      this.db.prepare(`INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location${cols}) VALUES (?, ?, ?, ?, ?${vals})`).run(...args);
    } catch (err) {
      await this.io(metadataLocation)
        .delete(metadataLocation)
        .catch(() => {});
      if (isConstraintError(err)) throw new TableAlreadyExistsError(id, err);
      throw err;
    }
    await this.durable();
    return { identifier: id, metadataLocation, metadata, config: { ...this.props } };
  }

  /**
   * Another writer's commit can land between reading the current metadata and swapping the
   * pointer. Then, as the REST catalog's server does, the change is checked and applied again on
   * the new current metadata: a requirement that no longer holds is a conflict for the caller; if
   * every requirement still holds (the other commit changed what this one does not assert: a tag,
   * a property, expired snapshots), it commits here, without a round trip through the caller's
   * retry loop (which would rebuild its manifests).
   */
  async commitTable(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable> {
    for (let attempt = 1; ; attempt++) {
      const committed = await this.swapOnce(id, requirements, updates);
      if (committed !== 'moved') return committed;
      if (attempt >= SWAP_ATTEMPTS) throw new CommitConflictError(`commit to ${tableName(id)} lost the race ${attempt} times: its metadata kept moving`);
    }
  }

  /** One compare-and-swap of the metadata pointer; 'moved' when another commit swapped it first. */
  private async swapOnce(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable | 'moved'> {
    const ns = this.nsString(id.namespace);
    const base = this.currentLocation(id);
    if (!base) throw new NoSuchTableError(id);
    const current = await this.currentMetadata(id, base);
    try {
      checkRequirements(current, requirements);
    } catch (err) {
      if (err instanceof RequirementFailedError) throw new CommitConflictError(`commit to ${tableName(id)} rejected: ${err.message}`, err);
      throw err;
    }
    const next = applyUpdates(current, updates, Date.now(), base);
    const nextLocation = this.metadataFileLocation(next, metadataVersion(base) + 1);
    await this.writeMetadata(nextLocation, next);
    let changes: number | bigint;
    try {
      changes = this.stmt(
        'commit',
        `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
         WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?${this.typeFilter()}`,
      ).run(nextLocation, base, this.name, ns, id.name, base).changes;
    } catch (err) {
      // The UPDATE did not run: nothing changed, so the caller may reload and retry.
      await this.io(nextLocation)
        .delete(nextLocation)
        .catch(() => {});
      if (isBusyError(err)) {
        throw new CommitConflictError(`commit to ${tableName(id)} not applied: the catalog database stayed locked by another process past the busy timeout`, err);
      }
      throw err;
    }
    if (Number(changes) !== 1) {
      await this.io(nextLocation)
        .delete(nextLocation)
        .catch(() => {});
      return 'moved';
    }
    this.lastKnown.set(this.tableKey(id), { location: nextLocation, metadata: next });
    await this.durable();
    await this.deleteDroppedMetadata(current, next);
    return { identifier: id, metadataLocation: nextLocation, metadata: next, config: { ...this.props } };
  }

  /** With write.metadata.delete-after-commit.enabled=true, delete metadata files that fell off the log. */
  private async deleteDroppedMetadata(before: TableMetadata, after: TableMetadata): Promise<void> {
    if (after.properties?.[METADATA_DELETE_AFTER_COMMIT] !== 'true') return;
    const kept = new Set((after['metadata-log'] ?? []).map((e) => e['metadata-file']));
    for (const e of before['metadata-log'] ?? []) {
      if (!kept.has(e['metadata-file']))
        await this.io(e['metadata-file'])
          .delete(e['metadata-file'])
          .catch(() => {});
    }
  }

  /**
   * Removes the table from the catalog. With purge, also deletes every file under the table's
   * location (data, manifests, metadata): the table's folder is its own.
   */
  async dropTable(id: TableIdentifier, purge = false): Promise<void> {
    const ns = this.nsString(id.namespace);
    const loc = this.currentLocation(id);
    if (!loc) throw new NoSuchTableError(id);
    let metadata: TableMetadata | undefined;
    if (purge) metadata = await this.readMetadata(loc);
    const r = this.stmt('drop', `DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?${this.typeFilter()}`).run(this.name, ns, id.name);
    if (Number(r.changes) === 0) throw new NoSuchTableError(id);
    this.lastKnown.delete(this.tableKey(id));
    await this.durable();
    if (metadata) {
      const io = this.io(metadata.location);
      for await (const f of io.list(`${metadata.location}/`)) await io.delete(f.location);
    }
  }

  async close(): Promise<void> {
    for (const io of this.ios.values()) await io.close?.();
    this.ios.clear();
    if (this.db.isOpen) this.db.close();
  }
}

/** fsync of a file on the thread pool; a missing file has nothing to sync (a WAL a checkpoint folded into the database file, synced then). */
async function fsyncFile(path: string): Promise<void> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}
