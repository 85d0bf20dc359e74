import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, MultipleErrors, NetworkError, ResponseError } from '@platformatic/kafka';
import { connectError, describeKafkaError, floeErrorIn, isKafkaSecurityError, isTransientKafkaError } from '../../src/kafka/errors.ts';
import { FloeError } from '../../src/errors.ts';
import { OAuthTokenError } from '../../src/kafka/oauth-client-credentials.ts';

const SECRET = 'pw-never-shown';
const scram = { brokers: ['127.0.0.1:9094'], tls: true, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: SECRET } };

/** the tree the client library gives for a refused SASL login (checked against a real broker) */
function refusedLogin(): Error {
  const protocol = new ResponseError(36, 2, { '': [58, 'Authentication failed'] }, {});
  const auth = new AuthenticationError('SASL authentication failed.', { cause: protocol });
  const network = new NetworkError('Connection to 127.0.0.1:9094 failed.', { cause: auth });
  return new MultipleErrors('metadata failed 2 times.', [new MultipleErrors('Cannot connect to any broker.', [network])]);
}

function untrustedCertificate(): Error {
  const tls = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  return new MultipleErrors('metadata failed 2 times.', [new NetworkError('Connection to 127.0.0.1:9095 failed.', { cause: tls })]);
}

test('a refused login is a security error, not transient; the message names the broker, the protocol, the mechanism and the user, never the password', () => {
  const err = refusedLogin();
  assert.equal(isKafkaSecurityError(err), true);
  assert.equal(isTransientKafkaError(err), false);
  const m = describeKafkaError(err, scram);
  assert.match(m, /^broker 127\.0\.0\.1:9094 refused the authentication \(SASL_SSL, SCRAM-SHA-512, user alice\): SASL authentication failed/);
  assert.ok(!m.includes(SECRET));
  assert.match(connectError(scram, err).message, /^kafka: broker 127\.0\.0\.1:9094 refused the authentication/);
});

test('an untrusted broker certificate is a TLS error naming the broker and the code', () => {
  const err = untrustedCertificate();
  assert.equal(isKafkaSecurityError(err), true);
  assert.equal(isTransientKafkaError(err), false);
  assert.equal(
    describeKafkaError(err, { brokers: ['127.0.0.1:9095'], tls: true }),
    'TLS with broker 127.0.0.1:9095 failed (SSL): unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); check kafka.tls (caFile, certFile, keyFile, serverName)',
  );
});

test('a refused connection stays transient; a token endpoint that is down is transient, one that refuses the client is not', () => {
  const refused = new NetworkError('Connection to 127.0.0.1:9094 failed.', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9094'), { code: 'ECONNREFUSED' }) });
  assert.equal(isKafkaSecurityError(refused), false);
  assert.equal(isTransientKafkaError(refused), true);
  assert.match(connectError(scram, refused).message, /^kafka: brokers 127\.0\.0\.1:9094 unreachable: .*ECONNREFUSED/);

  const down = new NetworkError('Connection to 127.0.0.1:9094 failed.', {
    cause: new AuthenticationError('The SASL/OAUTHBEARER token provider threw an error.', { cause: new OAuthTokenError('OAuth token endpoint http://idp/token cannot be reached', true) }),
  });
  assert.equal(isKafkaSecurityError(down), false);
  assert.equal(isTransientKafkaError(down), true);

  const refusedClient = new NetworkError('Connection to 127.0.0.1:9094 failed.', {
    cause: new AuthenticationError('The SASL/OAUTHBEARER token provider threw an error.', { cause: new OAuthTokenError('OAuth token endpoint http://idp/token answered HTTP 401', false) }),
  });
  assert.equal(isKafkaSecurityError(refusedClient), true);
  assert.match(describeKafkaError(refusedClient), /refused the authentication: The SASL\/OAUTHBEARER token provider threw an error\.; OAuth token endpoint http:\/\/idp\/token answered HTTP 401/);
});

test("a broker's TLS alert is told by its reason, without OpenSSL's location", () => {
  const alert = Object.assign(
    new Error('408D6953C87F0000:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 42\n'),
    { code: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE' },
  );
  const err = new Error('Connection to 127.0.0.1:9095 failed.', { cause: alert });
  assert.equal(
    describeKafkaError(err, { brokers: ['127.0.0.1:9095'], tls: { ca: 'x' } }),
    'TLS with broker 127.0.0.1:9095 failed (SSL): ssl/tls alert bad certificate (ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE); check kafka.tls (caFile, certFile, keyFile, serverName)',
  );
});

test('floeErrorIn finds the verdict of floe inside the retry wrapper of the library; a library error alone has none', () => {
  const own = new FloeError('fatal', 'kafka: record batch format 1 is not supported');
  const wrapped = new MultipleErrors('Fetch failed after 3 attempts', [own, new Error('other')]);
  assert.equal(floeErrorIn(wrapped), own);
  assert.equal(floeErrorIn(new Error('outer', { cause: own })), own);
  assert.equal(floeErrorIn(new MultipleErrors('x', [new Error('ECONNRESET')])), undefined);
});
