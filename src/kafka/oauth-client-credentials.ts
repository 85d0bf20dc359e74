// OAUTHBEARER tokens from an OAuth 2 token endpoint, client credentials grant (RFC 6749 4.4):
// POST grant_type=client_credentials (and scope) with the client id and secret as HTTP Basic
// auth. A token is kept until shortly before it expires; one request at a time. Errors name the
// endpoint and the HTTP status, never the secret or a token.
import { FloeError } from '../errors.ts';

/** A token request that failed. `transient`: the endpoint was unreachable or answered 5xx/429. */
export class OAuthTokenError extends FloeError {
  readonly code: string;
  readonly transient: boolean;
  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super(transient ? 'retryable' : 'fatal', message, options);
    this.transient = transient;
    this.code = transient ? 'FLOE_OAUTH_TOKEN_UNAVAILABLE' : 'FLOE_OAUTH_TOKEN_REFUSED';
  }
}

export interface ClientCredentialsOptions {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** per request (default 10 s) */
  timeoutMs?: number;
  /** a token is renewed this long before it expires (default 60 s, at most half its lifetime) */
  refreshMarginMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** lifetime assumed when the endpoint gives no expires_in */
const DEFAULT_LIFETIME_S = 300;

export class ClientCredentialsTokens {
  readonly #options: ClientCredentialsOptions;
  readonly #now: () => number;
  #token: { value: string; renewAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(options: ClientCredentialsOptions) {
    if (!/^https?:\/\//.test(options.tokenEndpoint)) throw new Error(`OAuth token endpoint "${options.tokenEndpoint}" is not an http(s) URL`);
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** a valid token: the cached one, or a new one from the endpoint */
  token(): Promise<string> {
    if (this.#token && this.#now() < this.#token.renewAt) return Promise.resolve(this.#token.value);
    this.#pending ??= this.#request().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #request(): Promise<string> {
    const o = this.#options;
    const where = `OAuth token endpoint ${o.tokenEndpoint}`;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (o.scope) body.set('scope', o.scope);
    const basic = Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64');
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(o.tokenEndpoint, {
        method: 'POST',
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new OAuthTokenError(`${where} cannot be reached: ${(err as Error).message}`, true, { cause: err });
    }
    const text = await res.text().catch(() => '');
    const scrub = (s: string) => [o.clientSecret, basic].reduce((acc, secret) => (secret.length >= 3 ? acc.split(secret).join('***') : acc), s);
    if (!res.ok) {
      const transient = res.status >= 500 || res.status === 429;
      const what = res.status === 400 || res.status === 401 ? ` (client ${o.clientId} refused: check kafka.sasl.clientId and clientSecret)` : '';
      throw new OAuthTokenError(`${where} answered HTTP ${res.status}${what}: ${scrub(text.slice(0, 200))}`, transient);
    }
    let json: { access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new OAuthTokenError(`${where} did not answer JSON`, false);
    }
    if (typeof json.access_token !== 'string' || json.access_token === '') throw new OAuthTokenError(`${where} answered without an access_token`, false);
    const lifetimeMs = (typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : Number(json.expires_in) || DEFAULT_LIFETIME_S) * 1000;
    const margin = Math.min(o.refreshMarginMs ?? 60_000, lifetimeMs / 2);
    this.#token = { value: json.access_token, renewAt: this.#now() + lifetimeMs - margin };
    return json.access_token;
  }
}
