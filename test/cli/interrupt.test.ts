/**
 * Ctrl-C during a long step: `ubimoe csim` interrupted while g++ compiles (a cc1plus is running, a
 * grandchild of ubimoe): one line naming what was interrupted, exit 130, and no compiler left
 * behind. The moment to interrupt is observed (the compiler process appears), never timed.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants } from '../../src/util/interrupt.js';
import { makeProject, writeImages, type TestProject } from '../driver/project.js';
import { CSIM_CACHE } from '../csim/harness.js';
import { inferenceArgs, onProject, spawnCli } from './helpers.js';

let p: TestProject;
let cache = '';

/** `ubimoe csim` of the project on p.root/`input`, writing p.root/`out`, in the background. */
const csim = (input: string, out: string, env: NodeJS.ProcessEnv, ...more: string[]) =>
  spawnCli(inferenceArgs('csim', onProject(p, join(p.root, input), join(p.root, out)), ...more), {
    env: { ...process.env, ...env },
  });

/** The process's command name, or undefined when it is gone or a zombie. */
function liveComm(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

beforeAll(() => {
  p = makeProject('micro');
  writeImages(join(p.root, 'images.npy'), p.design, 1, 3);
  cache = mkdtempSync(join(tmpdir(), 'ubimoe-interrupt-cache-')); // empty: the compile must run
});
afterAll(() => {
  rmSync(p.root, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});

test('SIGINT while g++ compiles: one line, exit 130, no compiler left running', async () => {
  const cli = csim('images.npy', 'o.npy', { UBIMOE_CSIM_CACHE: cache });
  let stderr = '';
  cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
  // wait for the observable moment: a cc1plus below ubimoe
  let compilers: number[] = [];
  while (compilers.length === 0) {
    await new Promise((r) => setTimeout(r, 20));
    compilers = descendants(cli.pid!).filter((pid) => liveComm(pid) === 'cc1plus');
  }
  const tree = descendants(cli.pid!);
  cli.kill('SIGINT'); // to ubimoe alone, as a supervisor would (a terminal signals the whole group)
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/\nubimoe: interrupted \(ubimoe csim\); stopping\n$/);
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  // ubimoe waits for its tree to end before it exits: nothing of it may run now (the compile of
  // these kernels takes seconds, so an orphaned cc1plus would still be here)
  expect(tree.filter((pid) => liveComm(pid) !== undefined)).toEqual([]);
  expect(existsOutput()).toBe(false);
}, 900_000);

test('SIGINT while the csim runner runs: exit 130, no temporary left behind', async () => {
  // a private TMPDIR, so what csim leaves there is visible; many images, so the run is mid-work
  // when its first image is reported (the observable moment), whatever the machine's speed
  const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-interrupt-tmp-'));
  writeImages(join(p.root, 'many.npy'), p.design, 3000, 5);
  const cli = csim(
    'many.npy',
    'many-out.npy',
    { UBIMOE_CSIM_CACHE: CSIM_CACHE, TMPDIR: tmp },
    '--no-reference',
  );
  let stderr = '';
  const firstImage = new Promise<void>((resolve) =>
    cli.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^csim: 1\/3000 images/m.test(stderr)) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
  await firstImage;
  cli.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/\nubimoe: interrupted \(ubimoe csim\); stopping\n$/);
  expect(readdirSync(tmp)).toEqual([]);
  rmSync(tmp, { recursive: true, force: true });
}, 900_000);

function existsOutput(): boolean {
  try {
    readFileSync(join(p.root, 'o.npy'));
    return true;
  } catch {
    return false;
  }
}
