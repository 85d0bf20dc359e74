// Kafka client errors, made readable. The client library reports a failed request as a tree:
// "commit failed 4 times." holding one error per attempt, each holding the socket's error. A log
// line needs the leaves ("connect ECONNREFUSED 127.0.0.1:9092"), once each.
import { securityLabel } from './connection.ts';
import type { KafkaConnectionOptions } from './types.ts';
import { FloeError } from '../errors.ts';
import type { ErrorKind } from '../errors.ts';

/**
 * The distinct innermost messages of an error tree, joined: what actually went wrong. A refused
 * authentication or TLS handshake (isKafkaSecurityError) is told as such, naming the broker and,
 * given the connection's options, the protocol and mechanism (never a secret).
 */
export function describeKafkaError(err: unknown, connection?: Pick<KafkaConnectionOptions, 'brokers' | 'tls' | 'sasl'>): string {
  const refused = securityFailure(err);
  if (refused) {
    const how = connection ? ` (${securityLabel(connection)})` : '';
    const brokers = connection?.brokers ?? [];
    const broker = refused.broker ? `broker ${refused.broker}` : brokers.length > 0 ? `broker${brokers.length > 1 ? 's' : ''} ${brokers.join(',')}` : 'the broker';
    return refused.kind === 'tls'
      ? `TLS with ${broker} failed${how}: ${refused.detail}; check kafka.tls (caFile, certFile, keyFile, serverName)`
      : `${broker} refused the authentication${how}: ${refused.detail}; check kafka.sasl`;
  }
  const top = messageOf(err);
  const leaves: string[] = [];
  collectLeaves(err, leaves, 0);
  const distinct = [...new Set(leaves)].filter((m) => m !== '' && m !== top);
  if (distinct.length === 0) return top;
  const shown = distinct.slice(0, 3).join('; ');
  return `${top} (${shown}${distinct.length > 3 ? `; and ${distinct.length - 3} more` : ''})`;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

/**
 * True when the error tree holds a lost or refused connection, a timeout, or a broker answer
 * that says "not now" (coordinator loading or moving, leader not available): what a broker
 * restart looks like from a client, and worth retrying.
 */
export function isTransientKafkaError(err: unknown): boolean {
  if (isKafkaSecurityError(err)) return false;
  return someNode(err, (e) => {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    // the library's protocol errors carry canRetry from Kafka's own table of retriable errors
    if ((e as { canRetry?: unknown }).canRetry === true && code === 'PLT_KFK_PROTOCOL') return true;
    const message = messageOf(e);
    return /ECONNREFUSED|ECONNRESET|socket hang up|Connection closed|closed connection|timed? ?out|COORDINATOR_(NOT_AVAILABLE|LOAD_IN_PROGRESS)|NOT_COORDINATOR|LEADER_NOT_AVAILABLE|NOT_LEADER/i.test(
      message,
    );
  });
}

/** The error of a client whose first request failed: the brokers refused it or cannot be reached. */
export function connectError(options: Pick<KafkaConnectionOptions, 'brokers' | 'tls' | 'sasl'>, err: unknown): Error {
  const what = isKafkaSecurityError(err) ? describeKafkaError(err, options) : `brokers ${options.brokers.join(',')} unreachable: ${describeKafkaError(err)}`;
  return new Error(`kafka: ${what}`, { cause: err });
}

/** SASL errors of Kafka's protocol: the credentials or the mechanism were refused */
const SASL_PROTOCOL_ERRORS = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);
/** Node's codes for a certificate that does not verify, and OpenSSL's for a failed handshake */
const TLS_CODE = /^(UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|ERR_TLS_CERT_|ERR_SSL_)/;

/**
 * True when the brokers refused floe's credentials, or a TLS handshake failed (an untrusted
 * certificate, a name that does not match, a broker that speaks TLS to a client that does not).
 * Retrying does not help: callers stop at once instead of retrying for reconnectTimeoutMs. An
 * OAuth token endpoint that is only unreachable is not one of these.
 */
export function isKafkaSecurityError(err: unknown): boolean {
  return securityFailure(err) !== undefined;
}

