// Benchmark of the csim ap types (hls/csim): a multiply-accumulate of ap_fixed<32,10> x ap_fixed<16,2>
// into ap_fixed<48,12> against the same loop on plain int64 (issue 3 asks for at most 2x), plus
// requantisation, laned row sums and AXI-word unpacking figures. Compiles bench/aptypes.bench.cpp
// with g++ -O2 and with the csim build's -O2 -march=native in a temporary directory and prints both
// sets of figures; never asserts on time. UBIMOE_CSIM_TYPES_DIR points it at another copy of the
// headers (before/after comparisons).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const csim = process.env.UBIMOE_CSIM_TYPES_DIR ?? resolve(here, '../hls/csim');
const dir = mkdtempSync(join(tmpdir(), 'ubimoe-bench-aptypes-'));
try {
  for (const flags of [['-O2'], ['-O2', '-march=native']]) {
    const exe = join(dir, `aptypes${flags.join('')}`);
    try {
      execFileSync('g++', ['-std=c++17', ...flags, `-I${csim}`, join(here, 'aptypes.bench.cpp'), '-o', exe], {
        stdio: 'inherit',
      });
    } catch {
      console.log(`(g++ ${flags.join(' ')} not available here)`);
      continue;
    }
    console.log(`-- g++ ${flags.join(' ')}`);
    const out = execFileSync(exe, { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const [name, value, unit] = line.split(' ');
      console.log(`${name.padEnd(40)} ${value.padStart(8)} ${unit}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
