// Kafka and registry security in the connector file, against a real broker of this file's own
// (test/kafka/private-broker.ts with `security`: scripts/stack/start.sh makes a CA with openssl
// and adds a SASL_SSL listener (PLAIN, SCRAM), an SSL listener that requires client certificates
// and an OAUTHBEARER listener), never the shared one on :9092. Topics are created and checked
// through the broker's PLAINTEXT listener; floe itself connects only through the secured ones.
//
// The registry is the shared one behind a proxy made here: HTTPS with the test CA's certificate,
// a client certificate required, and basic auth checked by the proxy.
//
// Judged: records land (the table's offsets reach the topic's end, its row count is the good
// records), dead letters are sent through the same settings, a wrong password or an untrusted
// certificate stops floe within seconds with an error naming the broker and the mechanism, and
// no secret appears in any output (logs, errors, floe validate, /metrics).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { sleep } from './helpers.ts';
import { freePort, PrivateBroker } from './private-broker.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const broker = await PrivateBroker.create('floe-security-kafka-', { security: true });
const sec = broker.security!;
const REGISTRY_PASSWORD = `reg-${Math.random().toString(36).slice(2, 12)}`;
const CLIENT_SECRET = `oauth-${Math.random().toString(36).slice(2, 12)}`;
const WRONG_PASSWORD = `wrong-${Math.random().toString(36).slice(2, 12)}`;
/** strings no output of floe may contain */
const SECRETS = [sec.password, REGISTRY_PASSWORD, CLIENT_SECRET, WRONG_PASSWORD];

const workDirs: string[] = [];
const servers: (http.Server | https.Server)[] = [];
let admin: KafkaAdmin;

before(async () => {
  await broker.start();
  admin = await KafkaAdmin.connect({ brokers: [broker.bootstrap] });
});

after(async () => {
  await admin?.close().catch(() => undefined);
  for (const s of servers) s.close();
  await broker.destroy();
  for (const d of workDirs) fs.rmSync(d, { recursive: true, force: true });
});

function workDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-security-'));
  workDirs.push(dir);
  return dir;
}

