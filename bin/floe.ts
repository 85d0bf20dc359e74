#!/usr/bin/env node
// floe's command line. `floe demo` runs on embedded defaults; `floe inspect` shows a table.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
