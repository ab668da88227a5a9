// The timed C-simulation (hls/include/ubimoe/timing.h + hls/csim/ubimoe_csim/timing.h) on the
// hand-made dataflows of timing.cpp, whose expected cycle counts are derived by hand in its
// comments; the checks run in C++ and their summary line is read here.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const csimDir = process.env.UBIMOE_CSIM_TYPES_DIR ?? resolve(here, '../../hls/csim');
const includeDir = resolve(here, '../../hls/include');
const WARN = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-Wno-unknown-pragmas', `-I${csimDir}`, `-I${includeDir}`];
const TIMED = ['-DUBIMOE_TIMED_CSIM'];
const ASAN = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'];
const runEnv = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' };

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ubimoe-timing-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function compile(source: string, exe: string, flags: string[]): string {
  const out = join(dir, exe);
  const r = spawnSync('g++', [...WARN, ...flags, source, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`g++ failed on ${source}:\n${r.stderr}`);
  return out;
}

const source = join(here, 'timing.cpp');
const dataLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('data '));

// A deadlock or a misuse: exit status 1, one message on stderr, nothing from the sanitizers.
const failures: Array<[string, string[]]> = [
  [
    'deadlock1',
    [
      "ubimoe timed csim: deadlock in dataflow region 'reconverge' (kernel 'reconverge_kernel')",
      "process 'splitter' waits to write element 1 of stream 'a' (depth 1): full until 'joiner' reads element 0",
      "process 'joiner' waits to read element 0 of stream 'b' (depth 1): not yet written by 'splitter'",
      "cycle: 'splitter' -> 'joiner' -> 'splitter'",
      "streams: 'a' (depth 1), 'b' (depth 1)",
    ],
  ],
  [
    // depth n - 1: one element short is enough to hang
    'deadlock7',
    [
      "process 'splitter' waits to write element 7 of stream 'a' (depth 7): full until 'joiner' reads element 0",
      "streams: 'a' (depth 7), 'b' (depth 7)",
    ],
  ],
  ['deadlock_big', ["cycle: 'splitter' -> 'joiner' -> 'splitter'", "streams: 'a' (depth 1), 'b' (depth 1)"]],
  [
    'seq_deadlock',
    [
      "deadlock in kernel 'seq_kernel'",
      "process 'seq_kernel' waits to write element 2 of stream 'buf' (depth 2): full until 'seq_kernel' reads element 0",
    ],
  ],
  [
    'unread',
    [
      "process 'early_producer' waits to write element 4 of stream 'early' (depth 2): full until 'early_consumer' " +
        "reads element 2, but 'early_consumer' reads only 2 elements in this call",
    ],
  ],
  ['outside', ["hls::stream 'z' written directly in dataflow region 'outside', outside any UBIMOE_PROCESS"]],
  [
    'two_writers',
    ["hls::stream 'early' is written by two processes, 'early_producer' and 'second_writer', in dataflow region 'unread'"],
  ],
  [
    'leftover',
    ["hls::stream 'tokens_ready' holds 1 element(s) at the end of a call of dataflow region 'tokens'"],
  ],
];

