/**
 * Builds a project's XRT host program (host/*.cpp, C++17, XRT native API) with g++, the same
 * command as the project Makefile's `host` target, cached by a hash of its sources and flags.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { ToolError, UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { removeOnInterrupt } from '../util/interrupt.js';

export const HOST_EXE = 'build/host/ubimoe_host';

/**
 * Where the XRT headers and library are: $XILINX_XRT (Xilinx's install) or Debian's libxrt-dev.
 * Either way xrt_uuid.h includes <uuid/uuid.h> (Debian: uuid-dev, which libxrt-dev does not pull in).
 */
export function xrtFlags(env: NodeJS.ProcessEnv = process.env): { include: string; libDir?: string } | null {
  if (!existsSync('/usr/include/uuid/uuid.h')) return null;
  if (env.XILINX_XRT && existsSync(join(env.XILINX_XRT, 'include', 'xrt', 'xrt_device.h')))
    return { include: join(env.XILINX_XRT, 'include'), libDir: join(env.XILINX_XRT, 'lib') };
  if (existsSync('/usr/include/xrt/xrt/xrt_device.h')) return { include: '/usr/include/xrt' };
  return null;
}

export function hostCompileArgs(
  projectDir: string,
  sources: string[],
  out: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const xrt = xrtFlags(env);
  if (!xrt)
    throw new UserError(
      'XRT development files not found: install libxrt-dev and uuid-dev (Debian/Ubuntu), or source /opt/xilinx/xrt/setup.sh',
    );
  return [
    '-std=c++17',
    '-O2',
    '-Wall',
    '-Wno-unknown-pragmas', // the building blocks' HLS pragmas
    // host/, then config.h and the building blocks (the activation types), then the ap_* headers
    `-I${join(projectDir, 'host')}`,
    `-I${join(projectDir, 'kernels')}`,
    `-I${join(projectDir, 'include')}`,
    `-I${env.XILINX_HLS ? join(env.XILINX_HLS, 'include') : join(projectDir, 'csim')}`,
    `-I${xrt.include}`,
    ...(xrt.libDir ? [`-L${xrt.libDir}`] : []),
    '-o',
    out,
    ...sources,
    '-lxrt_coreutil',
    '-luuid', // xrt_uuid.h calls libuuid inline
    '-pthread',
  ];
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? filesUnder(p) : /\.(cpp|h|hpp)$/.test(name) ? [p] : [];
    });
}

/** Compiles the host if its sources changed since the last build; returns the executable's path. */
export async function buildHost(
  projectDir: string,
  log?: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const hostDir = join(projectDir, 'host');
  if (!existsSync(hostDir))
    throw new UserError(`${projectDir}: has no host/ directory (regenerate it with ubimoe generate)`);
  const sources = readdirSync(hostDir)
    .filter((f) => f.endsWith('.cpp'))
    .sort()
    .map((f) => join(hostDir, f));
  if (sources.length === 0) throw new UserError(`${hostDir}: no host sources (*.cpp)`);
  const exe = join(projectDir, HOST_EXE);
  const hash = createHash('sha256');
  hash.update(JSON.stringify(hostCompileArgs(projectDir, sources, exe, env)));
  for (const f of ['host', 'kernels', 'include', 'csim'].flatMap((d) => filesUnder(join(projectDir, d))))
    hash.update(relative(projectDir, f)).update(readFileSync(f));
  const digest = hash.digest('hex');
  const stamp = `${exe}.hash`;
  if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return exe;

  mkdirSync(join(projectDir, 'build', 'host'), { recursive: true });
  const tmp = `${exe}.${process.pid}.tmp`;
  removeOnInterrupt(tmp); // an interrupted compile leaves no partial executable (harmless once renamed)
  log?.(`compiling the XRT host (${sources.length} source${sources.length > 1 ? 's' : ''})`);
  const r = await execa('g++', hostCompileArgs(projectDir, sources, tmp, env), { reject: false, all: true });
  if ((r as { code?: string }).code === 'ENOENT')
    throw new UserError('g++ not found: install g++ to build the XRT host');
  if (r.exitCode !== 0) {
    rmSync(tmp, { force: true });
    const tail = String(r.all ?? '')
      .split('\n')
      .slice(-20)
      .join('\n');
    throw new ToolError(`compiling the XRT host failed (g++ exit ${r.exitCode}):\n${tail}`);
  }
  renameSync(tmp, exe);
  writeFileAtomic(stamp, digest);
  return exe;
}
