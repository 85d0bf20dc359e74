// Authentication for the REST catalog client: a static bearer token, OAuth2 client
// credentials (with a cached token refreshed before it expires), or AWS SigV4 (Glue's and
// S3 Tables' Iceberg REST endpoints). Chosen from catalog properties in Iceberg's names:
//
//   rest.auth.type        none | bearer | oauth2 | sigv4 (absent: sigv4 if rest.sigv4-enabled=true,
//                         else oauth2 if `credential` is set, else bearer if `token` is set, else none)
//   token                 static bearer token
//   credential            "client_id:client_secret" (or just "client_secret") for OAuth2
//   oauth2-server-uri     token endpoint (default: <uri>/v1/oauth/tokens)
//   scope                 OAuth2 scope (default PRINCIPAL_ROLE:ALL)
//   rest.signing-name     SigV4 service: glue, s3tables, execute-api (default: guessed from the host)
//   rest.signing-region   SigV4 region (else client.region, AWS_REGION, the region in the host)
//   rest.access-key-id, rest.secret-access-key, rest.session-token
//                         static SigV4 credentials (absent: the SDK's default provider chain)
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import { FloeError } from '../errors.ts';

/** A request about to be sent; `authorize` adds headers to it in place. */
export interface AuthRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface RestAuth {
  readonly kind: string;
  authorize(req: AuthRequest): Promise<void>;
  /** The server said 401: forget cached tokens so the next authorize fetches a new one. */
  invalidate?(): void;
}

export class NoAuth implements RestAuth {
  readonly kind = 'none';
  async authorize(): Promise<void> {}
}

export class BearerAuth implements RestAuth {
  readonly kind = 'bearer';
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
  async authorize(req: AuthRequest): Promise<void> {
    req.headers['authorization'] = `Bearer ${this.token}`;
  }
}

export class OAuth2Error extends FloeError {
  readonly status?: number;
  constructor(message: string, status?: number, cause?: unknown) {
    super(status === undefined || status >= 500 || status === 429 ? 'retryable' : 'fatal', message, { cause });
    this.status = status;
  }
}

export interface OAuth2Options {
  tokenUrl: string;
  clientId?: string;
  clientSecret: string;
  scope?: string;
  /** Refresh this long before expiry at most (default 60 s; never more than a tenth of the lifetime). */
  refreshMarginMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** OAuth2 client-credentials grant; one token request in flight at a time. */
export class OAuth2ClientCredentialsAuth implements RestAuth {
  readonly kind = 'oauth2';
  private readonly opts: OAuth2Options;
  private token?: string;
  private refreshAt = 0;
  private pending?: Promise<string>;
  /** How many tokens were fetched (for tests and metrics). */
  fetches = 0;

  constructor(opts: OAuth2Options) {
    this.opts = opts;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async authorize(req: AuthRequest): Promise<void> {
    req.headers['authorization'] = `Bearer ${await this.currentToken()}`;
  }

  invalidate(): void {
    this.token = undefined;
    this.refreshAt = 0;
  }

  async currentToken(): Promise<string> {
    if (this.token !== undefined && this.now() < this.refreshAt) return this.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.opts.clientId) form.set('client_id', this.opts.clientId);
    form.set('client_secret', this.opts.clientSecret);
    form.set('scope', this.opts.scope ?? 'PRINCIPAL_ROLE:ALL');
    const f = this.opts.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(this.opts.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new OAuth2Error(`OAuth2 token endpoint ${this.opts.tokenUrl} unreachable: ${causeMessage(err)}`, undefined, err);
    }
    const text = await res.text();
    let body: { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new OAuth2Error(`OAuth2 token endpoint ${this.opts.tokenUrl} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`, res.status);
    }
    if (!res.ok || !body.access_token) {
      const why = body.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : text.slice(0, 200);
      throw new OAuth2Error(`OAuth2 token request to ${this.opts.tokenUrl} failed (HTTP ${res.status}): ${why}`, res.status);
    }
    this.fetches++;
    this.token = body.access_token;
    const issued = this.now();
    if (typeof body.expires_in === 'number' && body.expires_in > 0) {
      const lifetime = body.expires_in * 1000;
      const margin = Math.min(this.opts.refreshMarginMs ?? 60_000, lifetime / 10);
      this.refreshAt = issued + lifetime - margin;
    } else {
      // No expiry given: keep it until the server says 401.
      this.refreshAt = Number.POSITIVE_INFINITY;
    }
    return this.token;
  }
}

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Options {
  /** Service name in the credential scope: 'glue', 's3tables', 'execute-api'. */
  service: string;
  region: string;
  /** Static credentials, or a provider (default: the AWS SDK's default chain). */
  credentials?: SigV4Credentials | (() => Promise<SigV4Credentials>);
  /** Fixed signing time, for tests. */
  now?: () => Date;
}

export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** AWS Signature Version 4, signed by the AWS SDK's own signer. */
export class SigV4Auth implements RestAuth {
  readonly kind = 'sigv4';
  readonly service: string;
  readonly region: string;
  private readonly signer: SignatureV4;
  private readonly now?: () => Date;