describe('timed C-simulation (hls/csim/ubimoe_csim/timing.h)', () => {
  let timedExe = '';
  const timed = () => timedExe || (timedExe = compile(source, 'timing_timed', [...TIMED, '-O2']));
  let timedData: string[] = [];

  test('hand-made dataflows take the cycles counted by hand (-Wall -Wextra -Werror)', () => {
    const r = spawnSync(timed(), [], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => /checks, \d+ failed/.test(l))).toMatch(/^\d+ checks, 0 failed$/);
    timedData = dataLines(r.stdout);
    expect(timedData.length).toBe(4);

    // the runner's report: format ubimoe-cycles/1
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(json.format).toBe('ubimoe-cycles/1');
    expect(json.clock_mhz).toBe(250);
    expect(json.per_image).toHaveLength(2);
    const [first, second] = json.per_image;
    // image 1: three producer/consumer calls (304, 304, 205) and the reconvergent pair (26)
    expect(first.total_cycles).toBe(839);
    expect(first.kernels).toEqual({ pc_kernel: 813, reconverge_kernel: 26 });
    expect(first.calls.map((c: { cycles: number }) => c.cycles)).toEqual([304, 304, 205, 26]);
    expect(first.calls[0].regions).toEqual([
      {
        name: 'pc',
        calls: 1,
        cycles: 304,
        processes: [
          { name: 'producer', calls: 1, busy: 101, stall: 194 },
          { name: 'consumer', calls: 1, busy: 301, stall: 3 },
        ],
        streams: [{ name: 'pc_fifo', depth: 2, writes: 100, max_occupancy: 2 }],
      },
    ]);
    // image 2: two burst kernels (398, 302), the nested regions (20), the loop nests (77)
    expect(second.total_cycles).toBe(797);
    expect(second.kernels).toEqual({ burst_kernel: 700, nest_kernel: 20, loops_kernel: 77 });
    expect(second.calls[0].stages).toEqual([
      { name: 'load', calls: 1, cycles: 192 },
      { name: 'stream', calls: 1, cycles: 195 },
      { name: 'store', calls: 1, cycles: 11 },
    ]);
    const inner = second.calls[2].regions.find((g: { name: string }) => g.name === 'inner');
    expect(inner).toMatchObject({ calls: 3, cycles: 18 });
  }, 900_000);

  test('the plain build (no UBIMOE_TIMED_CSIM) computes the same data and runs no timing code', () => {
    const exe = compile(source, 'timing_plain', ['-O2']);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/checks|ubimoe-cycles/);
    expect(dataLines(r.stdout)).toEqual(timedData);
    // the deadlocking dataflows complete in plain csim (unbounded FIFOs), as before
    const d = spawnSync(exe, ['deadlock1'], { encoding: 'utf8' });
    expect(d.status).toBe(0);
    expect(d.stdout).toBe('data deadlock1 308\n');
  }, 900_000);

  test.each(failures)('%s: exit 1 with one clear message, at once', (mode, parts) => {
    const exe = timed();
    const t0 = Date.now();
    const r = spawnSync(exe, [mode], { encoding: 'utf8', timeout: 20_000 });
    const ms = Date.now() - t0;
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    for (const p of parts) expect(r.stderr).toContain(p);
    expect(r.stderr.match(/ubimoe timed csim:/g)).toHaveLength(1);
    // deadlock_big: 400 000 FIFO writes simulated, then stuck at the first element of the resolution
    expect(ms).toBeLessThan(2000);
  }, 900_000);

  test('under ASan and UBSan: same checks, errors still exit 1 cleanly', () => {
    const exe = compile(source, 'timing_asan', [...TIMED, ...ASAN]);
    const r = spawnSync(exe, [], { encoding: 'utf8', env: runEnv, maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\n\d+ checks, 0 failed\n/);
    expect(dataLines(r.stdout)).toEqual(timedData);
    for (const [mode, parts] of failures) {
      const e = spawnSync(exe, [mode], { encoding: 'utf8', env: runEnv });
      expect({ mode, status: e.status }).toEqual({ mode, status: 1 });
      expect(e.stderr).toContain(parts[0]);
      expect(e.stderr).not.toMatch(/Sanitizer|runtime error/);
    }
  }, 900_000);

  test('the macros are their HLS pragmas only under __SYNTHESIS__ and in plain csim', () => {
    const src = join(dir, 'macros.cpp');
    writeFileSync(
      src,
      [
        '#include "ubimoe/timing.h"',
        'void f(int *a, int n) {',
        '  UBIMOE_KERNEL("k");',
        '  UBIMOE_DATAFLOW_REGION("r");',
        '  UBIMOE_PROCESS("p");',
        '  const unsigned ii = 2, depth = 7;',
        '  for (int i = 0; i < n; i++) {',
        '    UBIMOE_PIPELINE(ii, depth + 1);',
        '    a[i] = i;',
        '  }',
        '  UBIMOE_CYCLES(depth);',
        '  UBIMOE_AXI_BURST(64, 16, depth);',
        '  UBIMOE_STAGE("s");',
        '}',
        '',
      ].join('\n'),
    );
    for (const defs of [['-D__SYNTHESIS__'], [], ['-D__SYNTHESIS__', ...TIMED]]) {
      const e = spawnSync('g++', [...WARN, ...defs, '-E', '-P', src], { encoding: 'utf8' });
      expect(e.status).toBe(0);
      const code = e.stdout.replace(/\s+/g, ' ');
      expect(code).toContain('#pragma HLS DATAFLOW');
      expect(code).toContain('#pragma HLS PIPELINE II=ii');
      expect(code).not.toMatch(/ubimoe_csim|static char/);
      const c = spawnSync('g++', [...WARN, ...defs, '-fsyntax-only', src], { encoding: 'utf8' });
      expect({ defs, stderr: c.stderr }).toEqual({ defs, stderr: '' });
    }
    // timed: the same pragmas, and the engine's objects
    const t = spawnSync('g++', [...WARN, ...TIMED, '-E', '-P', src], { encoding: 'utf8' });
    expect(t.stdout).toContain('#pragma HLS PIPELINE II=ii');
    expect(t.stdout).toContain('::ubimoe_csim::timing::iteration ubimoe_pipeline_iteration_');
    const c = spawnSync('g++', [...WARN, ...TIMED, '-fsyntax-only', src], { encoding: 'utf8' });
    expect(c.stderr).toBe('');
  }, 900_000);

  test('each timing header compiles on its own', () => {
    const headers: Array<[string, string[]]> = [
      ['ubimoe_csim/timing_report.h', []],
      ['ubimoe_csim/timing.h', []],
      ['hls_stream.h', TIMED],
      ['ubimoe/timing.h', TIMED],
      ['ubimoe/timing.h', []],
    ];
    headers.forEach(([h, defs], i) => {
      const src = join(dir, `only_timing_${i}.cpp`);
      writeFileSync(src, `#include "${h}"\n#include "${h}"\nint main() { return 0; }\n`);
      const r = spawnSync('g++', [...WARN, ...defs, '-fsyntax-only', src], { encoding: 'utf8' });
      expect({ h, defs, stderr: r.stderr }).toEqual({ h, defs, stderr: '' });
    });
  }, 900_000);
});
