// A single-node Kafka (KRaft) of a test's own, started and stopped through the stack scripts
// (scripts/stack/start.sh kafka / stop.sh kafka) in a temporary FLOE_STACK_DIR on free ports, so
// that a test may stop, kill and restart it without touching the shared broker on :9092.
// stop() keeps the data dir: start() again brings the same broker back (same cluster id, topics
// and offsets). With `security` (start.sh's FLOE_STACK_KAFKA_SECURITY) it also listens with
// SASL_SSL (PLAIN, SCRAM), SSL with client certificates, and OAUTHBEARER (unsecured JWTs).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');

/** a port nothing listens on right now (the kernel's pick for an ephemeral listener) */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The extra listeners of a broker started with `security`, and the user the SASL ones accept. */
export interface SecurityListeners {
  saslSslPort: number;
  sslPort: number;
  oauthPort: number;
  user: string;
  password: string;
}

export class PrivateBroker {
  readonly dir: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly security: SecurityListeners | undefined;

  private constructor(dir: string, port: number, controllerPort: number, security?: SecurityListeners) {
    this.dir = dir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.security = security;
  }

  /** picks a temp dir and free ports; nothing runs until start() */
  static async create(prefix = 'floe-private-kafka-', options: { security?: boolean } = {}): Promise<PrivateBroker> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const ports = new Set<number>();
    const pick = async () => {
      let p = await freePort();
      while (ports.has(p)) p = await freePort();
      ports.add(p);
      return p;
    };
    const port = await pick();
    const controllerPort = await pick();
    const security = options.security
      ? { saslSslPort: await pick(), sslPort: await pick(), oauthPort: await pick(), user: 'floe', password: `pw-${Math.random().toString(36).slice(2, 12)}` }
      : undefined;
    return new PrivateBroker(dir, port, controllerPort, security);
  }

  /** the CA, client certificate and key that start() made for a broker with `security` */
  get tlsFiles(): { ca: string; cert: string; key: string } {
    const tls = path.join(this.dir, 'kafka', 'tls');
    return { ca: path.join(tls, 'ca.pem'), cert: path.join(tls, 'client.pem'), key: path.join(tls, 'client-key.pem') };
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get log(): string {
    return path.join(this.dir, 'logs', 'kafka.log');
  }

  /** starts (or restarts, on the same data) and resolves when the broker lists topics */
  start(timeoutS = 120): Promise<string> {
    return this.script('start.sh', { FLOE_STACK_TIMEOUT: String(timeoutS) });
  }

  /** TERM: a clean shutdown; KILL: a crash. Resolves when the process is gone. */
  stop(signal: 'TERM' | 'KILL' = 'TERM'): Promise<string> {
    return this.script('stop.sh', { FLOE_STACK_STOP_SIGNAL: signal });
  }

  /** the broker's pid while it runs (from the stack's pid file), else undefined */
  pid(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.dir, 'run', 'kafka.pid'), 'utf8').split(' ')[0]);
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /** stops the broker if it runs (SIGKILL: nothing to keep) and removes its data */
  async destroy(): Promise<void> {
    await this.stop('KILL').catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private script(name: string, extra: Record<string, string>): Promise<string> {
    const env = {
      ...process.env,
      FLOE_STACK_DIR: this.dir,
      FLOE_STACK_KAFKA_PORT: String(this.port),
      FLOE_STACK_KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      ...(this.security
        ? {
            FLOE_STACK_KAFKA_SECURITY: '1',
            FLOE_STACK_KAFKA_SASL_SSL_PORT: String(this.security.saslSslPort),
            FLOE_STACK_KAFKA_SSL_PORT: String(this.security.sslPort),
            FLOE_STACK_KAFKA_OAUTH_PORT: String(this.security.oauthPort),
            FLOE_STACK_KAFKA_SASL_USER: this.security.user,
            FLOE_STACK_KAFKA_SASL_PASSWORD: this.security.password,
          }
        : {}),
      ...extra,
    };
    return new Promise((resolve, reject) => {
      execFile('bash', [path.join(repo, 'scripts/stack', name), 'kafka'], { env, timeout: 180_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${name} kafka (${this.dir}) failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout.trim());
      });
    });
  }
}
