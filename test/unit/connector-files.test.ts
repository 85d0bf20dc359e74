// Every connector file shipped in connectors/ is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConnectorConfig } from '../../src/config/connector-config.ts';

const dir = path.join(import.meta.dirname, '../../connectors');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));

test('connectors/ ships example files', () => assert.ok(files.length >= 2));

for (const f of files) {
  test(`connectors/${f} is a valid connector file`, () => {
    const c = loadConnectorConfig(path.join(dir, f), {});
    assert.equal(`${c.name}.yaml`, f);
  });
}
