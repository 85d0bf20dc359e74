// One error base for floe, with a closed set of kinds. Every retry, dead-letter and stop
// decision asks `kindOf(err)`, nothing else: no error names, no message patterns, no
// `instanceof` chains. An error from a library is given its kind where floe calls the library
// (the catalog, S3, Kafka and registry clients wrap what they throw); one that reaches a
// decision without a kind is a bug, and stops the connector (`fatal`), naming itself.

/**
 * - `bad-record`: one record (or request row) cannot become a table change; it goes to the
 *   dead letters with a reason, and the connector goes on.
 * - `retryable`: a server is down, slow or busy, and nothing was changed; try again, bounded
 *   by a budget (the brokers' reconnect budget, errors.outageTimeoutMs).
 * - `conflict`: another writer changed the table first; reload and try again.
 * - `unknown-outcome`: a commit may or may not have been applied; find out before trying again.
 * - `fatal`: configuration, credentials or state floe cannot go on from; stop with a clear error.
 */
export const ERROR_KINDS = ['bad-record', 'retryable', 'conflict', 'unknown-outcome', 'fatal'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export class FloeError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.name = new.target.name;
  }
}

/**
 * The kind of any thrown value: a FloeError's own kind; a Node error of a lost connection or of
 * a resource that may come back (disk full, too many open files) is `retryable`; anything else
 * is `fatal`.
 */
export function kindOf(err: unknown): ErrorKind {
  if (err instanceof FloeError) return err.kind;
  return isTransient(err) ? 'retryable' : 'fatal';
}

/** Lost, refused or timed-out connections, as Node's sockets, DNS and fetch report them (also as the cause of a fetch TypeError), and resources that may come back. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ENOSPC',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
]);

function isTransient(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError') return true; // AbortSignal.timeout
  return isTransient(e.cause, depth + 1);
}
