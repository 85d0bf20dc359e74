// `floe serve` killed with SIGKILL while concurrent clients append (group commits every 300 ms):
// after a restart, the clients retry what was not acknowledged with the same Idempotency-Keys
// (and some acknowledged requests too); then a SIGTERM during traffic commits what was accepted.
// PyIceberg and DuckDB must find every acknowledged or retried request's rows exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '../helpers/stack.ts';
import { append, readBoth, serveEnv } from './serve-harness.ts';
import type { Kind } from './serve-harness.ts';

const BIN = fileURLToPath(new URL('../../bin/floe.ts', import.meta.url));
const ROWS = 20;

interface Child {
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  log: string[];
}

async function startChild(configFile: string): Promise<Child> {
  const proc = spawn(process.execPath, [BIN, '--log-format', 'json', 'serve', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`floe serve did not listen within 60 s:\n${log.join('')}`)), 60_000);
    proc.stdout!.on('data', (b: Buffer) => {
      log.push(b.toString());
      const m = /"message":"listening","url":"([^"]+)"/.exec(log.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`floe serve exited (${code}) before listening:\n${log.join('')}`));
    });
  });
  return { proc, url, exited, log };
}

const rowsOf = (key: string) => Array.from({ length: ROWS }, (_, i) => ({ k: key, i, ts: '2026-12-02T10:00:00Z' }));

for (const kind of ['sql', 'rest'] as Kind[]) {
  test(`SIGKILL during group commits on the ${kind} catalog: acknowledged rows once, retried keys once; SIGTERM commits what it accepted`, { timeout: 300_000 }, async (t) => {
    const env = await serveEnv(kind);
    t.after(() => env.close());
    const table = `${uniqueName('crash')}.events`;
    const configFile = join(env.dir, 'ingest.yaml');
    await writeFile(configFile, JSON.stringify({ ...env.catalogYaml, port: 0, metricsPort: 0, commit: { intervalMs: 300 } }));

    // phase 1: 8 clients append until the server is killed
    let child = await startChild(configFile);
    t.after(() => {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    });
    const acked = new Set<string>();
    const unacked = new Set<string>();
    let killed = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let r = 0; r < 400 && !killed; r++) {
        const key = `c${c}-r${r}`;
        try {
          const a = await append(child.url, table, rowsOf(key), { 'idempotency-key': key });
          if (a.status === 200) acked.add(key);
          else unacked.add(key);
        } catch {
          unacked.add(key); // the connection died with the server
        }
      }
    });
    const deadline = Date.now() + 60_000;
    while (acked.size < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
    killed = true;
    child.proc.kill('SIGKILL');
    await child.exited;
    await Promise.all(clients);
    assert.ok(acked.size >= 40, `${acked.size} requests acknowledged before the kill`);
    assert.ok(unacked.size > 0, 'some requests were in flight at the kill');

    // phase 2: restart; retry every unacknowledged request and some acknowledged ones, same keys
    child = await startChild(configFile);
    const retryAcked = [...acked].slice(0, 10);
    const retries = await Promise.all([...unacked, ...retryAcked].map((key) => append(child.url, table, rowsOf(key), { 'idempotency-key': key })));
    for (const a of retries) assert.equal(a.status, 200, JSON.stringify(a.body));
    const dupAcked = retries.slice(unacked.size);
    assert.ok(
      dupAcked.every((a) => a.body.duplicate === true && a.body.rows === ROWS),
      'acknowledged keys are answered from the table',
    );

    // phase 3: SIGTERM while 8 requests wait for their commit: each is committed and answered 200
    const late = Array.from({ length: 8 }, (_, i) => `late-${i}`);
    const pending = late.map((key) => append(child.url, table, rowsOf(key), { 'idempotency-key': key }));
    await new Promise((r) => setTimeout(r, 100));
    child.proc.kill('SIGTERM');
    const lateAnswers = await Promise.all(pending);
    for (const a of lateAnswers) assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(await child.exited, 0, child.log.join(''));

    const read = await readBoth(env, table);
    const expected = new Set([...acked, ...unacked, ...late]);
    for (const [reader, rows] of [
      ['pyiceberg', read.pyiceberg],
      ['duckdb', read.duckdb],
    ] as const) {
      const byKey = new Map<string, number>();
      for (const r of rows) byKey.set(r.k as string, (byKey.get(r.k as string) ?? 0) + 1);
      for (const key of expected) assert.equal(byKey.get(key), ROWS, `${reader}: key ${key} has ${byKey.get(key) ?? 0} rows, want ${ROWS}`);
      assert.equal(rows.length, expected.size * ROWS, `${reader}: no other rows`);
    }
  });
}
