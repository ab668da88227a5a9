/**
 * What a backend runs: the csim runner (built from the project's runner/ sources) or the XRT
 * host (host/), each with the packed weights of the checkpoint, as a RunnerCommand.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildCsim } from '../toolchain/csim.js';
import { UserError } from '../util/errors.js';
import { buildHost } from './hostbuild.js';
import type { Project } from './project.js';
import type { RunnerCommand } from './runner.js';
import { packedWeightsFor } from './weights.js';

/** The bitstream `make xclbin TARGET=hw` writes (issue 7's layout). */
export const DEFAULT_XCLBIN = 'build/hw/ubimoe.xclbin';

/** What launching needs of the accelerator's options (accelerator.ts passes its own; no import back). */
export interface LaunchOptions {
  backend: 'csim' | 'xrt';
  checkpoint: string;
  xclbin?: string;
  runnerCommand?: RunnerCommand;
  log?: (line: string) => void;
  cycles?: boolean;
  powerLog?: { path: string; intervalMs: number };
  hostExe?: string;
}

export async function prepareRunner(project: Project, opts: LaunchOptions): Promise<RunnerCommand> {
  const log = opts.log ?? (() => {});
  if (!existsSync(opts.checkpoint) || !statSync(opts.checkpoint).isFile())
    throw new UserError(`${opts.checkpoint}: no such checkpoint file`);
  let xclbin: string | undefined;
  if (opts.backend === 'xrt') {
    xclbin = resolve(opts.xclbin ?? join(project.dir, DEFAULT_XCLBIN));
    if (!existsSync(xclbin) || !statSync(xclbin).isFile())
      throw new UserError(
        opts.xclbin
          ? `${opts.xclbin}: no such xclbin file`
          : `${xclbin}: no xclbin (build it with ubimoe build, or pass --xclbin)`,
      );
  }
  if (opts.cycles && opts.backend !== 'csim')
    throw new UserError('cycles (the timed C-simulation) is for the csim backend');
  const weights = await packedWeightsFor(project, opts.checkpoint, log);
  const power = opts.powerLog
    ? ['--power-log', opts.powerLog.path, '--power-interval-ms', String(opts.powerLog.intervalMs)]
    : [];
  if (opts.runnerCommand)
    return { ...opts.runnerCommand, args: [...opts.runnerCommand.args, '--weights', weights, ...power] };
  if (opts.backend === 'csim') {
    // the kernel engineer's csim build (same flags and cache as `ubimoe csim`), with the protocol main
    // --cycles: the timed C-simulation (-DUBIMOE_TIMED_CSIM, cached apart from the plain build)
    const built = await buildCsim(project.dir, { main: 'protocol_main', timed: opts.cycles });
    if (!built.cached)
      log(
        `compiled the ${opts.cycles ? 'timed ' : ''}csim runner in ${built.seconds.toFixed(1)} s (cached from now on)`,
      );
    return { command: built.exe, args: ['--weights', weights], cwd: project.dir };
  }
  if (opts.hostExe !== undefined && !existsSync(opts.hostExe))
    throw new UserError(`--host-exe: ${opts.hostExe}: no such file`);
  const exe = opts.hostExe !== undefined ? resolve(opts.hostExe) : await buildHost(project.dir, log);
  return { command: exe, args: ['--xclbin', xclbin!, '--weights', weights, ...power], cwd: project.dir };
}
