// Why a TLS broker closed the connection. A broker that refuses the client's certificate does
// so after a TLS 1.3 handshake has completed on the client's side: the client library sees only
// "Connection closed". One plain TLS connection that sends an ApiVersions request reads the
// broker's alert instead (ERR_SSL_..._ALERT_BAD_CERTIFICATE, ..._CERTIFICATE_REQUIRED).
import tls from 'node:tls';
import { isKafkaSecurityError } from './errors.ts';
import { clientBaseOptions } from './connection.ts';
import type { KafkaConnectionOptions } from './types.ts';

/** an ApiVersions v0 request (any answer means the connection was accepted) */
function apiVersionsRequest(): Buffer {
  const clientId = Buffer.from('floe-tls-probe');
  const body = Buffer.alloc(10 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // v0
  body.writeInt32BE(1, 4); // correlation id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/**
 * The TLS failure of the first broker, shaped as the client library reports one ("Connection to
 * host:port failed." caused by the TLS error), or undefined when there is none to find (no TLS,
 * the broker answered, refused the connection or timed out).
 */
export async function probeTls(options: KafkaConnectionOptions, timeoutMs = 5000): Promise<Error | undefined> {
  const base = clientBaseOptions(options, 'tls-probe');
  if (!base.tls) return undefined;
  const broker = options.brokers[0]!;
  const i = broker.lastIndexOf(':');
  const host = broker.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(broker.slice(i + 1));
  const failure = await new Promise<Error | undefined>((resolve) => {
    // as the client library connects
    const socket = tls.connect(port, host, { ...base.tls, timeout: timeoutMs });
    const done = (e: Error | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('secureConnect', () => socket.write(apiVersionsRequest()));
    socket.once('data', () => done(undefined));
    socket.once('error', (e) => done(e));
    socket.once('close', () => done(undefined));
  });
  if (!failure) return undefined;
  const err = new Error(`Connection to ${broker} failed.`, { cause: failure });
  return isKafkaSecurityError(err) ? err : undefined;
}
