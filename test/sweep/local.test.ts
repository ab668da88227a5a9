/**
 * `ubimoe sweep --scheduler local` (no Slurm needed): bad input is one line and exit 2 before
 * anything is written; a failing step is reported with its log tail (exit 1) and --resume reruns
 * only it.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants } from '../../src/util/interrupt.js';
import { readJson, ubimoe, ubimoeBackground, until, vitisEnv } from './cluster.js';
import { sweepArgs, writeDesign } from './designs.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-sweep-local-'));
const at = (p: string) => join(tmp, p);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BARE = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: tmp };
const oneLine = (r: { code: number | null; stderr: string }, re: RegExp) => {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(re);
  expect(r.stderr.trim().split('\n').length).toBe(1);
};

describe('ubimoe sweep: bad input', () => {
  const base = ['sweep', '--model', 'micro', '--board', 'u280', '--top', '2', '-o'];
  test('is one line, exit 2, and writes nothing', () => {
    oneLine(
      ubimoe(BARE, ...base, at('x1'), '--target', 'bogus'),
      /--target: 'bogus' is not one of csim, csynth, xo, hw/,
    );
    oneLine(
      ubimoe(BARE, ...base, at('x2'), '--target', 'csim', '--scheduler', 'pbs'),
      /--scheduler: 'pbs' is not one of slurm, local/,
    );
    oneLine(
      ubimoe(BARE, ...base, at('x3'), '--target', 'csim', '--designs', 'a.yaml'),
      /give either --top N or --designs FILE/,
    );
    oneLine(
      ubimoe(BARE, ...base, at('x4'), '--target', 'csim', '--scheduler', 'local', '--cpus', '0'),
      /--cpus/,
    );
    oneLine(
      ubimoe(BARE, ...base, at('x5'), '--target', 'csynth', '--scheduler', 'local'),
      /--target csynth needs vitis_hls \/ vitis-run \(Vitis HLS, not on PATH\)/,
    );
    for (const d of ['x1', 'x2', 'x3', 'x4', 'x5']) expect(existsSync(at(d))).toBe(false);
    mkdirSync(at('full'));
    writeFileSync(at('full/f'), '');
    oneLine(
      ubimoe(BARE, ...base, at('full'), '--target', 'csim', '--scheduler', 'local'),
      /not empty \(ubimoe sweep --resume .* continues a sweep\)/,
    );
    oneLine(ubimoe(BARE, 'sweep', '--resume', at('full')), /no sweep\.json \(not a sweep directory\)/);
  });
});

describe('ubimoe sweep --scheduler local', () => {
  test('a failing step: its log tail, exit 1; --resume reruns only the failed task', () => {
    const design = at('d.yaml');
    writeDesign(design, {});
    const dir = at('sweep');
    const args = sweepArgs(['--designs', design], 'csynth', dir, '--scheduler', 'local', '--poll', '0.2');
    const r = ubimoe(vitisEnv(tmp, { HOME: tmp, UBIMOE_STUB_FAIL_TOP: 'msa_block' }), ...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ubimoe: 1 task\(s\) failed:\nFAILED d00\/csynth-msa_block \(exit 2; job \d+, log logs\/d00\/csynth-msa_block\.log\):\n/m,
    );
    expect(r.stderr).toMatch(/^ {2}\| .*Compilation errors found \(injected by the stub for msa_block\)/m);
    const s1 = readJson(join(dir, 'sweep.json'));
    expect(s1.tasks.map((t: { state: string }) => t.state)).toEqual(['done', 'failed', 'done']);

    const again = ubimoe(vitisEnv(tmp, { HOME: tmp }), 'sweep', '--resume', dir, '--poll', '0.2');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resubmitting 1 failed or missing task\(s\) of 3/);
    const s2 = readJson(join(dir, 'sweep.json'));
    expect(s2.tasks.map((t: { state: string; attempts: number }) => [t.state, t.attempts])).toEqual([
      ['done', 1],
      ['done', 2],
      ['done', 1],
    ]);
    expect(
      Object.keys(
        s2.results.d00.synth.reduce(
          (a: Record<string, 1>, x: { kernel: string }) => ({ ...a, [x.kernel]: 1 }),
          {},
        ),
      ),
    ).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    // nothing to do: resume again submits nothing and succeeds
    const idle = ubimoe(vitisEnv(tmp, { HOME: tmp }), 'sweep', '--resume', dir);
    expect(idle.code).toBe(0);
    expect(idle.stderr).toMatch(/resubmitting 0 failed or missing task\(s\) of 3/);
  }, 900_000);

  test('Ctrl-C cancels every open task, records them failed and leaves no process behind', async () => {
    const design = at('ctrlc.yaml');
    writeDesign(design, {});
    const dir = at('ctrlc');
    // the stub's csynth waits for a gate that never opens: the tasks are surely running
    const env = vitisEnv(tmp, { HOME: tmp, UBIMOE_STUB_CSYNTH_GATE: at('never') });
    const run = ubimoeBackground(
      env,
      ...sweepArgs(
        ['--designs', design],
        'csynth',
        dir,
        '--scheduler',
        'local',
        '--jobs',
        '2',
        '--poll',
        '0.2',
      ),
    );
    await until(
      'two running tasks',
      () =>
        readJson(join(dir, 'sweep.json'))?.tasks.filter((t: { state: string }) => t.state === 'running')
          .length === 2,
    );
    // the two tasks' scripts are up (each a shell plus what it runs): an observable state, not a
    // moment in time (sweep.json says running before the scripts' children have started)
    await until("the two tasks' processes", () => descendants(run.pid).length > 2);
    const tree = descendants(run.pid);
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(
      /sweep: cancelled 3 task\(s\) still queued or running; ubimoe sweep --resume .* resubmits them/,
    );
    const s = readJson(join(dir, 'sweep.json'));
    expect(
      s.tasks.every(
        (t: { state: string; reason: string }) => t.state === 'failed' && /cancelled/.test(t.reason),
      ),
    ).toBe(true);
    expect(s.driver).toBeNull();
    await until("the tasks' processes to end", () =>
      tree.every(
        (pid) => !existsSync(`/proc/${pid}`) || /\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')),
      ),
    );
  }, 900_000);
});
