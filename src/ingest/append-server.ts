// The append API's HTTP(S) server: POST /v1/tables/{namespace}.{table}/append. Each request is
// checked (stopping? route, method, bearer token, Idempotency-Key, limits), its body read and
// parsed, its rows handed to the table's group commit; the answer waits for the commit.
//   200 {"table", "snapshotId", "rows", "duplicate"}  committed (snapshotId a string: ids are 63-bit);
//       with partial=true and bad rows also "rejected": [{"index", "reason"}] (the good rows committed)
//   400 {"error", "rejected": [{"index", "reason"}], ...}  bad rows, none committed (partial=false,
//       or partial=true with no good row); bad JSON, a bad key or name
//   401 / 403 token missing or unknown / not for this table; 404 unknown route or table
//   413 body or rows beyond the limits; 415 content type or encoding; 429 too many at once
//   503 stopping, or the commit failed (its outcome may be unknown): retry with the same key
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IngestLimits } from '../config/ingest-config.ts';
import { kindOf } from '../errors.ts';
import { appendRoute } from './append-route.ts';
import type { BearerAuth } from './bearer-auth.ts';
import { KEY_PATTERN } from './idempotency-ledger.ts';
import { IngestError } from './ingest-error.ts';
import { IngestMetrics } from './ingest-metrics.ts';
import type { Logger } from '../log.ts';
import { bodyFormat, parseRows, readBody } from './request-body.ts';
import type { BodyFormat } from './request-body.ts';
import type { RequestGate } from './request-gate.ts';
import type { AppendResult } from './table-buffer.ts';
import type { TableBuffers } from './table-buffers.ts';

export interface AppendServerOptions {
  host: string;
  /** 0: a free port. */
  port: number;
  tls?: { cert: string; key: string };
  buffers: TableBuffers;
  auth: BearerAuth;
  gate: RequestGate;
  limits: IngestLimits;
  metrics?: IngestMetrics;
  log?: Logger;
}

export interface AppendServer {
  url: string;
  port: number;
  /** New requests are answered 503 from now on (a graceful stop). */
  stopAccepting(): void;
  /** Stops listening and closes idle connections; resolves when every request was answered. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** JSON text of an answer; a bigint (none is expected) as its digits. */
function answerText(body: unknown): string {
  try {
    return `${JSON.stringify(body)}\n`; // no replacer: the serializer's fast path
  } catch {
    return `${JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = answerText(body);
  const head: Record<string, string> = { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(text)) };
  if (headers) Object.assign(head, headers);
  res.writeHead(status, head);
  res.end(text);
}

/** An error as the HTTP answer: status, body, headers. */
function answerFor(err: unknown): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  if (err instanceof IngestError) {
    const headers: Record<string, string> = err.retryAfter !== undefined ? { 'retry-after': String(err.retryAfter) } : {};
    return { status: err.status, body: { error: err.message, ...(err.rows ? { rejected: err.rows } : {}) }, headers };
  }
  const kind = kindOf(err);
  const message = (err as Error)?.message ?? String(err);
  if (kind === 'bad-record') return { status: 400, body: { error: message }, headers: {} };
  if (kind === 'fatal') return { status: 500, body: { error: message }, headers: {} };
  return { status: 503, body: { error: `${message} (nothing was acknowledged; retry with the same Idempotency-Key)` }, headers: { 'retry-after': '1' } };
}

/**
 * Parses the body and hands its rows to the table's group commit; the promise of the answer.
 * Not an async function: nothing of the parsed rows is kept while the commit is awaited (the
 * frame of an async function keeps its variables across an await, and rows held that long
 * outlive the young generation), only the body, to read them again if the group is rebuilt.
 */
function appendBody(o: AppendServerOptions, table: string, partial: boolean, key: string | undefined, body: Buffer, format: BodyFormat): Promise<AppendResult> {
  const maxRows = o.limits.maxRowsPerRequest;
  const parsed = parseRows(body, format, maxRows);
  return o.buffers.get(table).append({ ...parsed, key, partial, bytes: body.length, reread: () => parseRows(body, format, maxRows) });
}

export async function startAppendServer(o: AppendServerOptions): Promise<AppendServer> {
  let accepting = true;
  let active = 0;
  let idle: (() => void) | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ status: number; table?: string; rows?: number; bytes?: number }> => {
    let table: string | undefined;
    let bodyRead = false;
    try {
      if (!accepting) throw new IngestError(503, 'retryable', 'the server is stopping', { retryAfter: 1 });
      const route = appendRoute(req.url ?? '/');
      if (!route) throw new IngestError(404, 'bad-record', `not found: ${(req.url ?? '/').split('?')[0]} (POST /v1/tables/{namespace}.{table}/append)`);
      table = route.table;
      if (req.method !== 'POST') throw new IngestError(405, 'bad-record', 'only POST');
      o.auth.check(req.headers.authorization, route.table);
      const keyHeader = req.headers['idempotency-key'];
      const key = typeof keyHeader === 'string' ? keyHeader : undefined;
      if (key !== undefined && !KEY_PATTERN.test(key)) throw new IngestError(400, 'bad-record', 'Idempotency-Key must be 1 to 128 visible ASCII characters');
      const format = bodyFormat(req.headers['content-type']);
      o.gate.enter();
      try {
        const body = await readBody(req, o.limits.maxBodyBytes);
        bodyRead = true;
        const result = await appendBody(o, route.table, route.partial, key, body, format);
        // partial=true: 200 when good rows were committed (the bad ones listed), 400 when none was
        const status = result.rows > 0 || result.rejected.length === 0 ? 200 : 400;
        const answer: Record<string, unknown> = { table: route.table, snapshotId: result.snapshotId === undefined ? null : String(result.snapshotId), rows: result.rows, duplicate: result.duplicate };
        if (result.rejected.length > 0) answer.rejected = result.rejected;
        if (status === 400) answer.error = `${result.rejected.length} row${result.rejected.length === 1 ? '' : 's'} cannot be written; no good row to commit`;
        send(res, status, answer);
        return { status, table, rows: result.duplicate ? 0 : result.rows, bytes: body.length };
      } finally {
        o.gate.leave();
      }
    } catch (err) {
      const { status, body, headers } = answerFor(err);
      if (!bodyRead) {
        // the body was not read: do not keep the connection for its rest
        headers.connection = 'close';
        req.resume();
      }
      if (status >= 500) o.log?.error('append failed', { table, status, error: (err as Error)?.message ?? String(err) });
      if (!res.headersSent) send(res, status, body, headers);
      return { status, table };
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    active++;
    void handle(req, res)
      .then(({ status, table, rows, bytes }) => {
        const m = o.metrics;
        if (!m) return;
        m.requests.inc({ table: table ?? '', status: String(status) });
        m.latency.observe({ outcome: IngestMetrics.outcome(status) }, (performance.now() - started) / 1000);
        if (table && rows) m.rows.inc({ table }, rows);
        if (table && bytes && status === 200) m.bytes.inc({ table }, bytes);
      })
      .finally(() => {
        active--;
        if (active === 0) idle?.();
      });
  };

  const server: Server = o.tls ? createTlsServer({ cert: fs.readFileSync(o.tls.cert), key: fs.readFileSync(o.tls.key) }, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 300_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `${o.tls ? 'https' : 'http'}://${h}:${addr.port}`,
    port: addr.port,
    stopAccepting: () => {
      accepting = false;
    },
    close: async () => {
      accepting = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}
