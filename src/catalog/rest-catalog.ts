// A client for the Iceberg REST catalog (open-api/rest-catalog-open-api.yaml in apache/iceberg).
//
// Every response is parsed with parseJson and every request body written with stringifyJson,
// so snapshot ids above 2^53 travel exactly. Errors are mapped to the catalog errors:
//   409 on a commit → CommitConflictError; 5xx or a timeout during a commit → CommitStateUnknownError;
//   404 → NoSuchTableError / NoSuchNamespaceError; connection refused → CatalogUnreachableError.
// Reads (GET/HEAD) are retried with backoff on 429/503 and on connection failures; writes are not.
// Properties `header.<Name>` are sent as request headers (e.g. X-Iceberg-Access-Delegation).
import { randomBytes } from 'node:crypto';
import { parseJson, stringifyJson } from '../iceberg/json.ts';
import type { TableMetadata, TableRequirement, TableUpdate } from '../iceberg/table-metadata.ts';
import {
  CatalogUnreachableError,
  CommitConflictError,
  CommitStateUnknownError,
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
import { authFromProperties, type AuthRequest, type RestAuth } from './rest-auth.ts';
import { FloeError } from '../errors.ts';

export interface RestCatalogOptions {
  /** Catalog name (for logs and metrics). */
  name?: string;
  /** Base URI, e.g. http://127.0.0.1:8181 (the client appends /v1/...). */
  uri: string;
  /** Sent as ?warehouse= to /v1/config. */
  warehouse?: string;
  /** Client properties in Iceberg's names (token, credential, rest.auth.type, s3.*, ...). */
  properties?: Record<string, string>;
  /** Overrides the auth chosen from the properties. */
  auth?: RestAuth;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Attempts for reads on 429/503/connection failure (default 4). */
  readAttempts?: number;
  /** First backoff delay (default 200 ms; doubles, with jitter, capped at 5 s). */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** Any other error answer from the REST server, with its status and Iceberg error type. */
export class RestCatalogError extends FloeError {
  readonly status: number;
  readonly type?: string;
  readonly url: string;
  constructor(method: string, url: string, status: number, type: string | undefined, message: string) {
    super(status >= 500 || status === 429 || status === 408 ? 'retryable' : 'fatal', `${method} ${url} failed: HTTP ${status}${type ? ` ${type}` : ''}: ${message}`);
    this.status = status;
    this.type = type;
    this.url = url;
  }
}

interface ErrorModel {
  error?: { message?: string; type?: string; code?: number };
}

interface LoadTableResult {
  'metadata-location'?: string;
  metadata: TableMetadata;
  config?: Record<string, string>;
}

interface CatalogConfig {
  defaults?: Record<string, string>;
  overrides?: Record<string, string>;
  endpoints?: string[];
}

type Kind = 'read' | 'write' | 'commit';

const CATALOG_SECRET_KEYS = ['token', 'credential', 'rest.access-key-id', 'rest.secret-access-key', 'rest.session-token'];

/** Connection failures where the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(err: unknown, depth = 0): string | undefined {
  if (err == null || depth > 5) return undefined;
  const e = err as { code?: string; name?: string; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string') return e.code;
  if (e.name === 'TimeoutError') return 'TIMEOUT';
  for (const sub of e.errors ?? []) {
    const c = errorCode(sub, depth + 1);
    if (c) return c;
  }
  return errorCode(e.cause, depth + 1);
}

/** "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:8181" rather than fetch's bare "fetch failed". */
function describeFetchError(err: unknown): string {
  let e = err as { message?: string; code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  let deepest = e;
  for (let i = 0; i < 5 && e; i++) {
    deepest = e;
    e = (e.cause ?? e.errors?.[0]) as typeof e;
  }
  const code = errorCode(err);
  const msg = deepest?.message ?? String(err);
  return code && code !== 'TIMEOUT' && !msg.includes(code) ? `${code} ${msg}` : code === 'TIMEOUT' ? `timed out (${msg})` : msg;
}

/** A time-ordered UUID (version 7), as the spec asks for Idempotency-Key. */
export function uuidV7(nowMs: number = Date.now()): string {
  const b = randomBytes(16);
  const ts = BigInt(nowMs);
  for (let i = 0; i < 6; i++) b[i] = Number((ts >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RestCatalog implements Catalog {
  readonly name: string;
  private readonly opts: RestCatalogOptions;
  private readonly f: typeof fetch;
  private baseUri: string;
  private auth: RestAuth;
  private props: Record<string, string> = {};
  private prefix = '';
  private separator = '%1F';
  private idempotency = false;
  private initialized?: Promise<void>;

  constructor(opts: RestCatalogOptions) {
    this.opts = opts;
    this.name = opts.name ?? 'rest';
    this.baseUri = opts.uri.replace(/\/+$/, '');
    this.f = opts.fetch ?? fetch;
    this.auth = opts.auth ?? authFromProperties(this.baseUri, opts.properties ?? {});
  }

  /** Catalog properties after /v1/config: server defaults, then client properties, then server overrides. */
  async properties(): Promise<Record<string, string>> {
    await this.init();
    return { ...this.props };
  }

  private init(): Promise<void> {
    this.initialized ??= this.loadConfig().catch((err) => {
      this.initialized = undefined; // try again next time
      throw err;
    });
    return this.initialized;
  }

  private async loadConfig(): Promise<void> {
    const warehouse = this.opts.warehouse ?? this.opts.properties?.['warehouse'];
    const q = warehouse ? `?warehouse=${encodeURIComponent(warehouse)}` : '';
    const cfg = await this.request<CatalogConfig>('GET', `${this.baseUri}/v1/config${q}`, undefined, 'read', undefined);
    const props = { ...(cfg?.defaults ?? {}), ...(this.opts.properties ?? {}), ...(cfg?.overrides ?? {}) };
    this.props = props;
    if (cfg?.overrides?.['uri']) this.baseUri = cfg.overrides['uri'].replace(/\/+$/, '');
    this.idempotency = cfg !== undefined && 'idempotency-key-lifetime' in cfg;
    const p = props['prefix'];
    // Used as the server gives it (as Iceberg's Java client does): it is already a path.
    this.prefix = p ? p.replace(/^\/+|\/+$/g, '') : '';
    if (props['namespace-separator']) this.separator = props['namespace-separator'];
    // The server may hand out auth settings too (e.g. oauth2-server-uri): unless the caller passed
    // an auth object, rebuild it from the merged properties (server overrides win, as in Java).
    if (!this.opts.auth && (cfg?.overrides?.['rest.auth.type'] || cfg?.overrides?.['oauth2-server-uri'])) {
      this.auth = authFromProperties(this.baseUri, props);
    }
  }

  private root(): string {
    return this.prefix ? `${this.baseUri}/v1/${this.prefix}` : `${this.baseUri}/v1`;
  }

  /** A namespace as a path segment: parts URL-encoded, joined by the separator (%1F by default). */
  encodeNamespace(namespace: string[]): string {
    if (namespace.length === 0) throw new Error('empty namespace');
    return namespace.map((p) => encodeURIComponent(p)).join(this.separator);
  }

  private nsUrl(namespace: string[]): string {
    return `${this.root()}/namespaces/${this.encodeNamespace(namespace)}`;
  }

  private tableUrl(id: TableIdentifier): string {
    return `${this.nsUrl(id.namespace)}/tables/${encodeURIComponent(id.name)}`;
  }

  /**
   * Sends one request. Returns the parsed body (undefined for 204/HEAD), or throws mapped errors.
   * `notFound` turns a 404 into the caller's error.
   */
  private async request<T>(method: string, url: string, body: unknown, kind: Kind, notFound: ((type: string | undefined) => Error) | undefined, extraHeaders: Record<string, string> = {}): Promise<T> {
    const attempts = kind === 'read' ? (this.opts.readAttempts ?? 4) : 1;
    const text = body === undefined ? undefined : stringifyJson(body);
    let reauthorized = false;
    for (let attempt = 1; ; attempt++) {
      const req: AuthRequest = {
        method,
        url: new URL(url),
        headers: { accept: 'application/json', 'x-client-version': 'floe', ...this.customHeaders(), ...extraHeaders },
        body: text,
      };
      if (text !== undefined) req.headers['content-type'] = 'application/json';
      await this.auth.authorize(req);
      let res: Response;
      try {
        res = await this.f(req.url, {
          method,
          headers: req.headers,
          body: text,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        const code = errorCode(err);
        const notSent = code !== undefined && NOT_SENT_CODES.has(code);
        if (kind === 'commit' && !notSent) {
          throw new CommitStateUnknownError(`commit to ${url} may or may not have been applied: ${code === 'TIMEOUT' ? 'timed out' : (code ?? (err as Error).message)}`, err);
        }
        if (kind === 'read' && attempt < attempts) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new CatalogUnreachableError(url, Object.assign(new Error(describeFetchError(err)), { cause: err }));
      }
      let raw = '';
      try {
        if (method !== 'HEAD') raw = await res.text();
      } catch (err) {
        // The server answered but the body broke off (timeout, reset): for a 2xx commit the
        // outcome is known to be applied only if we could read it, so it is unknown.
        if (kind === 'commit') throw new CommitStateUnknownError(`commit to ${url}: response (HTTP ${res.status}) broke off: ${describeFetchError(err)}`, err);
        throw new CatalogUnreachableError(url, Object.assign(new Error(describeFetchError(err)), { cause: err }));
      }
      if (res.ok) return (raw === '' ? undefined : parseJson<T>(raw)) as T;

      let type: string | undefined;
      let message = raw.slice(0, 500);
      try {
        const e = parseJson<ErrorModel>(raw);
        if (e?.error) {
          type = e.error.type;
          message = e.error.message ?? message;
        }
      } catch {
        // not JSON: keep the text
      }
      const status = res.status;
      if (status === 401 && this.auth.invalidate && !reauthorized) {
        reauthorized = true;
        this.auth.invalidate();
        attempt--;
        continue;
      }
      if (kind === 'read' && (status === 429 || status === 503) && attempt < attempts) {
        const retryAfter = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 10_000) : this.backoff(attempt));
        continue;
      }
      if (status === 404 && notFound) throw notFound(type);
      if (kind === 'commit') {
        if (status === 409) throw new CommitConflictError(`commit to ${url} rejected: ${message}`, new RestCatalogError(method, url, status, type, message));
        if (status >= 500) {
          throw new CommitStateUnknownError(
            `commit to ${url} may or may not have been applied: HTTP ${status}${type ? ` ${type}` : ''}: ${message}`,
            new RestCatalogError(method, url, status, type, message),
          );
        }
      }
      throw new RestCatalogError(method, url, status, type, message);
    }
  }

  /** `header.<Name>` properties are sent as headers (e.g. header.X-Iceberg-Access-Delegation=vended-credentials). */
  private customHeaders(): Record<string, string> {
    const out: Record<string, string> = {};
    const props = { ...(this.opts.properties ?? {}), ...this.props };
    for (const [k, v] of Object.entries(props)) if (k.startsWith('header.') && k.length > 7) out[k.slice(7).toLowerCase()] = v;
    return out;
  }

  private backoff(attempt: number): number {
    const base = this.opts.backoffMs ?? 200;
    const ms = Math.min(5000, base * 2 ** (attempt - 1));
    return ms / 2 + Math.random() * (ms / 2);
  }

  // ---- namespaces ----

  async listNamespaces(parent?: string[]): Promise<string[][]> {
    await this.init();
    const out: string[][] = [];
    let token: string | undefined;
    do {
      const q: string[] = [];
      if (parent && parent.length > 0) q.push(`parent=${this.encodeNamespace(parent)}`);
      if (token) q.push(`pageToken=${encodeURIComponent(token)}`);
      const qs = q.join('&');
      const res = await this.request<{ namespaces: string[][]; 'next-page-token'?: string | null }>(
        'GET',
        `${this.root()}/namespaces${qs ? `?${qs}` : ''}`,
        undefined,
        'read',
        () => new NoSuchNamespaceError(parent ?? []),
      );
      out.push(...(res?.namespaces ?? []));
      token = res?.['next-page-token'] ?? undefined;
    } while (token);
    return out;
  }

  async createNamespace(namespace: string[], properties: Record<string, string> = {}): Promise<void> {
    await this.init();
    try {
      await this.request('POST', `${this.root()}/namespaces`, { namespace, properties }, 'write', undefined);
    } catch (err) {
      if (err instanceof RestCatalogError && err.status === 409) throw new NamespaceAlreadyExistsError(namespace, err);
      throw err;
    }
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    await this.init();
    try {
      await this.request('HEAD', this.nsUrl(namespace), undefined, 'read', () => new NoSuchNamespaceError(namespace));
      return true;
    } catch (err) {
      if (err instanceof NoSuchNamespaceError) return false;
      // Servers without HEAD support: fall back to loading the namespace.
      if (err instanceof RestCatalogError && (err.status === 405 || err.status === 501 || err.status === 400)) {
        try {
          await this.request('GET', this.nsUrl(namespace), undefined, 'read', () => new NoSuchNamespaceError(namespace));
          return true;
        } catch (e) {
          if (e instanceof NoSuchNamespaceError) return false;
          throw e;
        }
      }
      throw err;
    }
  }

  async loadNamespaceProperties(namespace: string[]): Promise<Record<string, string>> {
    await this.init();
    const res = await this.request<{ properties?: Record<string, string> }>('GET', this.nsUrl(namespace), undefined, 'read', () => new NoSuchNamespaceError(namespace));
    return res?.properties ?? {};
  }

  async dropNamespace(namespace: string[]): Promise<void> {
    await this.init();
    await this.request('DELETE', this.nsUrl(namespace), undefined, 'write', () => new NoSuchNamespaceError(namespace));
  }

  // ---- tables ----

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    await this.init();
    const out: TableIdentifier[] = [];
    let token: string | undefined;
    do {
      const qs = token ? `?pageToken=${encodeURIComponent(token)}` : '';
      const res = await this.request<{ identifiers?: TableIdentifier[]; 'next-page-token'?: string | null }>(
        'GET',
        `${this.nsUrl(namespace)}/tables${qs}`,
        undefined,
        'read',
        () => new NoSuchNamespaceError(namespace),
      );
      for (const i of res?.identifiers ?? []) out.push({ namespace: i.namespace, name: i.name });
      token = res?.['next-page-token'] ?? undefined;
    } while (token);
    return out;
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    await this.init();
    try {
      await this.request('HEAD', this.tableUrl(id), undefined, 'read', () => new NoSuchTableError(id));
      return true;
    } catch (err) {
      if (err instanceof NoSuchTableError) return false;
      if (err instanceof RestCatalogError && (err.status === 405 || err.status === 501 || err.status === 400)) {
        try {
          await this.loadTable(id);
          return true;
        } catch (e) {
          if (e instanceof NoSuchTableError || e instanceof NoSuchNamespaceError) return false;
          throw e;
        }
      }
      throw err;
    }
  }

  private notFoundFor(id: TableIdentifier): (type: string | undefined) => Error {
    return (type) => (type === 'NoSuchNamespaceException' ? new NoSuchNamespaceError(id.namespace) : new NoSuchTableError(id));
  }

  private loaded(id: TableIdentifier, res: LoadTableResult, fallbackLocation?: string): LoadedTable {
    const metadataLocation = res['metadata-location'] ?? fallbackLocation;
    if (!res?.metadata || !metadataLocation) throw new Error(`REST catalog returned no metadata for ${tableName(id)}`);
    const config: Record<string, string> = { ...this.props, ...(res.config ?? {}) };
    // The catalog's own secrets are not FileIO properties: keep them out of what callers pass around.
    for (const k of CATALOG_SECRET_KEYS) delete config[k];
    return { identifier: id, metadataLocation, metadata: res.metadata, config };
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    await this.init();
    const res = await this.request<LoadTableResult>('GET', this.tableUrl(id), undefined, 'read', this.notFoundFor(id));
    return this.loaded(id, res);
  }

  async createTable(id: TableIdentifier, request: CreateTableRequest): Promise<LoadedTable> {
    await this.init();
    const body: Record<string, unknown> = { name: id.name, schema: request.schema, 'stage-create': false };
    if (request.location) body.location = request.location;
    if (request.partitionSpec) body['partition-spec'] = request.partitionSpec;
    if (request.sortOrder) body['write-order'] = request.sortOrder;
    if (request.properties) body.properties = request.properties;
    try {
      const res = await this.request<LoadTableResult>('POST', `${this.nsUrl(id.namespace)}/tables`, body, 'write', () => new NoSuchNamespaceError(id.namespace));
      return this.loaded(id, res);
    } catch (err) {
      if (err instanceof RestCatalogError && err.status === 409) throw new TableAlreadyExistsError(id, err);
      throw err;
    }
  }

  async commitTable(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable> {
    await this.init();
    const body = { identifier: { namespace: id.namespace, name: id.name }, requirements, updates };
    // Servers that advertise idempotency-key-lifetime answer a replayed key with the first outcome.
    const headers: Record<string, string> = this.idempotency ? { 'idempotency-key': uuidV7() } : {};
    const res = await this.request<LoadTableResult>('POST', this.tableUrl(id), body, 'commit', this.notFoundFor(id), headers);
    return this.loaded(id, res);
  }

  async dropTable(id: TableIdentifier, purge = false): Promise<void> {
    await this.init();
    await this.request('DELETE', `${this.tableUrl(id)}?purgeRequested=${purge}`, undefined, 'write', this.notFoundFor(id));
  }

  async close(): Promise<void> {}
}
