// bin/floe.ts restarts itself with floe's default heap flags only when the user gave none:
// checked on a spawned `floe help` through its own process.execArgv and V8 heap limit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_HEAP_FLAGS, heapFlagsToAdd } from '../../src/cli/heap-defaults.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const floe = path.join(repo, 'bin/floe.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-heap-defaults-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// Preloaded into the child: when the process that finally runs floe exits, print what it ran with.
const probe = path.join(dir, 'probe.mjs');
fs.writeFileSync(
  probe,
  `import v8 from 'node:v8';
process.on('exit', () => process.stderr.write('HEAP ' + JSON.stringify({ pid: process.pid, execArgv: process.execArgv, limit: v8.getHeapStatistics().heap_size_limit }) + '\\n'));
`,
);

interface Seen {
  pid: number;
  execArgv: string[];
  limit: number;
  childPid: number;
}

function runFloe(nodeArgs: string[], nodeOptions?: string): Seen {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const r = spawnSync(process.execPath, ['--import', probe, ...nodeArgs, floe, 'help'], { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `floe help failed: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('HEAP '));
  assert.equal(lines.length, 1, `one process image reached exit: ${r.stderr}`);
  return { ...JSON.parse(lines[0].slice(5)), childPid: r.pid };
}

/** V8's heap limit of a plain node started with these options. */
function limitOf(nodeArgs: string[], nodeOptions?: string): number {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const r = spawnSync(process.execPath, [...nodeArgs, '-p', 'require("node:v8").getHeapStatistics().heap_size_limit'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('heapFlagsToAdd: the defaults unless a heap size is given, in execArgv or NODE_OPTIONS, in either spelling', () => {
  assert.deepEqual(heapFlagsToAdd([], undefined), [...DEFAULT_HEAP_FLAGS]);
  assert.deepEqual(heapFlagsToAdd(['--import', 'x.mjs', '--enable-source-maps'], '--trace-warnings'), [...DEFAULT_HEAP_FLAGS]);
  assert.deepEqual(heapFlagsToAdd(['--max-semi-space-size=64'], undefined), []);
  assert.deepEqual(heapFlagsToAdd(['--max_old_space_size=300'], undefined), []);
  assert.deepEqual(heapFlagsToAdd([], '--enable-source-maps  --max-old-space-size=300'), []);
  assert.deepEqual(heapFlagsToAdd([], '--max-heap-size=400'), []);
});

test('floe started with no heap flags runs, in the same process, with the defaults', () => {
  const seen = runFloe([]);
  assert.equal(seen.pid, seen.childPid, 'process.execve keeps the pid a supervisor or benchmark watches');
  for (const flag of DEFAULT_HEAP_FLAGS) assert.ok(seen.execArgv.includes(flag), `${flag} in ${seen.execArgv.join(' ')}`);
  assert.ok(seen.execArgv.includes('--import'), "the user's own node options are kept");
  assert.equal(seen.limit, limitOf([...DEFAULT_HEAP_FLAGS]));
  assert.notEqual(seen.limit, limitOf([]), "the defaults change V8's heap limit");
});

test('floe started with a heap flag on the command line keeps it and adds nothing', () => {
  const seen = runFloe(['--max-semi-space-size=32']);
  assert.equal(seen.pid, seen.childPid);
  for (const flag of DEFAULT_HEAP_FLAGS) assert.ok(!seen.execArgv.includes(flag), `${flag} not in ${seen.execArgv.join(' ')}`);
  assert.equal(seen.limit, limitOf(['--max-semi-space-size=32']));
});

test('floe started with a heap flag in NODE_OPTIONS keeps it and adds nothing', () => {
  const seen = runFloe([], '--max-old-space-size=300');
  for (const flag of DEFAULT_HEAP_FLAGS) assert.ok(!seen.execArgv.includes(flag), `${flag} not in ${seen.execArgv.join(' ')}`);
  assert.equal(seen.limit, limitOf([], '--max-old-space-size=300'));
  assert.notEqual(seen.limit, limitOf([...DEFAULT_HEAP_FLAGS], '--max-old-space-size=300'));
});
