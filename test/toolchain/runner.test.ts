/** The build-step runner: make targets, logs per step, progress lines, stop at the first failure. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { StepProgress } from '../../src/toolchain/vitis/progress.js';
import { runPlan } from '../../src/toolchain/vitis/runner.js';
import type { BuildPlan } from '../../src/toolchain/vitis/steps.js';
import { ToolError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ubimoe-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'Makefile'),
  [
    'ok-%:',
    '\t@echo building $* for $(TARGET)',
    '\t@echo a warning >&2',
    'fail:',
    '\t@for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do echo line $$i; done',
    '\t@echo the real error >&2; exit 3',
    'slow:',
    '\t@sleep 20',
    '',
  ].join('\n'),
);

function progress() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  return { progress: new StepProgress(out), text: () => text };
}

const step = (id: string, group?: string) => ({ id, title: `step ${id}`, makeTarget: id, group });

describe('runPlan', () => {
  test('runs each step as a make target with the plan variables, one log per step', async () => {
    const p = progress();
    const plan: BuildPlan = {
      steps: [step('ok-a', 'k'), step('ok-b', 'k'), step('ok-c')],
      makeVars: { TARGET: 'hw_emu' },
    };
    const results = await runPlan(dir, plan, { jobs: 2, progress: p.progress });
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    const log = readFileSync(join(dir, 'logs', 'ok-b.log'), 'utf8');
    expect(log).toMatch(/^# ubimoe build: make --no-print-directory ok-b TARGET=hw_emu/);
    expect(log).toContain('building b for hw_emu\n');
    expect(log).toContain('a warning\n');
    expect(p.text()).toMatch(/^ {2}✓ {2}step ok-c +\d+\.\d s$/m);
    expect(p.text()).toMatch(/^ {2}… {2}step ok-a$/m);
  });

  test('stops at the first failure: ToolError with the log path and its tail; later steps never start', async () => {
    const p = progress();
    const plan: BuildPlan = { steps: [step('ok-x'), step('fail'), step('ok-never')], makeVars: {} };
    let err: unknown;
    try {
      await runPlan(dir, plan, { jobs: 1, progress: p.progress, tailLines: 5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ToolError);
    const msg = (err as Error).message;
    expect(msg).toContain(`build step 'step fail' failed; log: ${join(dir, 'logs', 'fail.log')}`);
    expect(msg).toMatch(/--- last lines ---\n(line \d+\n){3}.*the real error\n.*Error 3/s);
    expect(msg).not.toContain('line 20\n');
    expect(existsSync(join(dir, 'logs', 'ok-never.log'))).toBe(false);
    expect(p.text()).toMatch(/✗ {2}step fail +\d+\.\d s {2}\(exit 2\)/);
  });

  test('a failure stops the steps running beside it', async () => {
    const p = progress();
    const plan: BuildPlan = { steps: [step('slow', 'k'), step('fail', 'k')], makeVars: {} };
    // no wall-clock bound: a slow step left running would end with ✓ after its 20 s, not "(stopped)"
    await expect(runPlan(dir, plan, { jobs: 2, progress: p.progress })).rejects.toThrow(/step fail/);
    expect(p.text()).toMatch(/✗ {2}step slow .*\(stopped\)/);
  });
});
