/**
 * The built CLI (bin/ubimoe.js over dist/) run as a user runs it, for the CLI and sweep tests: one
 * spawn wrapper, the check of a user error, and the argument list of `csim` / `run` on a project.
 */
import { expect } from '@jest/globals';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/model/prng.js';
import { packageRoot } from '../../src/util/paths.js';

export const bin = join(packageRoot, 'bin', 'ubimoe.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What differs between the tests' runs; `env`, when given, is the whole environment (as for spawn). */
export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeout?: number;
}

/** Runs `ubimoe ...args` to its end. */
export function runCli(args: string[], opts: CliOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', ...opts });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `ubimoe ...args` in the background. */
export function spawnCli(
  args: string[],
  opts: Omit<CliOptions, 'timeout'> = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], opts);
}

/** Starts `ubimoe ...args` in the background; `done` resolves with its output when it exits. */
export function runCliBackground(
  args: string[],
  opts: Omit<CliOptions, 'timeout'> = {},
): { done: Promise<CliRun>; pid: number } {
  const child = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, pid: child.pid! };
}

/** A user error: exit 2 and one stderr line `ubimoe: error: ...` matching `re`. */
export function expectUserError(r: CliRun, re: RegExp): void {
  expect(`${r.code} ${r.stderr}`).toMatch(/^2 /); // the code, with stderr shown when it is not 2
  expect(r.stderr).toMatch(/^ubimoe: error: [^\n]+\n$/);
  expect(r.stderr).toMatch(re);
}

/** The files of one inference over a project. */
export interface Inference {
  project: string;
  checkpoint: string;
  input: string;
  out: string;
}

/** `<csim|run> --project P --checkpoint C --input I -o OUT ...more`. */
export function inferenceArgs(command: 'csim' | 'run', f: Inference, ...more: string[]): string[] {
  return [
    command,
    '--project',
    f.project,
    '--checkpoint',
    f.checkpoint,
    '--input',
    f.input,
    '-o',
    f.out,
    ...more,
  ];
}

/** The Inference of a test project (test/driver/project.ts's makeProject) on `input`, writing `out`. */
export function onProject(p: { dir: string; checkpoint: string }, input: string, out: string): Inference {
  return { project: p.dir, checkpoint: p.checkpoint, input, out };
}

/**
 * What the micro csim/run tests start from, in `dir`: images.npy (`count` images of Rng(`imageSeed`)),
 * micro.safetensors (seed `checkpointSeed`) and proj/, the default micro design for u280.
 */
export function writeMicroSetup(dir: string, count: number, imageSeed: number, checkpointSeed: number): void {
  const rng = new Rng(imageSeed);
  const shape = [count, 3, 32, 32];
  writeNpy(
    join(dir, 'images.npy'),
    shape,
    Float32Array.from({ length: count * 3 * 32 * 32 }, () => rng.normal()),
  );
  for (const args of [
    [
      'checkpoint',
      'synth',
      '--model',
      'micro',
      '--seed',
      String(checkpointSeed),
      '-o',
      join(dir, 'micro.safetensors'),
    ],
    ['generate', '--model', 'micro', '--board', 'u280', '-o', join(dir, 'proj')],
  ])
    expect(runCli(args).code).toBe(0);
}