function securityFailure(err: unknown): { kind: 'tls' | 'authentication'; broker?: string; detail: string } | undefined {
  let found: { kind: 'tls' | 'authentication'; node: unknown } | undefined;
  let broker: string | undefined;
  const visit = (e: unknown, depth: number, at: string | undefined): void => {
    if (e == null || found || depth > 8) return;
    const m = /^Connection to (\S+) failed/.exec(messageOf(e));
    const here = m ? m[1].replace(/\.$/, '') : at;
    const code = (e as { code?: unknown }).code;
    const kind = securityKind(e, code);
    if (kind) {
      found = { kind, node: e };
      broker = here;
      return;
    }
    for (const c of childrenOf(e)) visit(c, depth + 1, here);
  };
  visit(err, 0, undefined);
  if (!found) return undefined;
  const f: { kind: 'tls' | 'authentication'; node: unknown } = found;
  const leaves: string[] = [];
  collectLeaves(f.node, leaves, 0);
  const own = opensslReason(messageOf(f.node));
  const code = (f.node as { code?: unknown }).code;
  const detail = [...new Set([own, ...leaves.map(opensslReason)])].filter((x) => x !== '').join('; ') + (typeof code === 'string' && f.kind === 'tls' ? ` (${code})` : '');
  return { kind: f.kind, broker, detail };
}

/** "…:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/…" → "ssl/tls alert bad certificate" */
function opensslReason(message: string): string {
  const m = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(message);
  return m ? m[1] : message.trim();
}

function securityKind(e: unknown, code: unknown): 'tls' | 'authentication' | undefined {
  if (code === 'PLT_KFK_AUTHENTICATION') {
    // a token endpoint that is down is an outage, retried like a broker that is down
    return someNode(e, (x) => (x as { code?: unknown }).code === 'FLOE_OAUTH_TOKEN_UNAVAILABLE') ? undefined : 'authentication';
  }
  if (code === 'FLOE_OAUTH_TOKEN_REFUSED') return 'authentication';
  if (code === 'PLT_KFK_PROTOCOL' && SASL_PROTOCOL_ERRORS.has(String((e as { apiId?: unknown }).apiId))) return 'authentication';
  if (typeof code === 'string' && TLS_CODE.test(code)) return 'tls';
  if (/^(Broker requires TLS|TLS handshake failed)/.test(messageOf(e))) return 'tls';
  return undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function childrenOf(err: unknown): unknown[] {
  if (err === null || typeof err !== 'object') return [];
  const out: unknown[] = [];
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) out.push(...errors.filter((e) => e != null));
  const cause = (err as { cause?: unknown }).cause;
  if (cause != null) out.push(cause);
  return out;
}

function collectLeaves(err: unknown, out: string[], depth: number): void {
  const children = depth < 8 ? childrenOf(err) : [];
  if (children.length === 0) {
    out.push(messageOf(err));
    return;
  }
  for (const c of children) collectLeaves(c, out, depth + 1);
}

function someNode(err: unknown, pred: (e: unknown) => boolean, depth = 0): boolean {
  if (err == null) return false;
  if (pred(err)) return true;
  if (depth >= 8) return false;
  return childrenOf(err).some((c) => someNode(c, pred, depth + 1));
}

/** A FloeError inside an error of the Kafka client (thrown by floe's code the library called: a response floe reads). */
export function floeErrorIn(err: unknown, depth = 0): FloeError | undefined {
  if (err instanceof FloeError) return err;
  if (err == null || depth >= 8) return undefined;
  for (const c of childrenOf(err)) {
    const f = floeErrorIn(c, depth + 1);
    if (f) return f;
  }
  return undefined;
}

/**
 * The kind (src/errors.ts) of an error of the Kafka client, for the callers that decide: a lost
 * connection, a timeout, a broker that says "not now" or a group coordinator that is loading or
 * moving is `retryable`; refused credentials, a failed TLS handshake and anything else `fatal`.
 */
export function kafkaErrorKind(err: unknown): ErrorKind {
  if (err instanceof FloeError) return err.kind; // floe's own verdict (a spent reconnect budget is fatal)
  if (isKafkaSecurityError(err)) return 'fatal';
  if (isTransientKafkaError(err)) return 'retryable';
  return someNode(err, (e) => /JoinGroup|FindCoordinator|coordinator/i.test(messageOf(e))) ? 'retryable' : 'fatal';
}
