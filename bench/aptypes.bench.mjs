// Benchmark of the csim ap types (hls/csim): a multiply-accumulate of ap_fixed<32,10> x ap_fixed<16,2>
// into ap_fixed<48,12> against the same loop on plain int64 (issue 3 asks for at most 2x), plus
// requantisation and AXI-word unpacking figures. Compiles bench/aptypes.bench.cpp with g++ -O2 in a
// temporary directory and prints its figures; never asserts on time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const csim = resolve(here, '../hls/csim');
const dir = mkdtempSync(join(tmpdir(), 'ubimoe-bench-aptypes-'));
try {
  const exe = join(dir, 'aptypes');
  execFileSync('g++', ['-std=c++17', '-O2', `-I${csim}`, join(here, 'aptypes.bench.cpp'), '-o', exe], {
    stdio: 'inherit',
  });
  const out = execFileSync(exe, { encoding: 'utf8' });
  for (const line of out.trim().split('\n')) {
    const [name, value, unit] = line.split(' ');
    console.log(`${name.padEnd(40)} ${value.padStart(8)} ${unit}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
