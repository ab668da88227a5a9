/**
 * The HLS test bench as build steps: `ubimoe build --target tb`, and the step the Vitis targets
 * that run it (hls-csim, cosim) depend on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from '../../design/design.js';
import { ToolError } from '../../util/errors.js';
import { LAYOUT } from './layout.js';
import type { StepProgress } from './progress.js';
import { logTail } from './runner.js';
import { buildTestbenchProgram, runTestbenchProgram } from './tbprogram.js';
import { testbenchArgs, testbenchIsCurrent, writeTestbench } from './testbench.js';

export const TB_DATA_TITLE = 'test-bench data (tb/)';

async function step<T>(progress: StepProgress, title: string, run: () => Promise<[T, string]>): Promise<T> {
  progress.start(title);
  try {
    const [value, note] = await run();
    progress.end(title, true, note);
    return value;
  } catch (err) {
    progress.end(title, false);
    throw err;
  }
}

/**
 * Compiles the g++ test bench and writes tb/ (weights, input, golden output) unless it is there
 * and made from the current sources. Resolves with the test bench program.
 */
export async function prepareTestbench(
  projectDir: string,
  design: Design,
  progress: StepProgress,
): Promise<string> {
  const exe = await step(progress, 'g++ test bench (runner/csim_main.cpp)', async () => {
    const b = await buildTestbenchProgram(projectDir);
    return [b.exe, b.cached ? '(cached)' : ''];
  });
  await step(progress, TB_DATA_TITLE, async () => {
    if (testbenchIsCurrent(projectDir)) return [null, '(up to date)'];
    await writeTestbench(projectDir, design, exe);
    return [null, '(golden output from the g++ C-simulation)'];
  });
  return exe;
}

/**
 * Runs the test bench as Vitis HLS does (tb/argv.txt, so against tb/golden.npy). Resolves with its
 * verdict line; a failing run is a ToolError (exit 1) with the log's tail, which names the first
 * differing value.
 */
export async function checkTestbench(
  projectDir: string,
  exe: string,
  progress: StepProgress,
): Promise<string> {
  const title = 'test bench against tb/golden.npy';
  const log = join(projectDir, LAYOUT.logsDir, 'tb.log');
  progress.start(title);
  let code: number;
  try {
    code = await runTestbenchProgram(exe, testbenchArgs(projectDir), log);
  } catch (err) {
    progress.end(title, false);
    throw err;
  }
  progress.end(title, code === 0, code === 0 ? '' : `(exit ${code})`);
  if (code !== 0)
    throw new ToolError(
      `the test bench (g++ C-simulation checked against tb/golden.npy) failed; log: ${log}\n--- last lines ---\n${logTail(log, 25)}`,
    );
  const verdict = readFileSync(log, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('csim_main: output matches'));
  return (verdict ?? 'the test bench passed').replace(/^csim_main: /, '');
}
