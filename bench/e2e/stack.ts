// The servers the benchmark needs, through scripts/stack: setup (cached) and start; at the end
// stop only the components this run started (a stack that was already up is left running).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');

export type Component = 's3' | 'rest' | 'kafka' | 'registry';

export interface StackEnv {
  brokers: string[];
  registryUrl: string;
  restUri: string;
  s3Endpoint: string;
  s3AccessKey: string;
  s3SecretKey: string;
  s3Region: string;
}

export interface Stack {
  env: StackEnv;
  /** the components this run started (and will stop) */
  started: Component[];
  stop(): void;
}

function script(name: string, args: string[], log: (line: string) => void): string {
  const r = spawnSync('bash', [path.join(repo, 'scripts/stack', name), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  for (const line of out.split('\n')) if (line.trim() && !line.startsWith('export ')) log(`  ${line}`);
  if (r.status !== 0) throw new Error(`scripts/stack/${name} ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

/**
 * The stack as the environment gives it (`source scripts/stack/env.sh`): a stack already up and
 * shared with others, which the benchmark neither starts nor stops.
 */
export function runningStack(): Stack {
  const v = (name: string) => {
    const x = process.env[name];
    if (!x) throw new Error(`${name} is not set: source scripts/stack/env.sh first`);
    return x;
  };
  const env: StackEnv = {
    brokers: v('FLOE_TEST_KAFKA_BROKERS').split(','),
    registryUrl: v('FLOE_TEST_REGISTRY_URL'),
    restUri: v('FLOE_TEST_REST_URI'),
    s3Endpoint: v('FLOE_TEST_S3_ENDPOINT'),
    s3AccessKey: v('FLOE_TEST_S3_ACCESS_KEY'),
    s3SecretKey: v('FLOE_TEST_S3_SECRET_KEY'),
    s3Region: v('FLOE_TEST_S3_REGION'),
  };
  return { env, started: [], stop() {} };
}

export function startStack(components: Component[], log: (line: string) => void): Stack {
  script('setup.sh', components, log);
  const out = script('start.sh', components, log);
  const started = components.filter((c) => new RegExp(`^stack: ${c} up on .*`, 'm').test(out) && !new RegExp(`^stack: ${c} up on .*\\(already running\\)`, 'm').test(out));
  const vars: Record<string, string> = {};
  for (const m of script('env.sh', [], () => {}).matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  const env: StackEnv = {
    brokers: vars.FLOE_TEST_KAFKA_BROKERS.split(','),
    registryUrl: vars.FLOE_TEST_REGISTRY_URL,
    restUri: vars.FLOE_TEST_REST_URI,
    s3Endpoint: vars.FLOE_TEST_S3_ENDPOINT,
    s3AccessKey: vars.FLOE_TEST_S3_ACCESS_KEY,
    s3SecretKey: vars.FLOE_TEST_S3_SECRET_KEY,
    s3Region: vars.FLOE_TEST_S3_REGION,
  };
  let stopped = false;
  return {
    env,
    started,
    stop() {
      if (stopped || started.length === 0) return;
      stopped = true;
      script('stop.sh', [...started].reverse(), log);
    },
  };
}
