/**
 * `ubimoe sweep` on a one-node Slurm cluster this test starts (and stops): 3 micro designs with
 * --target csim (accuracy + timed-csim cycles) and with --target csynth (stub Vitis HLS); one
 * task cancelled with scancel is reported failed and --resume finishes it; --cancel leaves
 * nothing queued or running; --scheduler local writes the same sweep.json apart from timings.
 * The tests wait on observable events (sweep.json, job states), never on sleeps racing work.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepArgs, writeDesign } from './designs.js';
import {
  startCluster,
  readJson,
  touch,
  ubimoe,
  ubimoeBackground,
  until,
  vitisEnv,
  type Cluster,
} from './cluster.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-sweep-slurm-'));
const at = (p: string) => join(tmp, p);
let cluster: Cluster | null = null;

beforeAll(() => {
  cluster = startCluster(at('cluster'));
}, 900_000);
afterAll(() => {
  cluster?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The csim builds are cached by source hash across the sweeps of this file (same designs, built once). */
const csimEnv = () => ({ ...cluster!.env, UBIMOE_CSIM_CACHE: at('csim-cache'), HOME: tmp });

type Sweep = {
  scheduler: string;
  driver: unknown;
  tasks: Array<
    Record<string, unknown> & {
      id: string;
      state: string;
      job_id: string | null;
      reason: string | null;
      attempts: number;
    }
  >;
  results: Record<
    string,
    {
      synth: unknown[] | null;
      accuracy: { cosine_min: number } | null;
      cycles: Array<{ kernel: string; simulated: number; predicted: number }> | null;
    }
  >;
};
const sweepOf = (dir: string) => readJson<Sweep>(join(dir, 'sweep.json'));

/** sweep.json without what differs from run to run and scheduler to scheduler. */
function comparable(s: Sweep): unknown {
  const TIMING = ['submitted_at', 'started_at', 'finished_at', 'seconds'];
  return {
    ...s,
    scheduler: undefined,
    driver: undefined,
    tasks: s.tasks.map((t) =>
      Object.fromEntries(Object.entries(t).filter(([k]) => !['scheduler', 'job_id', ...TIMING].includes(k))),
    ),
  };
}

function squeueIds(): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-o', '%i'], {
    encoding: 'utf8',
    env: { ...process.env, ...cluster!.env },
  });
  return r.stdout.split('\n').filter(Boolean);
}

