// SigV4 as floe's REST catalog client signs (SigV4Auth in src/catalog/rest-auth.ts: `authorize`,
// which the client calls on every request, and `sign`, the signing step it ends with), checked
// against AWS's published Signature Version 4 test suite.
//
// Vector data (requests, canonical requests, strings to sign, signatures) copied from the
// suite as awslabs/aws-c-auth carries it: tests/aws-signing-test-suite/v4/<case>/ (request.txt,
// context.json, header-canonical-request.txt, header-string-to-sign.txt, header-signature.txt),
// commit 495329c2433034bd8fd53fc6ba9e0202d3fac876. Every case signs with the suite's fixed
// credentials, region us-east-1, service "service", at 2015-08-30T12:36:00Z.
//
// The suite has no request with a JSON body or a path that needs encoding as floe sends them, so
// the last tests write out the canonical request SigV4 defines for such requests by hand and
// compute the expected signature with node:crypto (the same computation is checked against the
// suite's own values first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { SigV4Auth, type AuthRequest } from '../../src/catalog/rest-auth.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';

const ACCESS_KEY_ID = 'AKIDEXAMPLE';
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SIGNING_TIME = new Date('2015-08-30T12:36:00Z');
const AMZ_DATE = '20150830T123600Z';
/** The session token of the suite's post-sts-header-before case. */
const STS_TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';

interface Vector {
  name: string;
  /** context.json `sign_body`: the x-amz-content-sha256 header is added and signed. */
  signBody: boolean;
  sessionToken?: string;
  method: string;
  url: string;
  /** The request's headers other than Host (floe sets Host from the URL). */
  headers: Record<string, string>;
  body?: string;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
}

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const FORM_HASH = '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e';
const SCOPE = '20150830/us-east-1/service/aws4_request';

const VECTORS: Vector[] = [
  {
    name: 'get-vanilla',
    signBody: false,
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    headers: {},
    canonicalRequest: ['GET', '/', '', 'host:example.amazonaws.com', 'x-amz-date:20150830T123600Z', '', 'host;x-amz-date', EMPTY].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63'].join('\n'),
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'post-vanilla',
    signBody: false,
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: {},
    canonicalRequest: ['POST', '/', '', 'host:example.amazonaws.com', 'x-amz-date:20150830T123600Z', '', 'host;x-amz-date', EMPTY].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87'].join('\n'),
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    signBody: false,
    method: 'GET',
    url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
    headers: {},
    canonicalRequest: ['GET', '/', 'Param1=value1&Param2=value2', 'host:example.amazonaws.com', 'x-amz-date:20150830T123600Z', '', 'host;x-amz-date', EMPTY].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0'].join('\n'),
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-with-session-token',
    signBody: false,
    sessionToken: '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    headers: {},
    canonicalRequest: [
      'GET',
      '/',
      '',
      'host:example.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      'x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
      '',
      'host;x-amz-date;x-amz-security-token',
      EMPTY,
    ].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, '067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b'].join('\n'),
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8',
  },
  {
    name: 'post-sts-header-before',
    signBody: false,
    sessionToken: STS_TOKEN,
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: {},
    canonicalRequest: ['POST', '/', '', 'host:example.amazonaws.com', 'x-amz-date:20150830T123600Z', `x-amz-security-token:${STS_TOKEN}`, '', 'host;x-amz-date;x-amz-security-token', EMPTY].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, 'c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6'].join('\n'),
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
  {
    name: 'post-x-www-form-urlencoded',
    signBody: true,
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '13' },
    body: 'Param1=value1',
    canonicalRequest: [
      'POST',
      '/',
      '',
      'content-length:13',
      'content-type:application/x-www-form-urlencoded',
      'host:example.amazonaws.com',
      `x-amz-content-sha256:${FORM_HASH}`,
      'x-amz-date:20150830T123600Z',
      '',
      'content-length;content-type;host;x-amz-content-sha256;x-amz-date',
      FORM_HASH,
    ].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, 'b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb'].join('\n'),
    signedHeaders: 'content-length;content-type;host;x-amz-content-sha256;x-amz-date',
    signature: 'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b',
  },
  {
    name: 'post-x-www-form-urlencoded-parameters',
    signBody: true,
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'Content-Length': '13' },
    body: 'Param1=value1',
    canonicalRequest: [
      'POST',
      '/',
      '',
      'content-length:13',
      'content-type:application/x-www-form-urlencoded; charset=utf-8',
      'host:example.amazonaws.com',
      `x-amz-content-sha256:${FORM_HASH}`,
      'x-amz-date:20150830T123600Z',
      '',
      'content-length;content-type;host;x-amz-content-sha256;x-amz-date',
      FORM_HASH,
    ].join('\n'),
    stringToSign: ['AWS4-HMAC-SHA256', AMZ_DATE, SCOPE, 'a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d'].join('\n'),
    signedHeaders: 'content-length;content-type;host;x-amz-content-sha256;x-amz-date',
    signature: '328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422',
  },
];

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** SigV4's signature of a string to sign (the key derivation of the SigV4 spec), with node:crypto. */
function signatureOf(stringToSign: string, region: string, service: string, day = '20150830'): string {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET_ACCESS_KEY}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function authFor(service: string, region: string, sessionToken?: string): SigV4Auth {
  return new SigV4Auth({ service, region, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken }, now: () => SIGNING_TIME });
}

