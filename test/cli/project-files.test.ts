/**
 * A generated project whose files were removed or edited after generation: a missing file is one
 * line naming it (exit 2) before any compile; an edited one is named in a note and the run goes on.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { appendFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, writeImages, type TestProject } from '../driver/project.js';
import { inferenceArgs, onProject, runCli } from './helpers.js';

let p: TestProject;
let images = '';

const csim = () => runCli(inferenceArgs('csim', onProject(p, images, join(p.root, 'o.npy'))));

beforeAll(() => {
  p = makeProject('micro');
  images = join(p.root, 'images.npy');
  writeImages(images, p.design, 1, 3);
});
afterAll(() => rmSync(p.root, { recursive: true, force: true }));

test('an edited generated file is named in a note; the run goes on', () => {
  appendFileSync(join(p.dir, 'kernels', 'ffn_block.cpp'), '\n// a hand edit\n');
  const r = csim();
  expect(r.stderr).toContain(
    'note: kernels/ffn_block.cpp was edited after generation (the content differs from manifest.json)\n',
  );
  expect(r.code).toBe(0);
}, 900_000);

test('missing generated files: one line naming them, exit 2', () => {
  unlinkSync(join(p.dir, 'kernels', 'msa_block.cpp'));
  const r = csim();
  expect(r.stderr).toMatch(
    /^ubimoe: error: [^\n]*kernels\/msa_block\.cpp is missing; run ubimoe generate again\n$/,
  );
  expect(r.code).toBe(2);
  unlinkSync(join(p.dir, 'include', 'ubimoe', 'linear.h'));
  expect(csim().stderr).toMatch(/include\/ubimoe\/linear\.h, kernels\/msa_block\.cpp are missing/);
});
