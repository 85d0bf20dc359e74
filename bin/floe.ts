#!/usr/bin/env node
// floe's command line: `floe run -c <connector.yaml>`, `floe quickstart` (what `npm start` runs on
// embedded defaults), `floe validate`, `floe inspect`, `floe demo-writer`; `floe help` lists them.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
