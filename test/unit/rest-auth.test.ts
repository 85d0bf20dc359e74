// REST catalog auth, checked against a tiny local HTTP server on 127.0.0.1 that looks at the headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { authFromProperties, BearerAuth, EMPTY_BODY_SHA256, OAuth2ClientCredentialsAuth, OAuth2Error, SigV4Auth, toSignable } from '../../src/catalog/rest-auth.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function server(handler: (req: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => srv.close(() => r())) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

test('static bearer token is sent on every catalog request', async () => {
  const s = await server((req, res) => {
    if (req.headers.authorization !== 'Bearer s3cr3t') return json(res, 401, { error: { message: 'no', type: 'NotAuthorizedException', code: 401 } });
    if (req.url.startsWith('/v1/config')) return json(res, 200, { defaults: {}, overrides: {} });
    return json(res, 200, { namespaces: [['a'], ['b']] });
  });
  try {
    const cat = new RestCatalog({ uri: s.url, properties: { token: 's3cr3t' } });
    assert.deepEqual(await cat.listNamespaces(), [['a'], ['b']]);
    assert.equal(s.seen.length, 2);
    assert.ok(s.seen.every((r) => r.headers.authorization === 'Bearer s3cr3t'));
    assert.ok(authFromProperties(s.url, { token: 't' }) instanceof BearerAuth);
  } finally {
    await s.close();
  }
});

test('OAuth2 client credentials: form-encoded token request, token cached, refreshed before expiry', async () => {
  let issued = 0;
  const s = await server((req, res) => {
    if (req.url === '/v1/oauth/tokens') {
      assert.equal(req.method, 'POST');
      assert.match(req.headers['content-type'], /^application\/x-www-form-urlencoded/);
      const form = new URLSearchParams(req.body);
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('client_id'), 'my-client');
      assert.equal(form.get('client_secret'), 'my:secret');
      assert.equal(form.get('scope'), 'PRINCIPAL_ROLE:ALL');
      issued++;
      return json(res, 200, { access_token: `tok-${issued}`, token_type: 'bearer', expires_in: 3600, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    }
    if (req.headers.authorization !== `Bearer tok-${issued}`) return json(res, 401, { error: { message: 'bad token', type: 'NotAuthorizedException', code: 401 } });
    if (req.url.startsWith('/v1/config')) return json(res, 200, { defaults: {}, overrides: {} });
    return json(res, 200, { namespaces: [] });
  });
  try {
    let now = 1_000_000;
    const auth = authFromProperties(s.url, { credential: 'my-client:my:secret' });
    assert.ok(auth instanceof OAuth2ClientCredentialsAuth);
    // Same settings, with a clock we control.
    const oauth = new OAuth2ClientCredentialsAuth({ tokenUrl: `${s.url}/v1/oauth/tokens`, clientId: 'my-client', clientSecret: 'my:secret', now: () => now });
    const cat = new RestCatalog({ uri: s.url, auth: oauth });
    await cat.listNamespaces();
    await cat.listNamespaces();
    assert.equal(oauth.fetches, 1, 'token is cached');
    now += 3600_000 - 61_000; // more than the 60 s margin still left
    await cat.listNamespaces();
    assert.equal(oauth.fetches, 1);
    now += 2_000; // now inside the refresh margin
    await cat.listNamespaces();
    assert.equal(oauth.fetches, 2, 'token refreshed before it expired');
    assert.equal(s.seen.at(-1)!.headers.authorization, 'Bearer tok-2');
    // Concurrent requests share one token fetch.
    oauth.invalidate();
    await Promise.all([cat.listNamespaces(), cat.listNamespaces(), cat.listNamespaces()]);
    assert.equal(oauth.fetches, 3);
  } finally {
    await s.close();
  }
});

test('OAuth2: a 401 drops the cached token and the request is retried once with a new one', async () => {
  let issued = 0;
  let revoked = false;
  const s = await server((req, res) => {
    if (req.url === '/oauth') {
      issued++;
      return json(res, 200, { access_token: `t${issued}`, token_type: 'bearer', expires_in: 3600 });
    }
    if (revoked && req.headers.authorization === 'Bearer t1') return json(res, 401, { error: { message: 'expired', type: 'NotAuthorizedException', code: 401 } });
    if (req.url.startsWith('/v1/config')) return json(res, 200, {});
    return json(res, 200, { namespaces: [['x']] });
  });
  try {
    const cat = new RestCatalog({ uri: s.url, properties: { credential: 'secret-only', 'oauth2-server-uri': `${s.url}/oauth`, scope: 'catalog' } });
    await cat.listNamespaces();
    revoked = true;
    assert.deepEqual(await cat.listNamespaces(), [['x']]);
    assert.equal(issued, 2);
    const form = new URLSearchParams(s.seen[0].body);
    assert.equal(form.get('client_id'), null, 'a credential without ":" is a secret alone');
    assert.equal(form.get('client_secret'), 'secret-only');
    assert.equal(form.get('scope'), 'catalog');
  } finally {
    await s.close();
  }
});

test('OAuth2: a refused token request names the endpoint and the OAuth error', async () => {
  const s = await server((_req, res) => json(res, 401, { error: 'invalid_client', error_description: 'unknown client' }));
  try {
    const oauth = new OAuth2ClientCredentialsAuth({ tokenUrl: `${s.url}/v1/oauth/tokens`, clientSecret: 'x' });
    await assert.rejects(oauth.currentToken(), (e: unknown) => {
      assert.ok(e instanceof OAuth2Error);
      assert.equal(e.status, 401);
      assert.ok(e.message.includes(`${s.url}/v1/oauth/tokens`) && e.message.includes('invalid_client: unknown client'), e.message);
      return true;
    });
  } finally {
    await s.close();
  }
});

test('SigV4: credential scope, body hash header, and the signature the SDK signer computes', async () => {
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-tok' };
  const s = await server((req, res) => {
    if (req.url.startsWith('/v1/config')) return json(res, 200, { defaults: {}, overrides: { prefix: 'catalogs/arn%3Aaws%3As3tables' } });
    if (req.method === 'POST') return json(res, 200, { namespace: ['a', 'b'], properties: {} });
    return json(res, 200, { namespaces: [] });
  });
  try {
    const cat = new RestCatalog({
      uri: s.url,
      properties: {
        'rest.sigv4-enabled': 'true',
        'rest.signing-name': 's3tables',
        'rest.signing-region': 'eu-central-1',
        'rest.access-key-id': creds.accessKeyId,
        'rest.secret-access-key': creds.secretAccessKey,
        'rest.session-token': creds.sessionToken,
      },
    });
    await cat.listNamespaces(['a', 'b']);
    await cat.createNamespace(['a', 'b', 'c'], { owner: 'floe' });
    assert.equal(s.seen.length, 3);
    for (const r of s.seen) {
      const auth = r.headers.authorization;
      const m = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/eu-central-1\/s3tables\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
      assert.ok(m, `unexpected Authorization header: ${auth}`);
      const [, day, signedHeaders, signature] = m;
      assert.equal(r.headers['x-amz-date'].slice(0, 8), day);
      assert.equal(r.headers['x-amz-security-token'], creds.sessionToken);
      const expectedHash = r.body === '' ? EMPTY_BODY_SHA256 : createHash('sha256').update(r.body).digest('hex');
      assert.equal(r.headers['x-amz-content-sha256'], expectedHash);
      assert.ok(signedHeaders.split(';').includes('x-amz-content-sha256') && signedHeaders.split(';').includes('host'));
      // Re-sign what the server received with the SDK's signer: the signatures must agree.
      const headers: Record<string, string> = {};
      for (const h of signedHeaders.split(';')) headers[h] = r.headers[h];
      const url = new URL(r.url, s.url);
      const signer = new SignatureV4({ service: 's3tables', region: 'eu-central-1', credentials: creds, sha256: Sha256, uriEscapePath: true });
      const d = r.headers['x-amz-date'];
      const signingDate = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
      const again = await signer.sign(toSignable({ method: r.method, url, headers, body: r.body === '' ? undefined : r.body }), { signingDate });
      const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers['authorization']))![1];
      assert.equal(signature, expected, `signature mismatch for ${r.method} ${r.url}`);
    }
    // The prefix from /v1/config is used, and the namespace parts are joined by %1F.
    assert.equal(s.seen[1].url, '/v1/catalogs/arn%3Aaws%3As3tables/namespaces?parent=a%1Fb');
    assert.equal(s.seen[2].url, '/v1/catalogs/arn%3Aaws%3As3tables/namespaces');
  } finally {
    await s.close();
  }
});

