#!/usr/bin/env node
// floe's command line: `floe run -c <connector.yaml>`, `floe quickstart` (what `npm start` runs on
// embedded defaults), `floe validate`, `floe inspect`, `floe demo-writer`; `floe help` lists them.
import { applyHeapDefaults } from '../src/cli/heap-defaults.ts';

// First, before anything else is loaded: restart with floe's default heap flags unless the user
// gave their own (src/cli/heap-defaults.ts).
applyHeapDefaults();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// A command that has returned is done: a connection still open (an object store that accepted a
// request and never answered) must not keep the process alive past its stop bound.
setTimeout(() => process.exit(), 2000).unref();