function assertNoSecret(text: string, where: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} holds a secret:\n${text.slice(-3000)}`);
}

/** runs a floe command to its end (bounded), with its output and how long it took */
async function floe(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const p = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => p.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, out, ms: Date.now() - t0 };
}

/**
 * `floe run` until the table's offsets reach the topic's end (bounded), then SIGTERM; returns
 * the log and the table's row count.
 */
async function runUntilLanded(dir: string, file: string, connector: string, table: string, topic: string, env: NodeJS.ProcessEnv = {}): Promise<{ log: string; rows: number }> {
  const p = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  p.stdout.on('data', (d) => (log += d));
  p.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => p.once('exit', (c) => resolve(c)));
  const ends = await admin.endOffsets(topic);
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(path.join(dir, 'wh')).href });
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      let rows = -1;
      try {
        const t = await catalog.loadTable(parseTableName(table));
        const offsets = tableOffsets(t.metadata, connector).get(topic);
        if (offsets && [...ends].every(([part, end]) => offsets.get(part) === end)) rows = Number(currentSnapshot(t.metadata)?.summary['total-records'] ?? -1);
      } catch {
        // no table yet
      }
      if (rows >= 0) {
        p.kill('SIGTERM');
        assert.equal(await exited, 0, `floe stops cleanly:\n${log.slice(-3000)}`);
        return { log, rows };
      }
      if (p.exitCode !== null || Date.now() > deadline) throw new Error(`floe did not land ${topic} (exit ${p.exitCode}):\n${log.slice(-4000)}`);
      await sleep(250);
    }
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    await catalog.close?.();
  }
}

const tlsFiles = () => broker.tlsFiles;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test(
  'SASL_SSL with SCRAM-SHA-512 (password from a file, the test CA from a file): records land, dead letters go out the same way, the registry is reached through mTLS and basic auth; no secret in any output',
  { timeout: 180_000 },
  async () => {
    const { ca, cert, key } = tlsFiles();
    // the registry proxy: HTTPS (the broker's certificate, made for 127.0.0.1), client certificate
    // required, basic auth checked, then forwarded to the shared registry
    const upstream = new URL(process.env.FLOE_TEST_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7');
    const expectedAuth = `Basic ${Buffer.from(`floe:${REGISTRY_PASSWORD}`).toString('base64')}`;
    let proxied = 0;
    const proxy = https.createServer(
      {
        key: fs.readFileSync(path.join(path.dirname(ca), 'broker-key.pem')),
        cert: fs.readFileSync(path.join(path.dirname(ca), 'broker.pem')),
        ca: fs.readFileSync(ca),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        if (req.headers.authorization !== expectedAuth) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":401,"message":"Unauthorized"}');
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          proxied++;
          const headers: Record<string, string> = {};
          for (const h of ['accept', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
          fetch(`${upstream.origin}${req.url}`, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined }).then(
            async (r) => res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await r.arrayBuffer())),
            () => res.writeHead(502).end(),
          );
        });
      },
    );
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const registryUrl = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}${upstream.pathname}`;
    const pem = { ca: fs.readFileSync(ca, 'utf8'), cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };

    // the registry client alone: mTLS + basic auth works; without the client certificate, or with
    // a wrong password, it is refused with an error naming the registry, never the password
    const registry = new SchemaRegistryClient({ url: registryUrl, tls: pem, basicAuth: { username: 'floe', password: REGISTRY_PASSWORD } });
    await registry.checkApi();
    const topic = `sec-scram-${Date.now().toString(36)}`;
    const schema = { type: 'object', properties: { seq: { type: 'integer' }, note: { type: 'string' } }, required: ['seq', 'note'] };
    const id = await registry.register(`${topic}-value`, { schema: JSON.stringify(schema), schemaType: 'JSON' });
    const noCert = new SchemaRegistryClient({ url: registryUrl, tls: { ca: pem.ca }, basicAuth: { username: 'floe', password: REGISTRY_PASSWORD } });
    await assert.rejects(noCert.checkApi(), (e: Error) => {
      assertNoSecret(e.message, 'the error without a client certificate');
      assert.equal(e.name, 'RegistryAuthError', e.message);
      assert.match(e.message, new RegExp(`^TLS with schema registry ${esc(registryUrl)} failed on GET /schemas/types: .*\\(ERR_SSL_[A-Z0-9_/]+\\); check schemaRegistry\\.tls`));
      return true;
    });
    const wrong = new SchemaRegistryClient({ url: registryUrl, tls: pem, basicAuth: { username: 'floe', password: WRONG_PASSWORD } });
    await assert.rejects(wrong.checkApi(), (e: Error) => e.name === 'RegistryAuthError' && /did not accept the credentials \(HTTP 401\)/.test(e.message) && !e.message.includes(WRONG_PASSWORD));

    // records: produced through SASL_SSL with SCRAM-SHA-256 (floe's own producer), 2 of them bad
    await admin.createTopic(topic, { partitions: 2 });
    await admin.createTopic(`${topic}.dlq`, { partitions: 1 });
    const producer = await KafkaProducer.connect({
      brokers: [`127.0.0.1:${sec.saslSslPort}`],
      tls: { ca: pem.ca },
      sasl: { mechanism: 'SCRAM-SHA-256', username: sec.user, password: sec.password },
    });
    const GOOD = 300;
    try {
      const records = Array.from({ length: GOOD }, (_, seq) => ({ topic, partition: seq % 2, value: encodeFrame(id, Buffer.from(JSON.stringify({ seq, note: `n${seq}` }))) }));
      records.push({ topic, partition: 0, value: Buffer.from('not framed') }, { topic, partition: 1, value: Buffer.from('not framed either') });
      await producer.send(records);
    } finally {
      await producer.close();
    }

    const dir = workDir();
    fs.writeFileSync(path.join(dir, 'kafka-password'), `${sec.password}\n`);
    const file = path.join(dir, 'scram.yaml');
    const metricsPort = await freePort();
    fs.writeFileSync(
      file,
      `
name: sec-scram
kafka:
  brokers: ["127.0.0.1:${sec.saslSslPort}"]
  groupId: sec-scram-g
  tls: { caFile: ${ca} }
  sasl: { mechanism: SCRAM-SHA-512, username: ${sec.user}, passwordFile: kafka-password }
schemaRegistry:
  url: ${registryUrl}
  username: floe
  password: \${REGISTRY_PW}
  tls: { caFile: ${ca}, certFile: ${cert}, keyFile: ${key} }
format: json-schema
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: sec.scram }
commit: { intervalMs: 500 }
errors: { tolerance: all, deadLetterTopic: ${topic}.dlq }
metricsPort: ${metricsPort}
`,
    );
    const env = { REGISTRY_PW: REGISTRY_PASSWORD };
    const validate = await floe(['validate', '-c', file, '--connect'], env);
    assert.equal(validate.code, 0, validate.out);
    assert.match(validate.out, new RegExp(`kafka: 127\\.0\\.0\\.1:${sec.saslSslPort} over SASL_SSL, SCRAM-SHA-512, user ${sec.user}; registry with a client certificate`));
    assert.match(validate.out, /checked: schema registry https:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 answers/);
    assert.match(validate.out, new RegExp(`checked: dead-letter topic ${esc(topic)}\\.dlq exists`));
    assertNoSecret(validate.out, 'floe validate --connect');

    // /metrics is read while floe runs: start a reader that polls it
    let metrics = '';
    const poll = setInterval(() => {
      fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        async (r) => (metrics = await r.text()),
        () => undefined,
      );
    }, 500);
    try {
      const { log, rows } = await runUntilLanded(dir, file, 'sec-scram', 'sec.scram', topic, env);
      assert.equal(rows, GOOD, 'every good record is a row');
      assertNoSecret(log, 'the log of floe run');
    } finally {
      clearInterval(poll);
    }
    assert.match(metrics, /floe_/, 'the metrics were read');
    assertNoSecret(metrics, '/metrics');
    assert.equal((await admin.endOffsets(`${topic}.dlq`)).get(0), 2n, 'the two bad records are dead letters, sent over SASL_SSL');
    assert.ok(proxied >= 3, `the registry was reached through the proxy (${proxied} requests)`);
  },
);