test('SigV4: a bearer token from elsewhere moves out of the way; service and region are inferred for AWS hosts', async () => {
  const auth = new SigV4Auth({ service: 'glue', region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, now: () => new Date('2026-01-02T03:04:05Z') });
  const req = { method: 'GET', url: new URL('https://glue.us-east-1.amazonaws.com/iceberg/v1/config'), headers: { authorization: 'Bearer x' } as Record<string, string> };
  await auth.authorize(req);
  assert.equal(req.headers['original-authorization'], 'Bearer x');
  assert.match(req.headers['authorization'], /^AWS4-HMAC-SHA256 Credential=AK\/20260102\/us-east-1\/glue\/aws4_request/);
  assert.equal(req.headers['x-amz-date'], '20260102T030405Z');
  const glue = authFromProperties('https://glue.eu-west-1.amazonaws.com/iceberg', { 'rest.sigv4-enabled': 'true', 'rest.access-key-id': 'a', 'rest.secret-access-key': 'b' });
  assert.ok(glue instanceof SigV4Auth);
  assert.equal(glue.service, 'glue');
  assert.equal(glue.region, 'eu-west-1');
  const s3t = authFromProperties('https://s3tables.us-west-2.amazonaws.com/iceberg', { 'rest.auth.type': 'sigv4', 'rest.access-key-id': 'a', 'rest.secret-access-key': 'b' });
  assert.equal((s3t as SigV4Auth).service, 's3tables');
  assert.throws(() => authFromProperties('http://x', { 'rest.auth.type': 'kerberos' }), /unknown rest\.auth\.type "kerberos"/);
});