describe('ubimoe sweep --scheduler slurm', () => {
  test('--target csim: 3 designs of the Pareto front as an array job; sweep.json and report.html; local gives the same sweep.json', async () => {
    if (!cluster) return;
    const dir = at('csim-slurm');
    const r = ubimoe(csimEnv(), ...sweepArgs(['--top', '3'], 'csim', dir, '--poll', '0.5'));
    expect(r.stderr).toMatch(/^sweep: 3 design\(s\), 3 task\(s\), --target csim, slurm/m);
    expect(r.stderr).toMatch(/^sweep: 0 queued, 0 running, 3 done, 0 failed \(of 3 tasks\)$/m);
    expect(r.code).toBe(0);
    const s = sweepOf(dir)!;
    expect(s.scheduler).toBe('slurm');
    expect(s.driver).toBeNull();
    // one array job: <jobid>_0 .. <jobid>_2
    const ids = s.tasks.map((t) => t.job_id!);
    expect(ids.every((id) => /^\d+_\d$/.test(id))).toBe(true);
    expect(new Set(ids.map((id) => id.split('_')[0])).size).toBe(1);
    expect(s.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done']);
    for (const d of ['d00', 'd01', 'd02']) {
      const res = s.results[d];
      expect(res.accuracy!.cosine_min).toBeGreaterThan(0.99);
      const total = res.cycles!.find((c) => c.kernel === 'total')!;
      expect(total.simulated).toBeGreaterThan(0);
      expect(total.simulated / total.predicted).toBeGreaterThan(0.5);
      expect(total.simulated / total.predicted).toBeLessThan(2);
    }
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(page).toContain('Predicted (cost model) vs simulated (timed C-simulation) cycles');
    expect(page).toContain('C-simulation accuracy');

    // the same sweep through the local pool: the same sweep.json apart from scheduler, job ids and timings
    const local = at('csim-local');
    const l = ubimoe(csimEnv(), ...sweepArgs(['--top', '3'], 'csim', local, '--scheduler', 'local'));
    expect(l.code).toBe(0);
    const ls = sweepOf(local)!;
    expect(ls.scheduler).toBe('local');
    expect(ls.tasks.every((t) => /^\d+$/.test(t.job_id!))).toBe(true);
    expect(comparable(ls)).toEqual(comparable(s));
  }, 900_000);

  test('--target csynth: a task cancelled with scancel is reported failed with its log tail; --resume finishes it', async () => {
    if (!cluster) return;
    const dir = at('csynth');
    const gate = at('csynth-gate');
    // the stub's csynth waits for the gate: every task is surely still open when it is cancelled
    const env = vitisEnv(tmp, { ...cluster.env, HOME: tmp, UBIMOE_STUB_CSYNTH_GATE: gate });
    const designs = ['a', 'b', 'c'].map((n) => at(`${n}.yaml`));
    designs.forEach((f, i) => writeDesign(f, { patch_embed: { tile_in: 16, tile_out: [8, 16, 32][i] } }));
    const run = ubimoeBackground(
      env,
      ...sweepArgs(['--designs', ...designs], 'csynth', dir, '--poll', '0.5', '--mem', '200M'),
    );
    const victim = await until(
      'the job id of d01/csynth-msa_block in sweep.json',
      () => sweepOf(dir)?.tasks.find((t) => t.id === 'd01/csynth-msa_block')?.job_id,
    );
    expect(spawnSync('scancel', [victim], { env: { ...process.env, ...cluster.env } }).status).toBe(0);
    await until(
      'd01/csynth-msa_block failed in sweep.json',
      () => sweepOf(dir)?.tasks.find((t) => t.id === 'd01/csynth-msa_block')?.state === 'failed',
    );
    touch(gate);
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ubimoe: 1 task\(s\) failed:\nFAILED d01\/csynth-msa_block \((Slurm: CANCELLED|no longer known to Slurm|exit 1[0-9][0-9])/m,
    );
    expect(r.stderr).toContain(`ubimoe sweep --resume ${dir} resubmits the failed tasks`);
    let s = sweepOf(dir)!;
    expect(s.tasks.filter((t) => t.state === 'done').length).toBe(8);
    const kernels = (d: string) => [
      ...new Set((s.results[d].synth as Array<{ kernel: string }>).map((x) => x.kernel)),
    ];
    expect(kernels('d01')).toEqual(['patch_embed', 'ffn_block']); // msa_block not synthesised yet
    expect(kernels('d00')).toEqual(['patch_embed', 'msa_block', 'ffn_block']);

    const again = ubimoe(env, 'sweep', '--resume', dir, '--poll', '0.5');
    expect(again.stderr).toMatch(/sweep --resume: resubmitting 1 failed or missing task\(s\) of 9/);
    expect(again.code).toBe(0);
    s = sweepOf(dir)!;
    expect(s.tasks.every((t) => t.state === 'done')).toBe(true);
    const t = s.tasks.find((x) => x.id === 'd01/csynth-msa_block')!;
    expect(t.attempts).toBe(2);
    expect(t.job_id).not.toBe(victim);
    expect(kernels('d01')).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(page).toContain('Predicted (cost model) vs synthesised (Vitis HLS)');
    expect(existsSync(join(dir, 'designs', 'd01', 'reports', 'synth.json'))).toBe(true);
  }, 900_000);

  test('--cancel stops the driver, which cancels every open task: nothing is left queued or running', async () => {
    if (!cluster) return;
    const dir = at('cancel');
    const env = vitisEnv(tmp, { ...cluster.env, HOME: tmp, UBIMOE_STUB_CSYNTH_GATE: at('never') });
    const run = ubimoeBackground(
      env,
      ...sweepArgs(['--designs', at('a.yaml')], 'csynth', dir, '--poll', '0.5', '--mem', '200M'),
    );
    // a task running (blocked at the gate) and the others queued or running
    await until('a running task', () => sweepOf(dir)?.tasks.some((t) => t.state === 'running'));
    const ids = sweepOf(dir)!.tasks.map((t) => t.job_id!);
    const c = ubimoe(env, 'sweep', '--cancel', dir);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/stopping its driver \(pid \d+\), which cancels 3 open task\(s\)/);
    const r = await run.done;
    expect(r.code).toBe(143);
    const s = sweepOf(dir)!;
    expect(s.tasks.every((t) => t.state === 'failed' && /cancelled/.test(t.reason!))).toBe(true);
    await until('the cancelled jobs to leave squeue', () => !squeueIds().some((id) => ids.includes(id)));
  }, 900_000);

  test("a submission Slurm refuses (no such partition): exit 1 with sbatch's message, every task failed", () => {
    if (!cluster) return;
    const dir = at('bad-partition');
    writeDesign(at('p.yaml'), {});
    const env = vitisEnv(tmp, { ...cluster.env, HOME: tmp });
    const r = ubimoe(env, ...sweepArgs(['--designs', at('p.yaml')], 'csynth', dir, '--partition', 'nosuch'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ubimoe: sbatch .* failed \(exit 1\): .*[Ii]nvalid partition/m);
    expect(r.stderr).not.toMatch(/ at .*\.js:\d+/); // no stack
    const s = sweepOf(dir)!;
    expect(
      s.tasks.every((t) => t.state === 'failed' && t.reason === 'not submitted: the submission failed'),
    ).toBe(true);
  }, 900_000);
});
