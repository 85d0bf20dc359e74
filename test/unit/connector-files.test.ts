// Every connector file shipped in connectors/ is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConnectorConfig } from '../../src/config/connector-config.ts';

const dir = path.join(import.meta.dirname, '../../connectors');
// maintenance.yaml is a maintenance file, not a connector file (test/unit/maintenance-config.test.ts)
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'maintenance.yaml');

test('connectors/ ships example files', () => assert.ok(files.length >= 2));

for (const f of files) {
  test(`connectors/${f} is a valid connector file`, () => {
    const c = loadConnectorConfig(path.join(dir, f), {});
    assert.equal(`${c.name}.yaml`, f);
  });
}
