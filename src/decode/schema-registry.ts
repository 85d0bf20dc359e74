// A client for the Confluent-compatible Schema Registry REST API (Confluent, Apicurio's
// /apis/ccompat/v7, Karapace, Redpanda). Only what floe needs: fetch a schema by id, fetch a
// subject version (to resolve references), register a schema (tests and the demo).
// Schemas by id are immutable in a registry, so they are cached for the life of the client;
// a failed lookup is not cached. A 401 or 403 is RegistryAuthError, whatever the request: no
// record is at fault, so the connector stops on it. Error messages name the registry by its URL
// without user info, and never carry the password or token the client sends.
import { DecodeError } from './decode-error.ts';
import { tlsFetch, type TlsFetchOptions } from './tls-fetch.ts';
import { FloeError } from '../errors.ts';

export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface RegisteredSchema {
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
}

export interface SubjectVersion extends RegisteredSchema {
  subject: string;
  version: number;
  id: number;
}

/** A referenced schema, with the name the referencing schema uses for it. */
export interface ResolvedDependency {
  name: string;
  subject: string;
  version: number;
  schema: string;
  schemaType: SchemaType;
}

export interface ResolvedSchema extends RegisteredSchema {
  id: number;
  /** All schemas this one references, transitively, each once, dependencies before dependents. */
  dependencies: ResolvedDependency[];
}

/** What the decoders need from a registry (a fake in tests can implement just this). */
export interface SchemaLookup {
  resolve(id: number): Promise<ResolvedSchema>;
}

