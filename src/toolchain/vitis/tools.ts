import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Design } from '../../design/design.js';
import { UserError } from '../../util/errors.js';

/** Build targets of `ubimoe build` that need Vitis (csim and tb need only g++). */
export const VITIS_TARGETS = ['hls-csim', 'csynth', 'cosim', 'xo', 'hw_emu', 'hw'] as const;
export type VitisTarget = (typeof VITIS_TARGETS)[number];

/** One thing a target needs that is not there, and how to set it up. */
export interface MissingTool {
  what: string;
  setup: string;
}

export function findOnPath(exe: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, exe);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The HLS command line: vitis_hls (to 2024.1) or vitis-run (2023.2 on), as the Makefile picks it. */
export function hlsTool(env: NodeJS.ProcessEnv): string | null {
  return findOnPath('vitis_hls', env) ?? findOnPath('vitis-run', env);
}

/** Where v++ looks for <platform>/<platform>.xpfm: PLATFORM_REPO_PATHS, then /opt/xilinx/platforms. */
export function findPlatform(platform: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = (env.PLATFORM_REPO_PATHS ?? '').split(':').filter(Boolean);
  dirs.push('/opt/xilinx/platforms');
  for (const dir of dirs) {
    for (const p of [join(dir, platform, `${platform}.xpfm`), join(dir, `${platform}.xpfm`)])
      if (existsSync(p)) return p;
  }
  return null;
}

const SOURCE_VITIS = 'install Vitis and run `source <Vitis install>/settings64.sh`';

/** Everything `target` needs that this machine lacks (empty when all is there). */
export function missingTools(
  target: VitisTarget,
  design: Design,
  env: NodeJS.ProcessEnv = process.env,
): MissingTool[] {
  const missing: MissingTool[] = [];
  const embedded = design.board.flow === 'vitis-embedded';
  const linking = target === 'hw_emu' || target === 'hw';
  // Alveo kernels come out of Vitis HLS; embedded .xo files out of v++ -c (see the Makefile)
  const needsHls = target === 'hls-csim' || target === 'csynth' || target === 'cosim' || !embedded;
  const needsVpp = linking || (target === 'xo' && embedded);

  if (!findOnPath('make', env))
    missing.push({ what: 'make (not on PATH)', setup: 'install make (apt-get install make)' });
  if (needsHls && !hlsTool(env))
    missing.push({
      what: 'vitis_hls / vitis-run (Vitis HLS, not on PATH)',
      setup: `${SOURCE_VITIS} (sets XILINX_HLS and PATH)`,
    });
  if (needsVpp && !findOnPath('v++', env))
    missing.push({ what: 'v++ (Vitis compiler, not on PATH)', setup: SOURCE_VITIS });
  if (needsVpp && !findPlatform(design.board.platform, env))
    missing.push({
      what: `platform ${design.board.platform} (no ${design.board.platform}.xpfm under PLATFORM_REPO_PATHS=${env.PLATFORM_REPO_PATHS ?? '(unset)'} or /opt/xilinx/platforms)`,
      setup: `install the platform and \`export PLATFORM_REPO_PATHS=<directory holding ${design.board.platform}/>\``,
    });
  if (linking && !embedded && !(env.XILINX_XRT && existsSync(env.XILINX_XRT)))
    missing.push({
      what: `XILINX_XRT (${env.XILINX_XRT ? `${env.XILINX_XRT} does not exist` : 'not set'})`,
      setup: 'install XRT and run `source /opt/xilinx/xrt/setup.sh`',
    });
  if (linking && embedded) {
    const common = env.EDGE_COMMON_SW;
    const haveImage =
      (common && existsSync(join(common, 'rootfs.ext4')) && existsSync(join(common, 'Image'))) ||
      (env.ROOTFS && env.KERNEL_IMAGE);
    if (!haveImage)
      missing.push({
        what: `the Vitis common image for ${design.board.name} (EDGE_COMMON_SW ${common ? `= ${common} has no rootfs.ext4 and Image` : 'not set'})`,
        setup:
          'download the Vitis embedded common image for your Vitis version, install its sysroot with sdk.sh, and `export EDGE_COMMON_SW=<its directory>` (or set ROOTFS and KERNEL_IMAGE)',
      });
    if (!findOnPath(env.HOST_CXX || 'aarch64-linux-gnu-g++', env))
      missing.push({
        what: `${env.HOST_CXX || 'aarch64-linux-gnu-g++'} (cross compiler for the host program, not on PATH)`,
        setup: `${SOURCE_VITIS} (it adds Vitis' aarch64 toolchain) or set HOST_CXX`,
      });
  }
  return missing;
}

/** Throws a UserError (exit 2) naming everything `target` lacks and how to set it up. */
export function requireTools(
  target: VitisTarget,
  design: Design,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const missing = missingTools(target, design, env);
  if (!missing.length) return;
  const list = missing.map((m) => `${m.what}: ${m.setup}`).join('; ');
  throw new UserError(
    `--target ${target} needs Vitis tools this machine lacks: ${list}. (--target csim and --target tb need only g++.)`,
  );
}
