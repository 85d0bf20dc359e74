import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-reader.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { kafkaConnection } from '../../src/cli/kafka-options.ts';
import { clientBaseOptions, securityLabel } from '../../src/kafka/connection.ts';

const SECRET = 'Zq8-very-secret-value';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** a connector file in a temp dir, with secret files beside it */
function setup(kafkaExtra: string, registryExtra = '', files: Record<string, string> = {}): { dir: string; file: string; yaml: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-sec-cfg-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const yaml = `
name: orders
kafka:
  brokers: ["127.0.0.1:9094"]
${kafkaExtra}
schemaRegistry:
  url: https://127.0.0.1:8443/apis/ccompat/v7
${registryExtra}
format: avro
catalog: { type: rest, uri: http://127.0.0.1:8181, warehouse: s3://warehouse/ }
topics: [orders]
table: { name: shop.orders }
`;
  const file = path.join(dir, 'orders.yaml');
  fs.writeFileSync(file, yaml);
  return { dir, file, yaml };
}

function parse(s: { file: string; yaml: string }, env: NodeJS.ProcessEnv = {}) {
  return parseConnectorConfig(s.yaml, s.file, env);
}

function fails(s: { file: string; yaml: string }, key: string, re: RegExp, env: NodeJS.ProcessEnv = {}) {
  assert.throws(
    () => parse(s, env),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.key, key, e.message);
      assert.match(e.message, re);
      assert.ok(!e.message.includes(SECRET), `secret in: ${e.message}`);
      return true;
    },
  );
}

test('kafka.sasl SCRAM: the password from ${ENV}, from a file next to the connector file (trailing newline dropped), or from FLOE_KAFKA_SASL_PASSWORD', () => {
  const fromEnv = setup('  sasl: { mechanism: SCRAM-SHA-512, username: alice, password: "${KAFKA_PW}" }\n  tls: true');
  const c = parse(fromEnv, { KAFKA_PW: SECRET });
  assert.deepEqual(c.kafka.sasl, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: SECRET });
  assert.equal(c.kafka.tls, true);

  const fromFile = setup('  sasl: { mechanism: scram-sha-256, username: alice, passwordFile: pw.txt }', '', { 'pw.txt': `${SECRET}\n` });
  assert.deepEqual(parse(fromFile).kafka.sasl, { mechanism: 'SCRAM-SHA-256', username: 'alice', password: SECRET });
  // the variable wins over the file (and over an inline value)
  assert.deepEqual(parse(fromFile, { FLOE_KAFKA_SASL_PASSWORD: 'other' }).kafka.sasl, { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'other' });
});

