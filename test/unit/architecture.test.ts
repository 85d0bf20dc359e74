// The house rules of src/ (README "How it is built", ../shared/DESIGN.md), checked on the
// imports of every source file:
//   - iceberg/ is the format itself: it imports only iceberg/ and nothing that does I/O;
//   - data flows one way: each folder imports only the folders listed for it below (a later
//     step never imports an earlier one; commit/ knows nothing of the worker in pipeline/);
//   - src/ never imports from test/ or bench/.
// A new folder or a new arrow between folders is a decision: add it here in the same commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** folder → the folders its files may import (besides their own and the root files of src/). */
const ALLOWED: Record<string, string[]> = {
  iceberg: [],
  io: [],
  // config: kafka for the consumer's own defaults (FETCH_DEFAULTS), checked against the file's values
  config: ['iceberg', 'kafka', 'schema'],
  server: [],
  kafka: [],
  catalog: ['iceberg', 'io'],
  commit: ['catalog', 'iceberg', 'io'],
  decode: ['iceberg', 'schema'],
  schema: ['iceberg', 'decode'],
  // route: decode for the record frame (a routed field read from plain JSON's bytes, decode/json-field.ts)
  route: ['config', 'decode'],
  batch: ['iceberg', 'decode'],
  parquet: ['iceberg', 'batch'],
  writer: ['batch', 'catalog', 'commit', 'iceberg', 'io', 'parquet'],
  table: ['catalog', 'commit', 'iceberg', 'io'],
  maintenance: ['batch', 'catalog', 'commit', 'iceberg', 'io', 'parquet', 'writer'],
  pipeline: ['batch', 'catalog', 'commit', 'config', 'decode', 'iceberg', 'kafka', 'route', 'schema', 'writer'],
  ingest: ['batch', 'catalog', 'commit', 'config', 'decode', 'iceberg', 'io', 'parquet', 'pipeline', 'schema', 'writer'],
  cli: ['*'],
};

/** Node modules that do I/O: never in iceberg/. */
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|dns|child_process|worker_threads|dgram|tls|cluster)$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

const files = sourceFiles(SRC);

test('every folder of src/ has a rule', () => {
  const folders = new Set(
    files
      .map((f) => path.relative(SRC, f).split(path.sep))
      .filter((p) => p.length > 1)
      .map((p) => p[0]),
  );
  assert.deepEqual(
    [...folders].filter((f) => !(f in ALLOWED)),
    [],
  );
});

test('imports between folders follow the one-way flow', () => {
  const bad: string[] = [];
  for (const file of files) {
    const rel = path.relative(SRC, file);
    const parts = rel.split(path.sep);
    const from = parts.length > 1 ? parts[0] : '';
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..')) {
        bad.push(`${rel} imports ${spec} (outside src/)`);
        continue;
      }
      const tparts = target.split(path.sep);
      if (tparts.length === 1 || from === '') continue; // root files (version.ts) are for everyone
      const to = tparts[0];
      if (to === from) continue;
      const allowed = ALLOWED[from] ?? [];
      if (!allowed.includes('*') && !allowed.includes(to)) bad.push(`${rel} imports ${spec} (${from}/ may import ${allowed.join(', ') || 'nothing outside itself'})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('iceberg/ does no I/O', () => {
  const bad: string[] = [];
  for (const file of files) {
    const rel = path.relative(SRC, file);
    if (!rel.startsWith(`iceberg${path.sep}`)) continue;
    for (const spec of importsOf(file)) if (IO_MODULES.test(spec) || /^@aws-sdk|^@platformatic/.test(spec)) bad.push(`${rel} imports ${spec}`);
  }
  assert.deepEqual(bad, []);
});
