// Kafka client errors, made readable. The client library reports a failed request as a tree:
// "commit failed 4 times." holding one error per attempt, each holding the socket's error. A log
// line needs the leaves ("connect ECONNREFUSED 127.0.0.1:9092"), once each.

/** the distinct innermost messages of an error tree, joined: what actually went wrong */
export function describeKafkaError(err: unknown): string {
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
