// The security keys of a connector file: kafka.tls, kafka.sasl and schemaRegistry.tls. A secret
// is given inline (usually as ${VAR}) or as a file (`passwordFile: /var/run/secrets/...`), read
// when the file is loaded; PEM files likewise. A relative path is relative to the connector
// file. Errors name the key and the path, never what a file holds or a secret's value.
import fs from 'node:fs';
import path from 'node:path';
import { describe, type ConfigReader } from './config-reader.ts';

/** PEM texts and checks for a TLS connection (the shape of kafka/types.ts KafkaTlsOptions). */
export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
  keyPassword?: string;
  serverName?: string;
  rejectUnauthorized?: boolean;
  /** the files they came from, for messages */
  files: { ca?: string; cert?: string; key?: string };
}

export type KafkaSaslConfig =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  | { mechanism: 'OAUTHBEARER'; token: string }
  | { mechanism: 'OAUTHBEARER'; tokenEndpoint: string; clientId: string; clientSecret: string; scope?: string };

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** `tls: true`, `tls: false` (or absent: undefined) or `tls: { caFile, certFile, keyFile, keyPasswordFile, serverName, rejectUnauthorized }`. */
export function readTls(v: ConfigReader, value: unknown, prefix: string, baseDir: string): TlsConfig | true | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (value === true) return true;
  const o = v.object(value, prefix);
  const out: TlsConfig = { files: {} };
  for (const k of ['ca', 'cert', 'key'] as const) {
    const file = optionalString(v, o, `${k}File`, prefix);
    if (file !== undefined) {
      out.files[k] = file;
      out[k] = readFileValue(v, `${prefix}.${k}File`, file, baseDir, false);
      if (out[k]!.trim() === '') v.fail(`${prefix}.${k}File`, `${file} is empty`);
    }
  }
  if ((out.cert === undefined) !== (out.key === undefined))
    v.fail(`${prefix}.${out.cert === undefined ? 'certFile' : 'keyFile'}`, 'is required with certFile/keyFile (a client certificate needs its key)');
  const keyPassword = readSecret(v, o, 'keyPassword', prefix, baseDir);
  if (keyPassword !== undefined) out.keyPassword = keyPassword;
  const serverName = optionalString(v, o, 'serverName', prefix);
  if (serverName !== undefined) out.serverName = serverName;
  if (o.rejectUnauthorized !== undefined) {
    if (typeof o.rejectUnauthorized !== 'boolean') v.fail(`${prefix}.rejectUnauthorized`, `must be true or false, got ${describe(o.rejectUnauthorized)}`);
    if (o.rejectUnauthorized === false) out.rejectUnauthorized = false;
  }
  v.noUnknown(o, prefix, ['caFile', 'certFile', 'keyFile', 'keyPassword', 'keyPasswordFile', 'serverName', 'rejectUnauthorized']);
  return out;
}

