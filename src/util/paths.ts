import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where package.json, boards/, models/, templates/ and hls/ live), from src/ or dist/src/. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'boards'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('ubimoe: cannot find the package root (package.json beside boards/)');
}

export const packageRoot = findPackageRoot();
export const boardsDir = join(packageRoot, 'boards');
export const modelsDir = join(packageRoot, 'models');
export const templatesDir = join(packageRoot, 'templates');
export const hlsDir = join(packageRoot, 'hls');
