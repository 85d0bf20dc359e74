// The maintenance worker's CPU priority (src/cli/background-priority.ts): every thread of the
// process gets the nice value, threads started afterwards inherit it, and a priority already
// lower is left alone. Run in a child process, so the test runner keeps its own priority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MODULE = path.resolve(import.meta.dirname, '../../src/cli/background-priority.ts');

// the child starts at the runner's own nice value (normally 0): ask for more than that
const BASE = os.getPriority();
const LOW = BASE + 5;
const LOWER = BASE + 9;
const SKIP = !fs.existsSync('/proc/self/task') ? 'no /proc here' : LOWER > 19 ? `the tests already run at nice ${BASE}` : false;

/** Runs the script in a fresh node process; its last stdout line is JSON. */
function child(script: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The nice value of every thread (field 19 of /proc/self/task/T/stat), read inside the child. */
const NICES = `
  const nices = () => fs.readdirSync('/proc/self/task').map((t) => Number(fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
`;

test('every thread of the process is lowered, and a thread started afterwards inherits the value', { skip: SKIP }, () => {
  const out = child(`
    import fs from 'node:fs';
    import { Worker } from 'node:worker_threads';
    import { lowerPriority } from ${JSON.stringify(MODULE)};
    ${NICES}
    const before = nices();
    const set = lowerPriority(${LOW});
    const after = nices();
    const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => w.once('online', r));
    const withWorker = nices();
    await w.terminate();
    console.log(JSON.stringify({ before, set, after, withWorker }));
  `);
  const before = out.before as number[];
  assert.ok(before.length > 1, 'node runs several threads');
  assert.ok(
    before.every((n) => n < LOW),
    `the child starts below ${LOW}: ${before}`,
  );
  assert.equal(out.set, before.length, 'each thread was set');
  assert.deepEqual([...new Set(out.after as number[])], [LOW]);
  const withWorker = out.withWorker as number[];
  assert.ok(withWorker.length > before.length, 'the worker thread added threads');
  assert.deepEqual([...new Set(withWorker)], [LOW], 'threads started later run at the lowered value too');
});

test('a priority already lower than asked is left alone (never raised)', { skip: SKIP }, () => {
  const out = child(`
    import fs from 'node:fs';
    import { lowerPriority } from ${JSON.stringify(MODULE)};
    ${NICES}
    lowerPriority(${LOWER});
    const again = lowerPriority(${LOW});
    console.log(JSON.stringify({ again, nices: nices() }));
  `);
  assert.equal(out.again, 0);
  assert.deepEqual([...new Set(out.nices as number[])], [LOWER]);
});
