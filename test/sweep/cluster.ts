/**
 * Test helpers for sweeps: a one-node Slurm cluster of the test's own (scripts/slurm.sh with a
 * private directory and port, stopped at the end: only what it started), stand-ins for Vitis, and
 * the CLI run synchronously or in the background.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { requires } from '../requires.js';
import { stubsDir } from '../toolchain/project.js';
import { runCli, runCliBackground, type CliRun } from '../cli/helpers.js';

const script = join(packageRoot, 'scripts', 'slurm.sh');

export interface Cluster {
  env: NodeJS.ProcessEnv; // SLURM_CONF for the clients
  stop(): void;
}

/**
 * Starts the cluster, or returns null (after requires() said so loudly; under CI it throws) when
 * this machine cannot run one: not root, slurm-wlm or munge missing, or the daemons do not start.
 */
export function startCluster(dir: string): Cluster | null {
  const install =
    'run the tests as root with slurm-wlm and munge installed (apt-get install slurm-wlm munge)';
  const tools = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch'];
  if (!requires('root (slurmd runs the jobs)', process.getuid?.() === 0, install)) return null;
  if (
    !requires(
      'Slurm and munge (slurm-wlm, munge)',
      tools.every((t) => existsSync(t)),
      install,
    )
  )
    return null;
  // a port of its own, so it runs beside `npm run slurm:up`'s cluster and another test run
  const env = {
    ...process.env,
    UBIMOE_SLURM_DIR: dir,
    UBIMOE_SLURM_PORT: String(20000 + 2 * (process.pid % 10000)),
    UBIMOE_SLURM_ETC_LINK: '0',
  };
  const up = spawnSync('bash', [script, 'up'], { env, encoding: 'utf8' });
  const stop = () => {
    const r = spawnSync('bash', [script, 'down'], { env, encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`slurm.sh down: ${r.stderr}`);
  };
  if (up.status !== 0) {
    stop();
    requires(
      `a one-node Slurm cluster (scripts/slurm.sh up failed: ${(up.stderr || up.stdout).trim().split('\n').slice(-6).join(' | ')})`,
      false,
      install,
    );
    return null;
  }
  return { env: { SLURM_CONF: join(dir, 'slurm.conf') }, stop };
}

/** PATH and variables of a machine with (fake) Vitis HLS and v++. */
export function vitisEnv(tmp: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const fakeBin = join(tmp, 'fake-bin');
  if (!existsSync(fakeBin)) {
    mkdirSync(fakeBin, { recursive: true });
    symlinkSync(join(stubsDir, 'fake-vitis_hls'), join(fakeBin, 'vitis_hls'));
    symlinkSync(join(stubsDir, 'fake-v++'), join(fakeBin, 'v++'));
  }
  return {
    PATH: `${fakeBin}:${process.env.PATH}`,
    UBIMOE_TCL_TRACE: join(tmp, 'tcl.trace'),
    UBIMOE_STUB_CSYNTH_DIR: join(packageRoot, 'test', 'fixtures', 'csynth', 'u280'),
    ...extra,
  };
}

/** The CLI with `env` added to this process's environment. */
export function ubimoe(env: NodeJS.ProcessEnv, ...args: string[]): CliRun {
  return runCli(args, { env: { ...process.env, ...env } });
}

/** The same in the background; `done` resolves when it exits. */
export function ubimoeBackground(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): { done: Promise<CliRun>; pid: number } {
  return runCliBackground(args, { env: { ...process.env, ...env } });
}

/** Polls `probe` (bounded: `tries` times, every `ms`) until it returns a value; throws naming `what`. */
export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false,
  tries = 1200,
  ms = 250,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, ms));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read report JSON loosely
export function readJson<T = any>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function touch(path: string): void {
  writeFileSync(path, '');
}