  constructor(opts: SigV4Options) {
    this.service = opts.service;
    this.region = opts.region;
    this.now = opts.now;
    const creds = opts.credentials ?? fromNodeProviderChain();
    this.signer = new SignatureV4({
      service: opts.service,
      region: opts.region,
      credentials: typeof creds === 'function' ? creds : async () => creds,
      sha256: Sha256,
      // AWS services other than S3 expect each path segment encoded twice in the canonical request.
      uriEscapePath: true,
      // authorize adds x-amz-content-sha256 itself; sign adds no header the request does not carry.
      applyChecksum: false,
    });
  }

  async authorize(req: AuthRequest): Promise<void> {
    const body = req.body ?? '';
    const payloadHash = body === '' ? EMPTY_BODY_SHA256 : createHash('sha256').update(body, 'utf8').digest('hex');
    // A bearer token from another scheme would clash with SigV4's Authorization header.
    for (const k of Object.keys(req.headers)) {
      if (k.toLowerCase() === 'authorization') {
        req.headers['original-authorization'] = req.headers[k];
        delete req.headers[k];
      }
    }
    req.headers['x-amz-content-sha256'] = payloadHash;
    await this.sign(req);
  }

  /**
   * Signs the request as it stands: every header it carries is signed, and x-amz-date,
   * x-amz-security-token (with a session token) and authorization are added. `authorize` calls
   * it after adding x-amz-content-sha256, as Iceberg's Java client does; tests call it alone to
   * check the signing against AWS's published SigV4 test vectors.
   */
  async sign(req: AuthRequest): Promise<void> {
    const signed = await this.signer.sign(toSignable(req), this.now ? { signingDate: this.now() } : undefined);
    for (const [k, v] of Object.entries(signed.headers)) req.headers[k.toLowerCase()] = String(v);
  }
}

/** The request in the shape the AWS signer takes (exported so tests can re-sign it). */
export function toSignable(req: AuthRequest): {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: string;
} {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  headers['host'] = req.url.host;
  return {
    method: req.method,
    protocol: req.url.protocol,
    hostname: req.url.hostname,
    port: req.url.port ? Number(req.url.port) : undefined,
    path: req.url.pathname,
    query,
    headers,
    body: req.body,
  };
}

function causeMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  if (e?.cause?.code) return `${e.cause.code} ${e.cause.message ?? ''}`.trim();
  return e?.message ?? String(err);
}

/** The signing service for a known AWS host, else execute-api (as Iceberg's Java client). */
export function guessSigningName(uri: string): string {
  const host = new URL(uri).hostname;
  if (/(^|\.)glue[.-]/.test(host)) return 'glue';
  if (/(^|\.)s3tables[.-]/.test(host)) return 's3tables';
  return 'execute-api';
}

function regionFromHost(uri: string): string | undefined {
  const m = /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com/.exec(new URL(uri).hostname);
  return m?.[1];
}

/** The auth a REST catalog at `uri` uses, from its properties (see the top of this file). */
export function authFromProperties(uri: string, props: Record<string, string>): RestAuth {
  let type = props['rest.auth.type']?.toLowerCase();
  if (!type) {
    if (props['rest.sigv4-enabled'] === 'true') type = 'sigv4';
    else if (props['credential']) type = 'oauth2';
    else if (props['token']) type = 'bearer';
    else type = 'none';
  }
  switch (type) {
    case 'none':
      return new NoAuth();
    case 'bearer': {
      if (!props['token']) throw new Error('rest.auth.type=bearer needs the property "token"');
      return new BearerAuth(props['token']);
    }
    case 'oauth2': {
      if (!props['credential']) {
        if (props['token']) return new BearerAuth(props['token']);
        throw new Error('rest.auth.type=oauth2 needs the property "credential" (client_id:client_secret)');
      }
      const cred = props['credential'];
      const i = cred.indexOf(':');
      const base = uri.replace(/\/+$/, '');
      return new OAuth2ClientCredentialsAuth({
        tokenUrl: props['oauth2-server-uri'] || `${base}/v1/oauth/tokens`,
        clientId: i >= 0 ? cred.slice(0, i) : undefined,
        clientSecret: i >= 0 ? cred.slice(i + 1) : cred,
        scope: props['scope'] || 'PRINCIPAL_ROLE:ALL',
      });
    }
    case 'sigv4': {
      const region = props['rest.signing-region'] || props['client.region'] || regionFromHost(uri) || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
      if (!region) throw new Error('SigV4 needs a region: set rest.signing-region (or client.region, or AWS_REGION)');
      const accessKeyId = props['rest.access-key-id'];
      const secretAccessKey = props['rest.secret-access-key'];
      if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
        throw new Error('rest.access-key-id and rest.secret-access-key must be given together');
      }
      return new SigV4Auth({
        service: props['rest.signing-name'] || guessSigningName(uri),
        region,
        credentials: accessKeyId ? { accessKeyId, secretAccessKey, sessionToken: props['rest.session-token'] || undefined } : undefined,
      });
    }
    default:
      throw new Error(`unknown rest.auth.type "${type}" (none, bearer, oauth2, sigv4)`);
  }
}
