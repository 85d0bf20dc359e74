// The observability server: GET /metrics (Prometheus text format from the caller's registry),
// GET /healthz (the process works: liveness) and GET /readyz (assigned partitions sought and the
// catalog reachable: readiness). The caller decides health and readiness through callbacks;
// this file only serves them. 200 when ok, 503 when not, with a JSON body either way.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { FloeError } from '../errors.ts';

export interface CheckResult {
  ok: boolean;
  /** Shown as the JSON body's `details` (must be JSON-serializable; bigints are written as strings). */
  details?: unknown;
}

export type Check = () => CheckResult | Promise<CheckResult>;

export interface ServerOptions {
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Default 127.0.0.1. In a container, '0.0.0.0' (or '::') so the scraper and the kubelet reach it. */
  host?: string;
  /** A prom-client Registry, or anything that gives the text the same way (cli/workers.ts joins several threads' metrics). */
  registry: Pick<Registry, 'metrics' | 'contentType'>;
  health: Check;
  ready: Check;
  /** A check that has not answered by then counts as failed (503). Default 2000 ms. */
  checkTimeoutMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  port: number;
  /** Stop listening and drop open connections; resolves when the server is closed. */
  close(): Promise<void>;
}

class CheckTimeout extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('retryable', message, options);
  }
}

async function runCheck(check: Check, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout(`check did not answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref(); // a pending check must not keep a closed server's process alive
      }),
    ]);
    const ok = result?.ok === true;
    return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', details: result?.details ?? null } };
  } catch (e) {
    return { status: 503, body: { status: 'unavailable', error: e instanceof Error ? e.message : String(e) } };
  } finally {
    clearTimeout(timer);
  }
}

function toJson(body: unknown): string {
  try {
    return JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (e) {
    return JSON.stringify({ status: 'unavailable', error: `details are not serializable: ${e instanceof Error ? e.message : String(e)}` });
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(buf.length), 'cache-control': 'no-store', ...extra });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Start the server; resolves once it listens. */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const checks: Record<string, Check> = { '/healthz': options.health, '/readyz': options.ready };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const known = path === '/metrics' || path in checks;
    if (!known) return send(req, res, 404, TEXT_TYPE, `not found: ${path}\nendpoints: /metrics /healthz /readyz\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, TEXT_TYPE, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/metrics') {
      try {
        const text = await options.registry.metrics();
        return send(req, res, 200, options.registry.contentType, text);
      } catch (e) {
        return send(req, res, 500, TEXT_TYPE, `collecting metrics failed: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    const { status, body } = await runCheck(checks[path], timeoutMs);
    return send(req, res, status, JSON_TYPE, `${toJson(body)}\n`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(req, res, 500, TEXT_TYPE, `internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    });
  });

  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${h}:${addr.port}`,
        port: addr.port,
        close: () =>
          new Promise<void>((res, rej) => {
            server.close((err) => (err ? rej(err) : res()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