test('kafka.tls: CA, client certificate and key are read from their files; the client options carry them', () => {
  const s = setup('  tls: { caFile: ca.pem, certFile: c.pem, keyFile: key.pem, serverName: kafka.internal }', '', {
    'ca.pem': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
    'c.pem': 'CERT\n',
    'key.pem': 'KEY\n',
  });
  const c = parse(s);
  const tls = c.kafka.tls;
  assert.ok(tls && tls !== true);
  assert.equal(tls.ca, '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
  assert.equal(tls.key, 'KEY\n');
  assert.equal(tls.cert, 'CERT\n');
  const base = clientBaseOptions(kafkaConnection(c.kafka), 'source');
  assert.deepEqual(base.tls, { ca: tls.ca, cert: 'CERT\n', key: 'KEY\n', servername: 'kafka.internal' });
  assert.equal(securityLabel(c.kafka), 'SSL with a client certificate');
});

test('OAUTHBEARER: a token endpoint with clientId and clientSecretFile, or a fixed token; never both', () => {
  const s = setup('  sasl: { mechanism: OAUTHBEARER, tokenEndpoint: "https://idp.example/token", clientId: floe, clientSecretFile: secret, scope: kafka }', '', { secret: SECRET });
  const c = parse(s);
  assert.deepEqual(c.kafka.sasl, { mechanism: 'OAUTHBEARER', tokenEndpoint: 'https://idp.example/token', clientId: 'floe', clientSecret: SECRET, scope: 'kafka' });
  assert.equal(securityLabel(c.kafka), 'SASL_PLAINTEXT, OAUTHBEARER, client floe via https://idp.example/token');
  const base = clientBaseOptions(kafkaConnection(c.kafka), 'source');
  assert.equal(typeof (base.sasl as { token: unknown }).token, 'function');

  fails(setup('  sasl: { mechanism: OAUTHBEARER, token: x, tokenEndpoint: "https://idp/token" }'), 'kafka.sasl', /either token .* or tokenEndpoint/);
  fails(setup('  sasl: { mechanism: OAUTHBEARER, tokenEndpoint: "https://idp/token", clientId: floe }'), 'kafka.sasl.clientSecret', /is required with tokenEndpoint/);
  fails(setup(`  sasl: { mechanism: OAUTHBEARER, tokenEndpoint: "https://floe:${SECRET}@idp/token", clientId: f, clientSecret: x }`), 'kafka.sasl.tokenEndpoint', /credentials in a URL/);
});

test('bad security settings name the key, never the secret', () => {
  fails(setup('  sasl: { mechanism: GSSAPI, username: a, password: x }'), 'kafka.sasl.mechanism', /not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER/);
  fails(setup('  sasl: { mechanism: PLAIN, username: a }'), 'kafka.sasl.password', /is required for PLAIN/);
  fails(setup(`  sasl: { mechanism: PLAIN, username: a, password: "${SECRET}", passwordFile: pw }`), 'kafka.sasl.passwordFile', /not both/);
  fails(setup('  sasl: { mechanism: PLAIN, username: a, password: 12345 }'), 'kafka.sasl.password', /non-empty string \(quote it in YAML\)/);
  fails(setup('  sasl: { mechanism: PLAIN, username: a, passwordFile: missing.txt }'), 'kafka.sasl.passwordFile', /cannot read .*missing\.txt \(ENOENT\)/);
  fails(setup('  sasl: { mechanism: PLAIN, username: a, pasword: x }'), 'kafka.sasl.pasword', /unknown key \(did you mean "password"\?\)/);
  fails(setup('  tls: { certFile: c.pem }', '', { 'c.pem': 'C' }), 'kafka.tls.keyFile', /a client certificate needs its key/);
  fails(setup('  tls: { caFile: nope.pem }'), 'kafka.tls.caFile', /cannot read .*nope\.pem/);
  fails(setup('  tls: { cafile: ca.pem }'), 'kafka.tls.cafile', /did you mean "caFile"/);
  fails(setup('  tls: { caFile: empty.pem }', '', { 'empty.pem': '\n' }), 'kafka.tls.caFile', /empty\.pem is empty/);
  fails(setup('  sasl: { mechanism: PLAIN, username: a, password: "${UNSET_PW}" }'), 'kafka.sasl.password', /environment variable UNSET_PW is not set/);
});

test('schemaRegistry: passwordFile and tokenFile, tls with a CA and a client certificate; tls only for https', () => {
  const s = setup('', '  username: floe\n  passwordFile: pw\n  tls: { caFile: ca.pem, certFile: c.pem, keyFile: k.pem }', { pw: `${SECRET}\n`, 'ca.pem': 'CA', 'c.pem': 'C', 'k.pem': 'K' });
  const r = parse(s).schemaRegistry!;
  assert.equal(r.password, SECRET);
  assert.deepEqual([r.tls?.ca, r.tls?.cert, r.tls?.key], ['CA', 'C', 'K']);
  const t = setup('', '  tokenFile: pw', { pw: SECRET });
  assert.equal(parse(t).schemaRegistry!.token, SECRET);
  assert.equal(parse(t, { FLOE_SCHEMA_REGISTRY_TOKEN: 'env-token' }).schemaRegistry!.token, 'env-token');
  fails(setup('', '  tls: true'), 'schemaRegistry.tls', /https:\/\/ url is TLS already/);
  fails(setup('', `  token: "${SECRET}"\n  username: u\n  password: p`), 'schemaRegistry.token', /not both/);
  const plain = setup('', '  tls: { caFile: ca.pem }', { 'ca.pem': 'CA' });
  fails({ file: plain.file, yaml: plain.yaml.replace('https://127.0.0.1:8443', 'http://127.0.0.1:8081') }, 'schemaRegistry.tls', /is for an https:\/\/ url/);
});

test('securityLabel names protocol, mechanism and user, never a secret', () => {
  assert.equal(securityLabel({}), 'PLAINTEXT');
  assert.equal(securityLabel({ tls: true }), 'SSL');
  assert.equal(securityLabel({ tls: true, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: SECRET } }), 'SASL_SSL, SCRAM-SHA-512, user alice');
  assert.equal(securityLabel({ sasl: { mechanism: 'OAUTHBEARER', token: SECRET } }), 'SASL_PLAINTEXT, OAUTHBEARER (fixed token)');
});
