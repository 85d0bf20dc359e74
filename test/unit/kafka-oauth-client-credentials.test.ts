import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentialsTokens, OAuthTokenError } from '../../src/kafka/oauth-client-credentials.ts';

const SECRET = 'client-secret-xyz';

/** a token endpoint on 127.0.0.1 that records its requests and answers with `answer` */
async function endpoint(answer: (n: number) => { status: number; body: string }) {
  const requests: { auth: string | undefined; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ auth: req.headers.authorization, body });
      const a = answer(requests.length);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('client credentials: one POST with Basic auth, grant type and scope; the token is cached until shortly before it expires', async () => {
  const ep = await endpoint((n) => ({ status: 200, body: JSON.stringify({ access_token: `tok-${n}`, token_type: 'bearer', expires_in: 120 }) }));
  try {
    let now = 1_000_000;
    const tokens = new ClientCredentialsTokens({ tokenEndpoint: ep.url, clientId: 'floe', clientSecret: SECRET, scope: 'kafka', now: () => now });
    const [a, b] = await Promise.all([tokens.token(), tokens.token()]);
    assert.deepEqual([a, b], ['tok-1', 'tok-1']);
    assert.equal(ep.requests.length, 1, 'two callers at once share one request');
    assert.equal(ep.requests[0].auth, `Basic ${Buffer.from(`floe:${SECRET}`).toString('base64')}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(ep.requests[0].body)), { grant_type: 'client_credentials', scope: 'kafka' });
    now += 59_000; // 120 s token, renewed 60 s before it expires
    assert.equal(await tokens.token(), 'tok-1');
    now += 2_000;
    assert.equal(await tokens.token(), 'tok-2');
    assert.equal(ep.requests.length, 2);
  } finally {
    await ep.close();
  }
});

test('a refused client is a non-transient OAuthTokenError naming the endpoint and status, never the secret; a 503 and an unreachable endpoint are transient', async () => {
  const ep = await endpoint((n) => (n === 1 ? { status: 401, body: `{"error":"invalid_client","echo":"${SECRET}"}` } : { status: 503, body: 'busy' }));
  try {
    const tokens = new ClientCredentialsTokens({ tokenEndpoint: ep.url, clientId: 'floe', clientSecret: SECRET });
    const refused = await tokens.token().then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof OAuthTokenError);
    assert.equal(refused.transient, false);
    assert.match(refused.message, new RegExp(`^OAuth token endpoint ${ep.url} answered HTTP 401 \\(client floe refused`));
    assert.ok(!refused.message.includes(SECRET), refused.message);
    await assert.rejects(tokens.token(), (e: unknown) => e instanceof OAuthTokenError && e.transient && /HTTP 503/.test(e.message));
  } finally {
    await ep.close();
  }
  const gone = new ClientCredentialsTokens({ tokenEndpoint: ep.url, clientId: 'floe', clientSecret: SECRET, timeoutMs: 2000 });
  await assert.rejects(gone.token(), (e: unknown) => e instanceof OAuthTokenError && e.transient && /cannot be reached/.test(e.message));
});
