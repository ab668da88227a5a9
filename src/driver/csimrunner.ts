/**
 * Builds a project's protocol runner: the top kernels + runner/forward.cpp (the C-simulation) +
 * runner/protocol_main.cpp (the protocol on stdin/stdout), with g++ -O2, the same flags and
 * include order as the Makefile's csim target. Cached by a hash of every source, header and flag:
 * an unchanged project is never recompiled.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { KERNEL_NAMES } from '../kernels/params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ToolError, UserError } from '../util/errors.js';
import type { Project } from './project.js';

export const PROTOCOL_RUNNER_EXE = 'build/csim/ubimoe_runner';
export const CSIM_CXXFLAGS = ['-std=c++17', '-O2'];

/** Sources of the protocol runner, relative to the project. */
export function protocolRunnerSources(): string[] {
  return [...KERNEL_NAMES.map((k) => `kernels/${k}.cpp`), 'runner/forward.cpp', 'runner/protocol_main.cpp'];
}

/** -I flags: generated config first, then the building blocks, the ap_* types, the runner. */
export function csimIncludes(projectDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const types = env.XILINX_HLS ? join(env.XILINX_HLS, 'include') : join(projectDir, 'csim');
  return [join(projectDir, 'kernels'), join(projectDir, 'include'), types, join(projectDir, 'runner')].map((d) => `-I${d}`);
}

function headersUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...headersUnder(p));
    else if (/\.(h|hpp)$/.test(name)) out.push(p);
  }
  return out;
}

export interface RunnerBuildOptions {
  extraFlags?: string[]; // e.g. sanitizers (tests)
  exe?: string; // output path relative to the project (default PROTOCOL_RUNNER_EXE)
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function buildProtocolRunner(project: Project, logOrOpts?: ((line: string) => void) | RunnerBuildOptions): Promise<string> {
  const opts: RunnerBuildOptions = typeof logOrOpts === 'function' ? { log: logOrOpts } : (logOrOpts ?? {});
  const env = opts.env ?? process.env;
  const dir = project.dir;
  const sources = protocolRunnerSources().map((s) => join(dir, s));
  for (const s of sources)
    if (!existsSync(s)) throw new UserError(`${dir}: missing ${relative(dir, s)} (regenerate the project with ubimoe generate)`);
  const exe = join(dir, opts.exe ?? PROTOCOL_RUNNER_EXE);
  const flags = [...CSIM_CXXFLAGS, ...(opts.extraFlags ?? []), ...csimIncludes(dir, env)];
  const hash = createHash('sha256').update(JSON.stringify(flags));
  const headers = ['kernels', 'include', 'csim', 'runner'].flatMap((d) => headersUnder(join(dir, d)));
  for (const f of [...sources, ...headers]) hash.update(relative(dir, f)).update(readFileSync(f));
  const digest = hash.digest('hex');
  const stamp = `${exe}.hash`;
  if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return exe;

  mkdirSync(join(exe, '..'), { recursive: true });
  const tmp = `${exe}.${process.pid}.tmp`;
  opts.log?.(`compiling the csim runner (g++ ${CSIM_CXXFLAGS.join(' ')}; cached afterwards)`);
  const r = await execa('g++', [...flags, '-o', tmp, ...sources], { reject: false, all: true, env });
  if ((r as { code?: string }).code === 'ENOENT') throw new UserError('g++ not found: install g++ to build the csim runner');
  if (r.exitCode !== 0) {
    rmSync(tmp, { force: true });
    const tail = String(r.all ?? '').split('\n').slice(-25).join('\n');
    throw new ToolError(`compiling the csim runner failed (g++ exit ${r.exitCode}):\n${tail}`);
  }
  renameSync(tmp, exe);
  writeFileAtomic(stamp, digest);
  return exe;
}
