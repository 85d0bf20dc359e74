// The connections floe's fetch loop sends its Fetch requests on: a pool of their own (a fetch that
// waits up to maxWaitMs for data holds up no heartbeat or offset commit of the group), whose
// Fetch responses are read by fetch-response.ts, records left as bytes, instead of by the
// library's reader, which makes objects of every record. Everything else a connection does
// (connecting, TLS, SASL, other requests) is the library's.
import { ConnectionPool, compressionsAlgorithmsByBitmask } from '@platformatic/kafka';
import type { Broker, Connection, ConnectionOptions } from '@platformatic/kafka';
import type { CallbackWithPromise } from '@platformatic/kafka';
import { FETCH_API_KEY, readFetchResponse } from './fetch-response.ts';
import type { Decompress } from './fetched-records.ts';
import { FloeError } from '../errors.ts';

type Send = Connection['send'];

const decompress: Decompress = (codec, data) => {
  const algorithm = (compressionsAlgorithmsByBitmask as Record<number, { decompressSync(d: Buffer): Buffer } | undefined>)[codec];
  if (!algorithm) throw new FloeError('fatal', `kafka: a record batch is compressed with codec ${codec}, which floe cannot read`);
  return algorithm.decompressSync(data);
};

const readFetch = (_correlationId: number, apiKey: number, apiVersion: number, reader: Parameters<typeof readFetchResponse>[2]) => {
  try {
    return readFetchResponse(apiKey, apiVersion, reader, decompress);
  } catch (e) {
    // bytes floe cannot read read the same again: the library must not retry the request
    if (e instanceof FloeError) Object.assign(e, { canRetry: false });
    throw e;
  }
};

/**
 * A connection pool for `Consumer.fetch({ connectionPool })`. It is handed to the library as its
 * own type: the library calls `get` on it, and `send` on the connections it returns.
 */
export class FetchConnections {
  readonly #pool: ConnectionPool;
  readonly #wrapped = new WeakMap<Connection, Connection>();

  constructor(clientId: string, options: ConnectionOptions) {
    this.#pool = new ConnectionPool(clientId, options);
  }

  /** the pool to pass as `connectionPool` (always the same object: the library keys fetch sessions by it) */
  get pool(): ConnectionPool {
    return this as unknown as ConnectionPool;
  }

  get(broker: Broker, callback: CallbackWithPromise<Connection>): void {
    this.#pool.get(broker, (error, connection) => {
      if (error || !connection) {
        callback(error, connection);
        return;
      }
      callback(null, this.#wrap(connection));
    });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  #wrap(connection: Connection): Connection {
    let w = this.#wrapped.get(connection);
    if (w === undefined) {
      // (the library's parser type is generic in what it returns; the Fetch caller gets our shape)
      const send = ((apiKey, apiVersion, createPayload, parse, ...rest) =>
        connection.send(apiKey, apiVersion, createPayload, apiKey === FETCH_API_KEY ? (readFetch as typeof parse) : parse, ...rest)) as Send;
      // every other member is the connection's own (methods bound to it: it has private fields)
      w = new Proxy(connection, {
        get: (target, prop) => {
          if (prop === 'send') return send;
          const v: unknown = Reflect.get(target, prop, target);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      this.#wrapped.set(connection, w);
    }
    return w;
  }
}