test('SSL with a client certificate (mTLS): records land', { timeout: 120_000 }, async () => {
  const { ca, cert, key } = tlsFiles();
  const topic = `sec-mtls-${Date.now().toString(36)}`;
  await admin.createTopic(topic, { partitions: 1 });
  const producer = await KafkaProducer.connect({ brokers: [broker.bootstrap] });
  try {
    await producer.send(Array.from({ length: 50 }, (_, seq) => ({ topic, value: JSON.stringify({ seq }) })));
  } finally {
    await producer.close();
  }
  const dir = workDir();
  const file = path.join(dir, 'mtls.yaml');
  fs.writeFileSync(
    file,
    `
name: sec-mtls
kafka: { brokers: ["127.0.0.1:${sec.sslPort}"], tls: { caFile: ${ca}, certFile: ${cert}, keyFile: ${key} } }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: sec.mtls }
commit: { intervalMs: 500 }
metricsPort: 0
`,
  );
  const { rows } = await runUntilLanded(dir, file, 'sec-mtls', 'sec.mtls', topic);
  assert.equal(rows, 50);
});

test('OAUTHBEARER with tokens from a client-credentials token endpoint: records land, the secret only ever goes to the endpoint', { timeout: 120_000 }, async () => {
  let issued = 0;
  let refused = 0;
  const expected = `Basic ${Buffer.from(`floe-client:${CLIENT_SECRET}`).toString('base64')}`;
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const endpoint = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers.authorization !== expected || new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
        refused++;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      issued++;
      const now = Math.floor(Date.now() / 1000);
      // an unsecured JWT (alg none), as Kafka's default OAUTHBEARER validator takes it
      const token = `${b64({ alg: 'none' })}.${b64({ sub: 'floe-client', iat: now, exp: now + 600 })}.`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 600 }));
    });
  });
  servers.push(endpoint);
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  const tokenEndpoint = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/oauth/token`;

  const topic = `sec-oauth-${Date.now().toString(36)}`;
  await admin.createTopic(topic, { partitions: 1 });
  await admin.createTopic(`${topic}.dlq`, { partitions: 1 });
  const producer = await KafkaProducer.connect({ brokers: [broker.bootstrap] });
  try {
    await producer.send([...Array.from({ length: 40 }, (_, seq) => ({ topic, value: JSON.stringify({ seq }) })), { topic, value: 'not json' }]);
  } finally {
    await producer.close();
  }
  const dir = workDir();
  fs.writeFileSync(path.join(dir, 'client-secret'), CLIENT_SECRET);
  const file = path.join(dir, 'oauth.yaml');
  fs.writeFileSync(
    file,
    `
name: sec-oauth
kafka:
  brokers: ["127.0.0.1:${sec.oauthPort}"]
  sasl: { mechanism: OAUTHBEARER, tokenEndpoint: "${tokenEndpoint}", clientId: floe-client, clientSecretFile: client-secret, scope: kafka }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: sec.oauth }
