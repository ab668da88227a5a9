/**
 * The package as a user imports it: a project of their own with ubimoe in node_modules, ESM
 * `import { ... } from 'ubimoe'` (package.json "exports"), the documented API end to end on micro:
 * synthetic checkpoint, reference forward, estimate, generate, and a stream through the csim runner.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

let app = '';
beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'ubimoe-user-app-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(packageRoot, join(app, 'node_modules', 'ubimoe'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module' }));
});
afterAll(() => rmSync(app, { recursive: true, force: true }));

test("import { ... } from 'ubimoe' works as documented (README, 'The same flow as a library')", () => {
  writeFileSync(
    join(app, 'main.js'),
    `
import { Accelerator, loadModel, synthCheckpoint, writeCheckpoint, forwardImages, defaultDesignFile,
  resolveDesign, estimateDesign, generateProject, UserError } from 'ubimoe';
const model = loadModel('micro');
const ckpt = synthCheckpoint(model, 1);
writeCheckpoint('w.safetensors', ckpt);
const design = resolveDesign(defaultDesignFile('micro', 'u280'), 'app design');
const e = estimateDesign(design);
generateProject(design, 'proj');
const image = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i) * 0.5);
const ref = forwardImages(ckpt, model, image, 1, { task: 0 });
const acc = await Accelerator.open({ project: 'proj', backend: 'csim', checkpoint: 'w.safetensors' });
let maxDiff = 0;
for await (const out of acc.stream([{ kind: 'image', data: image }], { task: 0 }))
  for (let i = 0; i < out.output.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.output[i] - ref.tokens[i]));
await acc.close();
let refused = '';
try { loadModel('nope'); } catch (err) { refused = err instanceof UserError ? err.message : 'not a UserError'; }
console.log(JSON.stringify({ latencyMs: e.latencyMs, maxDiff, refused }));
`,
  );
  const r = spawnSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', timeout: 600_000 });
  expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|ERR_PACKAGE_PATH_NOT_EXPORTED/);
  expect(r.status).toBe(0);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(got.latencyMs).toBeGreaterThan(0);
  expect(got.maxDiff).toBeLessThan(0.01); // the csim micro kernels against the float32 reference
  expect(got.refused).toMatch(/unknown model 'nope'/);
}, 900_000);

test('internal modules are not importable by path (only the documented API is public)', () => {
  writeFileSync(join(app, 'deep.js'), `import 'ubimoe/dist/src/driver/accelerator.js';`);
  const r = spawnSync(process.execPath, ['deep.js'], { cwd: app, encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
});
