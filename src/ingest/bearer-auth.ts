// Bearer tokens per table or namespace: a request names its table, and the token it carries must
// have a scope that covers it ("*", the table's namespace or a parent of it, or the table). No
// tokens configured: no auth. Tokens are compared by their SHA-256 in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IngestToken } from '../config/ingest-config.ts';
import { IngestError } from './ingest-error.ts';

interface KnownToken {
  digest: Buffer;
  scopes: string[];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class BearerAuth {
  private readonly tokens: KnownToken[];

  constructor(tokens: readonly IngestToken[]) {
    this.tokens = tokens.map((t) => ({ digest: digest(t.token), scopes: t.scopes }));
  }

  get enabled(): boolean {
    return this.tokens.length > 0;
  }

  /** Throws IngestError 401 (no or unknown token) or 403 (the token does not cover the table). */
  check(authorization: string | undefined, table: string): void {
    if (!this.enabled) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw new IngestError(401, 'bad-record', 'an Authorization: Bearer <token> header is required');
    const d = digest(m[1]);
    let found: KnownToken | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) found = t;
    if (!found) throw new IngestError(401, 'bad-record', 'the bearer token is not known');
    if (!found.scopes.some((s) => covers(s, table))) throw new IngestError(403, 'bad-record', `the bearer token does not cover table ${table}`);
  }
}

/** A scope covers a table: "*", the table itself, or a namespace it is in. */
export function covers(scope: string, table: string): boolean {
  return scope === '*' || scope === table || table.startsWith(`${scope}.`);
}
