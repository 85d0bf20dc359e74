// A fetch for an https server with a private CA or a client certificate (mTLS): the global fetch
// takes no TLS options, node:https does. Only what the registry client uses: method, headers,
// a string body, an abort signal; the answer is read whole.
import https from 'node:https';

export interface TlsFetchOptions {
  /** PEM texts */
  ca?: string;
  cert?: string;
  key?: string;
  keyPassword?: string;
  serverName?: string;
  rejectUnauthorized?: boolean;
}

/** statuses whose Response may not carry a body */
const NO_BODY = new Set([101, 204, 205, 304]);

export function tlsFetch(tls: TlsFetchOptions): typeof fetch {
  const agent = new https.Agent({
    keepAlive: true,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.keyPassword === undefined ? {} : { passphrase: tls.keyPassword }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
    ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  });
  const doFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== 'https:') {
        reject(new Error(`${url.origin}: TLS options are for https URLs`));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
      const req = https.request(url, { method: init?.method ?? 'GET', headers, agent, signal: init?.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) out.append(k, x);
            else if (v !== undefined) out.set(k, v);
          }
          const status = res.statusCode ?? 0;
          resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: out }));
        });
      });
      req.on('error', reject);
      if (init?.body !== undefined && init.body !== null) req.end(typeof init.body === 'string' ? init.body : String(init.body));
      else req.end();
    });
  return doFetch as typeof fetch;
}
