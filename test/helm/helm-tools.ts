// Helm and kubecheck for the chart's tests. scripts/stack/setup.sh helm builds both (scripts/test.sh
// does so when a test imports this file); their paths come from scripts/stack/lib.sh, or from
// FLOE_TEST_HELM / FLOE_TEST_KUBECHECK.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const CHART = path.join(REPO, 'helm/floe');

function stackPaths(): { helm: string; kubecheck: string } {
  const r = spawnSync('bash', ['-c', 'source scripts/stack/lib.sh && stack_helm_bin && stack_kubecheck_bin'], { cwd: REPO, encoding: 'utf8', timeout: 10_000 });
  const [helm, kubecheck] = r.stdout.trim().split('\n');
  return { helm, kubecheck };
}

const paths = stackPaths();
export const HELM = process.env.FLOE_TEST_HELM || paths.helm;
export const KUBECHECK = process.env.FLOE_TEST_KUBECHECK || paths.kubecheck;
// helm's own cache and config folders: a fresh one per run, nothing read from the user's
const HELM_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-helm-home-'));

/** Throws, naming the setup command, when a tool has not been built. */
export function requireTools(): void {
  for (const bin of [HELM, KUBECHECK]) {
    if (!bin || !fs.existsSync(bin)) throw new Error(`${bin || 'helm/kubecheck'} is missing: run scripts/stack/setup.sh helm`);
  }
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool (bounded in time), stdin optional. */
export function runTool(bin: string, args: string[], input?: string): Result {
  const r = spawnSync(bin, args, { cwd: REPO, input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: path.join(HELM_HOME, 'cache'), HELM_CONFIG_HOME: path.join(HELM_HOME, 'config'), HELM_DATA_HOME: path.join(HELM_HOME, 'data') } });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` of the chart with the given values files (release "floe-test"). */
export function helmTemplate(valuesFiles: string[], release = 'floe-test'): Result {
  return runTool(HELM, ['template', release, CHART, '--namespace', 'streams', ...valuesFiles.flatMap((f) => ['-f', f])]);
}

export function helmLint(valuesFiles: string[]): Result {
  return runTool(HELM, ['lint', '--strict', CHART, ...valuesFiles.flatMap((f) => ['-f', f])]);
}

/** kubecheck over rendered manifests: exit 0 and one "Kind name" line per object, or the problems. */
export function kubecheck(manifests: string): Result {
  return runTool(KUBECHECK, [], manifests);
}