/** kafka.sasl: PLAIN and SCRAM with username and password, OAUTHBEARER with a token or a token endpoint. */
export function readKafkaSasl(v: ConfigReader, value: unknown, baseDir: string): KafkaSaslConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const prefix = 'kafka.sasl';
  const o = v.object(value, prefix);
  const mechanism = optionalString(v, o, 'mechanism', prefix);
  if (mechanism === undefined) v.fail(`${prefix}.mechanism`, `is required (${SASL_MECHANISMS.join(', ')})`);
  const upper = mechanism.toUpperCase();
  if (!SASL_MECHANISMS.includes(upper)) v.fail(`${prefix}.mechanism`, `"${mechanism}" is not one of ${SASL_MECHANISMS.join(', ')}`);
  if (upper !== 'OAUTHBEARER') {
    v.noUnknown(o, prefix, ['mechanism', 'username', 'password', 'passwordFile']);
    const username = optionalString(v, o, 'username', prefix) ?? v.fail(`${prefix}.username`, `is required for ${upper}`);
    const password = readSecret(v, o, 'password', prefix, baseDir) ?? v.fail(`${prefix}.password`, `is required for ${upper} (or passwordFile, or FLOE_KAFKA_SASL_PASSWORD)`);
    return { mechanism: upper as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username, password };
  }
  v.noUnknown(o, prefix, ['mechanism', 'token', 'tokenFile', 'tokenEndpoint', 'clientId', 'clientSecret', 'clientSecretFile', 'scope']);
  const token = readSecret(v, o, 'token', prefix, baseDir);
  const tokenEndpoint = optionalString(v, o, 'tokenEndpoint', prefix);
  if ((token === undefined) === (tokenEndpoint === undefined)) v.fail(prefix, 'OAUTHBEARER needs either token (or tokenFile) or tokenEndpoint with clientId and clientSecret, not both or neither');
  if (token !== undefined) {
    for (const k of ['clientId', 'clientSecret', 'clientSecretFile', 'scope']) if (o[k] !== undefined) v.fail(`${prefix}.${k}`, 'is for tokenEndpoint, not a fixed token');
    return { mechanism: 'OAUTHBEARER', token };
  }
  if (!/^https?:\/\/[^/]+/.test(tokenEndpoint!)) v.fail(`${prefix}.tokenEndpoint`, `"${tokenEndpoint}" is not an http(s) URL`);
  if (/^[a-z]+:\/\/[^/?#\s]*@/i.test(tokenEndpoint!))
    v.fail(`${prefix}.tokenEndpoint`, 'credentials in a URL are refused (the value is not shown here): give them in kafka.sasl.clientId and clientSecret');
  const clientId = optionalString(v, o, 'clientId', prefix) ?? v.fail(`${prefix}.clientId`, 'is required with tokenEndpoint');
  const clientSecret = readSecret(v, o, 'clientSecret', prefix, baseDir) ?? v.fail(`${prefix}.clientSecret`, 'is required with tokenEndpoint (or clientSecretFile, or FLOE_KAFKA_SASL_CLIENT_SECRET)');
  const scope = optionalString(v, o, 'scope', prefix);
  return { mechanism: 'OAUTHBEARER', tokenEndpoint: tokenEndpoint!, clientId, clientSecret, ...(scope === undefined ? {} : { scope }) };
}

/**
 * A secret given as `<k>` or as `<k>File` (not both): the value, or the file's text without its
 * trailing newline. Undefined when neither is given.
 */
export function readSecret(v: ConfigReader, o: Record<string, unknown>, k: string, prefix: string, baseDir: string): string | undefined {
  const inline = o[k];
  const file = o[`${k}File`];
  if (inline !== undefined && inline !== null && file !== undefined && file !== null) v.fail(`${prefix}.${k}File`, `give ${prefix}.${k} or ${prefix}.${k}File, not both`);
  if (file !== undefined && file !== null) {
    const p = optionalString(v, o, `${k}File`, prefix)!;
    const text = readFileValue(v, `${prefix}.${k}File`, p, baseDir, true);
    if (text === '') v.fail(`${prefix}.${k}File`, `${p} is empty`);
    return text;
  }
  if (inline === undefined || inline === null) return undefined;
  // the value is a secret: a wrong type is named, the value never shown
  if (typeof inline !== 'string' || inline === '') v.fail(`${prefix}.${k}`, 'must be a non-empty string (quote it in YAML)');
  return inline;
}

/** The base folder of a connector file's relative paths. */
export function configBaseDir(file: string): string {
  return file.startsWith('<') ? process.cwd() : path.dirname(path.resolve(file));
}

function readFileValue(v: ConfigReader, key: string, file: string, baseDir: string, secret: boolean): string {
  const full = path.resolve(baseDir, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    v.fail(key, `cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return secret ? text.replace(/\r?\n$/, '') : text;
}

function optionalString(v: ConfigReader, o: Record<string, unknown>, k: string, prefix: string): string | undefined {
  const value = o[k];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') v.fail(`${prefix}.${k}`, `must be a non-empty string, got ${describe(value)}`);
  return value;
}
