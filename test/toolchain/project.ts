/** Test helpers: a project directory holding a design and its Vitis build files. */
import type { BlockArchitecture } from '../../src/kernels/params.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { defaultDesignFile, resolveDesign, type Design } from '../../src/design/design.js';
import type { DesignFileInput } from '../../src/design/schema.js';
import { vitisFiles } from '../../src/toolchain/vitis/files.js';
import { packageRoot } from '../../src/util/paths.js';

export const stubsDir = join(packageRoot, 'test', 'toolchain', 'vitis-stubs');

export function designFor(
  model: string,
  board: string,
  patch: Partial<DesignFileInput> = {},
  block: BlockArchitecture = 'split',
): Design {
  return resolveDesign({ ...defaultDesignFile(model, board, block), ...patch }, `test design ${model}/${board}`);
}

/**
 * Writes design.yaml, the Vitis files and placeholder kernel/runner/host sources (the parts other
 * producers generate) into a fresh temp directory.
 */
export function writeProject(
  model: string,
  board: string,
  patch: Partial<DesignFileInput> = {},
  root?: string,
): { dir: string; design: Design } {
  const dir = root ?? mkdtempSync(join(tmpdir(), `ubimoe-vitis-${board}-`));
  const file = { ...defaultDesignFile(model, board), ...patch };
  const design = resolveDesign(file, 'test design');
  const put = (p: string, content: string) => {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  };
  put('design.yaml', stringify(file));
  for (const f of vitisFiles(design)) put(f.path, f.content);
  for (const k of ['patch_embed', 'msa_block', 'ffn_block'])
    put(`kernels/${k}.cpp`, `// ${k} top (placeholder)\n`);
  put('kernels/config.h', '// config (placeholder)\n');
  put('runner/forward.cpp', '// runner (placeholder)\n');
  put('runner/csim_main.cpp', '// csim runner main (placeholder)\n');
  put('runner/protocol_main.cpp', '// protocol runner main (placeholder; not in the test bench)\n');
  put('host/host.cpp', 'int main() { return 0; }\n');
  return { dir, design };
}
