#!/usr/bin/env node
// The `syncbridge` command (compiled to dist/cli/bin.js, the package's bin).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
