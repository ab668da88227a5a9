#!/usr/bin/env node
// Runs every benchmark (bench/*.bench.mjs) one after another and prints their figures.
// Usage: npm run bench [-- name-filter]
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
console.log(`ubimoe benchmarks on ${os.cpus().length} cores (${cpu}), node ${process.version}`);
for (const f of readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort()) {
  console.log(`\n== ${f}`);
  execFileSync(process.execPath, [join(here, f)], { stdio: 'inherit' });
}
