import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from '../../design/design.js';
import { templatesDir, packageRoot } from '../../util/paths.js';
import { assignConnectivity, type Connectivity } from './connectivity.js';
import { HLS_STEPS, LAYOUT, isVersal } from './layout.js';
import { designKernels } from '../../design/design.js';
import type { KernelName } from '../../kernels/params.js';

/** A file a producer adds to a generated project (path relative to the project root). */
export interface ProjectFile {
  path: string;
  content: string;
}

const vitisTemplates = join(templatesDir, 'vitis');

function render(template: string, context: Record<string, unknown>): string {
  const file = join(vitisTemplates, template);
  return ejs.render(readFileSync(file, 'utf8'), context, { filename: file });
}

function ubimoeVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Clock period in ns for create_clock, from the design's kernel clock. */
export function clockPeriodNs(clockMhz: number): string {
  return (1000 / clockMhz).toFixed(3).replace(/\.?0+$/, '');
}

function hlsScript(design: Design, kernel: KernelName, version: string): ProjectFile {
  const axiWidthBits = design.shared.axiWidthBits;
  return {
    path: LAYOUT.hlsScript(kernel),
    content: render('hls/kernel.tcl.ejs', {
      version,
      kernel,
      steps: HLS_STEPS,
      part: design.board.part,
      clockPeriodNs: clockPeriodNs(design.shared.clockMhz),
      axiWidthBits,
      axiBytes: axiWidthBits / 8,
      includeDirs: LAYOUT.includeDirs,
      cflags: [] as string[],
      kernelSource: LAYOUT.kernelSource(kernel),
      testbenchSources: [
        ...LAYOUT.testbenchSources,
        ...designKernels(design).filter((k) => k !== kernel).map((k) => LAYOUT.kernelSource(k)),
      ],
      runnerDir: LAYOUT.runnerDir,
      tbDataDir: LAYOUT.tbDataDir,
      tbArgv: LAYOUT.tbArgv,
      tbDataFiles: LAYOUT.tbDataFiles,
      hlsProjectDir: LAYOUT.hlsProjectDir,
      solution: LAYOUT.hlsSolution,
      xoDir: 'build/xo',
      xoFile: LAYOUT.xo(kernel),
    }),
  };
}

function linkConfig(design: Design, conn: Connectivity, version: string): ProjectFile {
  const kernels = designKernels(design).map((k) => ({
    kernel: k,
    units: conn.computeUnits.filter((cu) => cu.kernel === k).map((cu) => cu.name),
  }));
  return {
    path: LAYOUT.linkConfig(design.board),
    content: render('link/board.cfg.ejs', {
      version,
      board: design.board,
      conn,
      kernels,
      linkConfig: LAYOUT.linkConfig(design.board),
    }),
  };
}

/** What `v++ -l` writes: the xclbin itself on Alveo; on embedded boards an input for `v++ -p`. */
export function linkedName(design: Design): string {
  if (design.board.flow !== 'vitis-embedded') return LAYOUT.xclbinName;
  return isVersal(design.board) ? 'ubimoe_link.xsa' : 'ubimoe_link.xclbin';
}

function makefile(design: Design, conn: Connectivity, version: string): ProjectFile {
  const embedded = design.board.flow === 'vitis-embedded';
  return {
    path: 'Makefile',
    content: render('Makefile.ejs', {
      version,
      model: design.model.name,
      board: design.board,
      clockMhz: design.shared.clockMhz,
      clockHz: conn.clockHz,
      kernels: designKernels(design),
      embedded,
      versal: isVersal(design.board),
      includeDirs: LAYOUT.includeDirs,
      csimIncludeDir: LAYOUT.csimIncludeDir,
      runnerDir: LAYOUT.runnerDir,
      runnerSources: LAYOUT.testbenchSources.join(' '),
      hostDir: LAYOUT.hostDir,
      hostSources: `$(wildcard ${LAYOUT.hostDir}/*.cpp)`,
      hostExe: LAYOUT.hostExe,
      csimExe: 'build/csim/ubimoe_csim',
      hlsProjectDir: LAYOUT.hlsProjectDir,
      solution: LAYOUT.hlsSolution,
      tbDataDir: LAYOUT.tbDataDir,
      tbArgv: LAYOUT.tbArgv,
      xclbinName: LAYOUT.xclbinName,
      linkedName: linkedName(design),
      linkConfig: LAYOUT.linkConfig(design.board),
      packageConfig: LAYOUT.packageConfig(design.board),
    }),
  };
}

function packageConfig(design: Design, version: string): ProjectFile {
  return {
    path: LAYOUT.packageConfig(design.board),
    content: render('package/board.cfg.ejs', {
      version,
      board: design.board,
      versal: isVersal(design.board),
      packageConfig: LAYOUT.packageConfig(design.board),
      hostExe: LAYOUT.hostExe,
    }),
  };
}

/**
 * The Vitis build files of a project: hls/<kernel>.tcl per top kernel, link/<board>.cfg, the
 * Makefile and, for Zynq/Versal boards, package/<board>.cfg. A generator producer: it only
 * reads the resolved design. Throws a UserError when the design's placement does not fit the board.
 */
export function vitisFiles(design: Design, _ctx?: unknown): ProjectFile[] {
  const version = ubimoeVersion();
  const conn = assignConnectivity(design);
  const files = designKernels(design).map((k) => hlsScript(design, k, version));
  files.push(linkConfig(design, conn, version), makefile(design, conn, version));
  if (design.board.flow === 'vitis-embedded') files.push(packageConfig(design, version));
  return files;
}
