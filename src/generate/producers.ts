/**
 * The files of a generated project, by producer. Each producer is a function of the resolved
 * design and the render context returning files (paths relative to the project root). Other
 * parts of ubimoe add theirs with one line in `producers` below (XRT host, Vitis scripts, ...).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { hlsDir, packageRoot } from '../util/paths.js';
import type { ProducedFile, Producer } from './context.js';
import { driverSources } from './driverfiles.js';
import { vitisFiles } from '../toolchain/vitis/files.js';

export type { ProducedFile, Producer } from './context.js';

/** Every file below `dir`, as project files under `prefix`. */
export function copyTree(dir: string, prefix: string): ProducedFile[] {
  const out: ProducedFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        out.push({ path: `${prefix}/${relative(dir, p).split('\\').join('/')}`, content: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

/** kernels/: config.h and the design's top kernels (designKernels). */
export const kernelSources: Producer = (_design, ctx) => [
  { path: 'kernels/config.h', content: ctx.render('kernels/config.h.ejs') },
  ...ctx.kernelNames.map((k) => ({ path: `kernels/${k}.cpp`, content: ctx.render(`kernels/${k}.cpp.ejs`) })),
];

/** include/ubimoe/: the synthesisable building blocks; csim/: the csim-only ap_* / hls_stream headers. */
export const libraryHeaders: Producer = () => [
  ...copyTree(join(hlsDir, 'include', 'ubimoe'), 'include/ubimoe'),
  ...copyTree(join(hlsDir, 'csim'), 'csim'),
];

/** runner/: the csim forward pass (contract in forward.h) and the file-based csim runner main. */
export const runnerSources: Producer = (_design, ctx) => [
  { path: 'runner/forward.h', content: ctx.render('runner/forward.h.ejs') },
  { path: 'runner/forward.cpp', content: ctx.render('runner/forward.cpp.ejs') },
  { path: 'runner/csim_main.cpp', content: ctx.render('runner/csim_main.cpp.ejs') },
];

/** design.yaml with model and board inlined: the project needs nothing outside itself. */
export const designFile: Producer = (design) => {
  const file = { ...design.file, model: design.model, board: design.board };
  return [
    {
      path: 'design.yaml',
      content: `# ubimoe design (generated; model and board inlined so the project is self-contained)\n${stringify(file)}`,
    },
  ];
};

/** docs/: the packed weights layout and the C-simulation. */
export const docs: Producer = () =>
  ['weights.md', 'csim.md'].map((f) => ({
    path: `docs/${f}`,
    content: readFileSync(join(packageRoot, 'docs', f)),
  }));

export const producers: Producer[] = [
  kernelSources,
  libraryHeaders,
  runnerSources,
  designFile,
  docs,
  driverSources,
  vitisFiles,
];