commit: { intervalMs: 500 }
errors: { tolerance: all, deadLetterTopic: ${topic}.dlq }
metricsPort: 0
`,
  );
  const { log, rows } = await runUntilLanded(dir, file, 'sec-oauth', 'sec.oauth', topic);
  assert.equal(rows, 40);
  assert.equal((await admin.endOffsets(`${topic}.dlq`)).get(0), 1n, 'the dead letter went out over OAUTHBEARER');
  assert.ok(issued >= 1 && refused === 0, `tokens issued: ${issued}, refused: ${refused}`);
  assertNoSecret(log, 'the log of floe run');
});

test(
  'a wrong password, an untrusted broker certificate, no client certificate and a client without TLS: floe stops within seconds naming the broker and the mechanism, never the password',
  { timeout: 120_000 },
  async () => {
    const { ca } = tlsFiles();
    const topic = `sec-refused-${Date.now().toString(36)}`;
    await admin.createTopic(topic, { partitions: 1 });
    const dir = workDir();
    const write = (name: string, kafka: string, extra = '') => {
      const file = path.join(dir, `${name}.yaml`);
      fs.writeFileSync(
        file,
        `
name: ${name}
kafka: ${kafka}
format: json
catalog: { type: sql, uri: ${name}.db, warehouse: wh }
topics: [${topic}]
table: { name: sec.${name.replace(/-/g, '_')} }
metricsPort: 0
${extra}`,
      );
      return file;
    };
    const saslSsl = `127\\.0\\.0\\.1:${sec.saslSslPort}`;
    const results: Record<string, number> = {};

    // wrong password: floe run and floe validate --connect
    const wrong = write('wrong-pw', `{ brokers: ["127.0.0.1:${sec.saslSslPort}"], tls: { caFile: ${ca} }, sasl: { mechanism: SCRAM-SHA-512, username: ${sec.user}, password: "\${PW}" } }`);
    const run = await floe(['run', '-c', wrong], { PW: WRONG_PASSWORD });
    results.wrongPasswordRunMs = run.ms;
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, new RegExp(`broker ${saslSsl} refused the authentication \\(SASL_SSL, SCRAM-SHA-512, user ${sec.user}\\): SASL authentication failed`), run.out);
    assert.ok(run.ms < 30_000, `stopped after ${run.ms} ms`);
    assertNoSecret(run.out, 'floe run with a wrong password');
    const check = await floe(['validate', '-c', wrong, '--connect'], { PW: WRONG_PASSWORD });
    results.wrongPasswordValidateMs = check.ms;
    assert.equal(check.code, 1, check.out);
    assert.match(check.out, new RegExp(`wrong-pw\\.yaml: kafka\\.sasl: kafka: broker ${saslSsl} refused the authentication \\(SASL_SSL, SCRAM-SHA-512`), check.out);
    assertNoSecret(check.out, 'floe validate --connect with a wrong password');

    // the broker's certificate is not trusted: tls without the test CA (the system's CAs only)
    const untrusted = write('untrusted', `{ brokers: ["127.0.0.1:${sec.saslSslPort}"], tls: true, sasl: { mechanism: SCRAM-SHA-512, username: ${sec.user}, password: "\${PW}" } }`);
    const u = await floe(['run', '-c', untrusted], { PW: sec.password });
    results.untrustedRunMs = u.ms;
    assert.equal(u.code, 1, u.out);
    assert.match(
      u.out,
      new RegExp(
        `TLS with broker ${saslSsl} failed \\(SASL_SSL, SCRAM-SHA-512, user ${sec.user}\\): .*\\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)`,
      ),
      u.out,
    );
    assert.ok(u.ms < 30_000, `stopped after ${u.ms} ms`);
    assertNoSecret(u.out, 'floe run with an untrusted certificate');

    // no client certificate for the listener that requires one: the broker's alert, not "Connection closed"
    const noCert = write('no-cert', `{ brokers: ["127.0.0.1:${sec.sslPort}"], tls: { caFile: ${ca} } }`);
    const c = await floe(['run', '-c', noCert]);
    results.noClientCertRunMs = c.ms;
    assert.equal(c.code, 1, c.out);
    assert.match(c.out, new RegExp(`TLS with broker 127\\.0\\.0\\.1:${sec.sslPort} failed \\(SSL\\): .*alert (bad certificate|certificate required) \\(ERR_SSL_`), c.out);
    assert.ok(c.ms < 30_000, `stopped after ${c.ms} ms`);

    // a client without TLS on the SSL listener
    const plain = write('no-tls', `{ brokers: ["127.0.0.1:${sec.sslPort}"] }`);
    const n = await floe(['run', '-c', plain]);
    results.noTlsRunMs = n.ms;
    assert.equal(n.code, 1, n.out);
    assert.match(n.out, new RegExp(`TLS with broker 127\\.0\\.0\\.1:${sec.sslPort} failed \\(PLAINTEXT\\): Broker requires TLS`), n.out);
    assert.ok(n.ms < 30_000, `stopped after ${n.ms} ms`);
    console.log(`security: time to a clear error (ms, floe process start included): ${JSON.stringify(results)}`);
  },
);