for (const v of VECTORS) {
  test(`SigV4 test suite "${v.name}": floe's signer gives the suite's Authorization header`, async () => {
    const req: AuthRequest = { method: v.method, url: new URL(v.url), headers: { ...v.headers }, body: v.body };
    const auth = authFor('service', 'us-east-1', v.sessionToken);
    // sign_body cases go through authorize (the client's path: it adds x-amz-content-sha256);
    // the others through sign alone, since authorize always adds that header.
    if (v.signBody) await auth.authorize(req);
    else await auth.sign(req);
    assert.equal(req.headers['authorization'], `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${SCOPE}, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`);
    assert.equal(req.headers['x-amz-date'], AMZ_DATE);
    assert.equal(req.headers['x-amz-security-token'], v.sessionToken);
    if (v.signBody) assert.equal(req.headers['x-amz-content-sha256'], sha256Hex(v.body ?? ''));
    // The suite's canonical request hashes to its string to sign, whose signature under the
    // suite's key is the suite's signature: the signature floe sent signs exactly that request.
    assert.equal(v.stringToSign.split('\n')[3], sha256Hex(v.canonicalRequest));
    assert.equal(signatureOf(v.stringToSign, 'us-east-1', 'service'), v.signature);
  });
}

test('SigV4 signs what the request carries: a changed header or query gives another signature than the suite', async () => {
  const base = VECTORS.find((x) => x.name === 'get-vanilla-query-order-key-case')!;
  const req: AuthRequest = { method: 'GET', url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value3'), headers: {} };
  await authFor('service', 'us-east-1').sign(req);
  assert.notEqual(/Signature=(\w+)/.exec(req.headers['authorization'])![1], base.signature);
  const withHeader: AuthRequest = { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: { 'x-extra': '1' } };
  await authFor('service', 'us-east-1').sign(withHeader);
  assert.match(withHeader.headers['authorization'], /SignedHeaders=host;x-amz-date;x-extra,/);
});

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch that records what floe's REST client sends and answers like a catalog would. */
function recordingFetch(sent: Sent[], prefix: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    sent.push({ method: init?.method ?? 'GET', url, headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined });
    const answer = url.includes('/v1/config') ? { defaults: {}, overrides: { prefix } } : { namespace: ['shop'], properties: {} };
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

function expectedAuthorization(canonicalRequest: string, signedHeaders: string, region: string, service: string): string {
  const scope = `20150830/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', AMZ_DATE, scope, sha256Hex(canonicalRequest)].join('\n');
  return `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signatureOf(stringToSign, region, service)}`;
}

test("Glue: the config GET and a JSON POST as floe's REST client sends them, with a session token, carry the signature SigV4 defines", async () => {
  const sent: Sent[] = [];
  const catalog = new RestCatalog({
    uri: 'https://glue.us-east-1.amazonaws.com/iceberg',
    warehouse: '111122223333',
    auth: authFor('glue', 'us-east-1', STS_TOKEN),
    fetch: recordingFetch(sent, 'catalogs/111122223333'),
  });
  await catalog.createNamespace(['shop']);
  assert.equal(sent.length, 2);

  const [config, post] = sent;
  assert.equal(config.url, 'https://glue.us-east-1.amazonaws.com/iceberg/v1/config?warehouse=111122223333');
  const getHeaders = 'accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-client-version';
  const getCanonical = [
    'GET',
    '/iceberg/v1/config',
    'warehouse=111122223333',
    'accept:application/json',
    'host:glue.us-east-1.amazonaws.com',
    `x-amz-content-sha256:${EMPTY}`,
    `x-amz-date:${AMZ_DATE}`,
    `x-amz-security-token:${STS_TOKEN}`,
    'x-client-version:floe',
    '',
    getHeaders,
    EMPTY,
  ].join('\n');
  assert.equal(config.headers['authorization'], expectedAuthorization(getCanonical, getHeaders, 'us-east-1', 'glue'));

  const body = '{"namespace":["shop"],"properties":{}}';
  assert.equal(post.method, 'POST');
  assert.equal(post.url, 'https://glue.us-east-1.amazonaws.com/iceberg/v1/catalogs/111122223333/namespaces');
  assert.equal(post.body, body);
  assert.equal(post.headers['x-amz-content-sha256'], sha256Hex(body));
  assert.equal(post.headers['x-amz-security-token'], STS_TOKEN);
  const postHeaders = 'accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-client-version';
  const postCanonical = [
    'POST',
    '/iceberg/v1/catalogs/111122223333/namespaces',
    '',
    'accept:application/json',
    'content-type:application/json',
    'host:glue.us-east-1.amazonaws.com',
    `x-amz-content-sha256:${sha256Hex(body)}`,
    `x-amz-date:${AMZ_DATE}`,
    `x-amz-security-token:${STS_TOKEN}`,
    'x-client-version:floe',
    '',
    postHeaders,
    sha256Hex(body),
  ].join('\n');
  assert.equal(post.headers['authorization'], expectedAuthorization(postCanonical, postHeaders, 'us-east-1', 'glue'));
});

test('S3 Tables: a path with percent-encoded characters (the table bucket ARN, a multi-part namespace) is encoded twice in the canonical request', async () => {
  const sent: Sent[] = [];
  const arn = 'arn:aws:s3tables:eu-west-1:111122223333:bucket/floe';
  const catalog = new RestCatalog({
    uri: 'https://s3tables.eu-west-1.amazonaws.com/iceberg',
    warehouse: arn,
    auth: authFor('s3tables', 'eu-west-1'),
    fetch: recordingFetch(sent, encodeURIComponent(arn)),
  });
  await catalog.namespaceExists(['shop', 'raw']);
  assert.equal(sent.length, 2);
  const head = sent[1];
  const path = '/iceberg/v1/arn%3Aaws%3As3tables%3Aeu-west-1%3A111122223333%3Abucket%2Ffloe/namespaces/shop%1Fraw';
  assert.equal(head.url, `https://s3tables.eu-west-1.amazonaws.com${path}`);
  const signedHeaders = 'accept;host;x-amz-content-sha256;x-amz-date;x-client-version';
  // Each path segment URI-encoded a second time (every AWS service but S3): % becomes %25.
  const canonical = [
    'HEAD',
    '/iceberg/v1/arn%253Aaws%253As3tables%253Aeu-west-1%253A111122223333%253Abucket%252Ffloe/namespaces/shop%251Fraw',
    '',
    'accept:application/json',
    'host:s3tables.eu-west-1.amazonaws.com',
    `x-amz-content-sha256:${EMPTY}`,
    `x-amz-date:${AMZ_DATE}`,
    'x-client-version:floe',
    '',
    signedHeaders,
    EMPTY,
  ].join('\n');
  assert.equal(head.headers['authorization'], expectedAuthorization(canonical, signedHeaders, 'eu-west-1', 's3tables'));
  assert.equal(head.headers['x-amz-security-token'], undefined);
});