export interface SchemaRegistryOptions {
  /** Base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  url: string;
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
  /** a private CA and/or a client certificate (mTLS) for an https registry: PEM texts */
  tls?: TlsFetchOptions;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class SchemaRegistryError extends FloeError {
  readonly status: number;
  readonly errorCode: number | undefined;
  constructor(status: number, errorCode: number | undefined, message: string) {
    super(status >= 500 || status === 429 || status === 408 ? 'retryable' : 'fatal', message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

/**
 * The registry refused floe's credentials (HTTP 401) or their rights (HTTP 403). Not the
 * record's fault and not transient: the connector stops on it (pipeline/dead-letters.ts).
 */
export class RegistryAuthError extends SchemaRegistryError {
  constructor(status: number, errorCode: number | undefined, message: string) {
    super(status, errorCode, message);
    this.name = 'RegistryAuthError';
  }
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A URL as messages show it: without user info (a password in it is never printed). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/** Node's code of a certificate or handshake failure somewhere in the error's causes, if any. */
function tlsErrorCode(e: unknown): string | undefined {
  for (let x = e, depth = 0; x != null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^(UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|ERR_TLS_CERT_|ERR_SSL_)/.test(code)) return code;
  }
  return undefined;
}

/** the message and its causes' ("fetch failed: connect ECONNREFUSED ...") */
function describeFetchError(e: unknown): string {
  const parts: string[] = [];
  for (let x = e, depth = 0; x != null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const raw = x instanceof Error ? x.message : String(x);
    // OpenSSL's "…:error:0A00045C:SSL routines:ssl3_read_bytes:<reason>:../deps/…": the reason
    const m = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(raw)?.[1] ?? raw.trim();
    if (m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(': ');
}

function schemaTypeOf(v: unknown): SchemaType {
  if (v === undefined || v === null || v === '' || v === 'AVRO') return 'AVRO';
  if (v === 'PROTOBUF' || v === 'JSON') return v;
  throw new DecodeError('unsupported-schema', `registry schema type ${JSON.stringify(v)} is not AVRO, PROTOBUF or JSON`);
}

function referencesOf(v: unknown): SchemaReference[] {
  if (!Array.isArray(v)) return [];
  return v.map((r) => ({ name: String(r.name), subject: String(r.subject), version: Number(r.version) }));
}

export class SchemaRegistryClient implements SchemaLookup {
  private readonly base: string;
  /** The base URL as messages show it. */
  readonly displayUrl: string;
  private readonly headers: Record<string, string>;
  /** Strings that must never appear in an error message (password, token). */
  private readonly secrets: string[] = [];
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly byId = new Map<number, Promise<RegisteredSchema>>();
  private readonly bySubjectVersion = new Map<string, Promise<SubjectVersion>>();
  private readonly resolved = new Map<number, Promise<ResolvedSchema>>();

  constructor(options: SchemaRegistryOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.displayUrl = redactUrl(this.base);
    this.headers = { Accept: `${CONTENT_TYPE}, application/json`, ...options.headers };
    if (options.basicAuth) {
      const token = Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64');
      this.headers.Authorization = `Basic ${token}`;
      this.secrets.push(options.basicAuth.password, token);
    }
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      if (k.toLowerCase() === 'authorization') this.secrets.push(v, v.replace(/^\S+\s+/, ''));
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? (options.tls ? tlsFetch(options.tls) : fetch);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const url = this.base + path;
    const shown = `${method} ${this.displayUrl}${path}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, 'Content-Type': CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const tlsCode = tlsErrorCode(e);
      if (tlsCode) {
        // a certificate that does not verify is a setting to fix, not an outage to wait out
        throw new RegistryAuthError(
          0,
          undefined,
          this.scrub(`TLS with schema registry ${this.displayUrl} failed on ${method} ${path}: ${describeFetchError(e)} (${tlsCode}); check schemaRegistry.tls (caFile, certFile, keyFile)`),
        );
      }
      throw new DecodeError('registry-unavailable', this.scrub(`${shown}: ${describeFetchError(e)}`), { cause: e });
    }
    const text = await res.text();
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      if (res.ok) throw new DecodeError('registry-unavailable', this.scrub(`${shown}: response is not JSON: ${text.slice(0, 200)}`));
    }
    if (!res.ok) {
      const o = (json ?? {}) as Record<string, unknown>;
      const code = typeof o.error_code === 'number' ? o.error_code : undefined;
      const said = typeof o.message === 'string' ? o.message : text.slice(0, 200);
      const msg = this.scrub(`${shown}: HTTP ${res.status}${code ? ` (error ${code})` : ''}: ${said}`);
      if (res.status >= 500 || res.status === 429) throw new DecodeError('registry-unavailable', msg);
      if (res.status === 401 || res.status === 403) {
        const what = res.status === 401 ? 'did not accept the credentials' : 'denied access';
        throw new RegistryAuthError(
          res.status,
          code,
          `schema registry ${this.displayUrl} ${what} (HTTP ${res.status}) on ${method} ${path}: ${this.scrub(said)}; check schemaRegistry.username and password, or token (FLOE_SCHEMA_REGISTRY_USERNAME, _PASSWORD, _TOKEN)`,
        );
      }
      throw new SchemaRegistryError(res.status, code, msg);
    }
    return json;
  }

  /** JSON object answers (every call but checkApi). */
  private async requestObject(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    const json = await this.request(method, path, body);
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  }

  /** The message with every secret this client sends replaced by "***". */
  private scrub(message: string): string {
    let out = message;
    for (const s of this.secrets) if (s.length >= 3) out = out.split(s).join('***');
    return out;
  }

  /**
   * Asks the registry once for its schema types (GET /schemas/types, which Confluent, Apicurio's
   * ccompat API, Karapace and Redpanda all answer): the start-up check that the URL is a registry
   * API and the credentials are accepted. Throws RegistryAuthError on 401/403, SchemaRegistryError
   * on another 4xx (404: the URL lacks its API path) or an answer that is not a list,
   * DecodeError 'registry-unavailable' when it cannot be reached or answers 5xx.
   */
  async checkApi(): Promise<void> {
    const path = '/schemas/types';
    let json: unknown;
    try {
      json = await this.request('GET', path);
    } catch (e) {
      if (e instanceof SchemaRegistryError && !(e instanceof RegistryAuthError) && e.status === 404) {
        throw new SchemaRegistryError(
          404,
          e.errorCode,
          `schema registry ${this.displayUrl}: GET ${path} answered HTTP 404, so this is not the registry's API: is the URL missing its API path, e.g. /apis/ccompat/v7 (Apicurio)?`,
        );
      }
      if (e instanceof DecodeError && /response is not JSON/.test(e.message)) {
        throw new SchemaRegistryError(200, undefined, `schema registry ${this.displayUrl}: GET ${path} did not answer JSON, so this is not the registry's API (is the URL right?)`);
      }
      throw e;
    }
    if (!Array.isArray(json)) {
      throw new SchemaRegistryError(200, undefined, `schema registry ${this.displayUrl}: GET ${path} did not answer a list of schema types, so this is not the registry's API (is the URL right?)`);
    }
  }

  /** GET /schemas/ids/{id}; an unknown id is DecodeError 'unknown-schema'. */
  getSchemaById(id: number): Promise<RegisteredSchema> {
    let p = this.byId.get(id);
    if (!p) {
      p = this.requestObject('GET', `/schemas/ids/${id}`).then(
        (j) => {
          if (typeof j.schema !== 'string') throw new DecodeError('registry-unavailable', `schema ${id}: response has no "schema" string`);
          return { schema: j.schema, schemaType: schemaTypeOf(j.schemaType), references: referencesOf(j.references) };
        },
        (e) => {
          if (e instanceof SchemaRegistryError && e.status === 404) {
            throw new DecodeError('unknown-schema', `schema id ${id} is not in the registry`, { schemaId: id, cause: e });
          }
          throw e;
        },
      );
      this.byId.set(id, p);
      p.catch(() => this.byId.delete(id));
    }
    return p;
  }

  /** GET /subjects/{subject}/versions/{version}; numeric versions are cached. */
  getSubjectVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const key = `${subject}\u0000${version}`;
    let p = version === 'latest' ? undefined : this.bySubjectVersion.get(key);
    if (!p) {
      p = this.requestObject('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`).then(
        (j) => {
          if (typeof j.schema !== 'string') throw new DecodeError('registry-unavailable', `${subject}/${version}: response has no "schema" string`);
          return {
            subject: String(j.subject ?? subject),
            version: Number(j.version),
            id: Number(j.id),
            schema: j.schema,
            schemaType: schemaTypeOf(j.schemaType),
            references: referencesOf(j.references),
          };
        },
        (e) => {
          if (e instanceof SchemaRegistryError && e.status === 404) {
            throw new DecodeError('unknown-schema', `subject "${subject}" version ${version} is not in the registry`, { cause: e });
          }
          throw e;
        },
      );
      if (version !== 'latest') {
        this.bySubjectVersion.set(key, p);
        p.catch(() => this.bySubjectVersion.delete(key));
      }
    }
    return p;
  }

  /** POST /subjects/{subject}/versions; returns the schema id (existing id if already registered). */
  async register(subject: string, schema: { schema: string; schemaType?: SchemaType; references?: SchemaReference[] }): Promise<number> {
    const body: Record<string, unknown> = { schema: schema.schema };
    if (schema.schemaType && schema.schemaType !== 'AVRO') body.schemaType = schema.schemaType;
    if (schema.references && schema.references.length > 0) body.references = schema.references;
    const j = await this.requestObject('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body);
    if (typeof j.id !== 'number') throw new Error(`register ${subject}: response has no id: ${JSON.stringify(j)}`);
    return j.id;
  }

  /** The schema with all its references fetched, transitively, in dependency order. */
  resolve(id: number): Promise<ResolvedSchema> {
    let p = this.resolved.get(id);
    if (!p) {
      p = (async () => {
        const root = await this.getSchemaById(id);
        const dependencies: ResolvedDependency[] = [];
        const done = new Set<string>();
        const visiting = new Set<string>();
        const visit = async (refs: SchemaReference[]): Promise<void> => {
          for (const ref of refs) {
            if (done.has(ref.name)) continue;
            if (visiting.has(ref.name)) throw new DecodeError('unsupported-schema', `schema ${id}: reference cycle through "${ref.name}"`, { schemaId: id });
            visiting.add(ref.name);
            const sv = await this.getSubjectVersion(ref.subject, ref.version);
            await visit(sv.references);
            visiting.delete(ref.name);
            done.add(ref.name);
            dependencies.push({ name: ref.name, subject: ref.subject, version: sv.version, schema: sv.schema, schemaType: sv.schemaType });
          }
        };
        await visit(root.references);
        return { id, ...root, dependencies };
      })();
      this.resolved.set(id, p);
      p.catch(() => this.resolved.delete(id));
    }
    return p;
  }
}
