#!/usr/bin/env node
// The cost model against the timed C-simulation on the SEARCHED m3vit-tiny designs (not a speed
// benchmark, so not run by `npm run bench`): for each board and precision it searches the latency
// design, generates it, runs `ubimoe csim --cycles` on synthetic images with a synthetic
// checkpoint, and prints per kernel the simulated cycles per image, the predicted cycles (the cost
// model with each image's own routing) and their ratio. The table in docs/cost-model.md
// ("Searched designs") is this script's output.
// Usage: npm run build && node bench/model-agreement.mjs [--images N] [--keep DIR] [board:precision ...]
// (default: zcu102:w16a32 zcu102:w8a8 u280:w16a32 u280:w8a8, 2 images). Takes minutes per design.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../dist/src/io/npy.js';
import { Rng } from '../dist/src/model/prng.js';
import { loadModel } from '../dist/src/model/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'ubimoe.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const images = Number(opt('--images', '2'));
const keep = opt('--keep', undefined);
const cases = args.length ? args : ['zcu102:w16a32', 'zcu102:w8a8', 'u280:w16a32', 'u280:w8a8'];

const dir = keep ?? mkdtempSync(join(os.tmpdir(), 'ubimoe-agreement-'));
mkdirSync(dir, { recursive: true });
const at = (f) => join(dir, f);
const ubimoe = (a) =>
  execFileSync(process.execPath, [bin, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

console.log(
  `model vs timed C-simulation, searched m3vit-tiny designs, ${images} synthetic image(s); ${os.cpus().length} cores (${os.cpus()[0]?.model}), load ${os.loadavg()[0].toFixed(2)}`,
);
ubimoe(['checkpoint', 'synth', '--model', 'm3vit-tiny', '--seed', '1', '-o', at('m3vit-tiny.safetensors')]);
const rng = new Rng(7);
const m = loadModel('m3vit-tiny');
const shape = [images, 3, m.img_h, m.img_w];
writeNpy(
  at('images.npy'),
  shape,
  Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
);

const rows = [];
for (const c of cases) {
  const [board, precision] = c.split(':');
  const name = `${board}-${precision}`;
  ubimoe([
    'search',
    '--model',
    'm3vit-tiny',
    '--board',
    board,
    '--precision',
    precision,
    '--quiet',
    '-o',
    at(`${name}.yaml`),
  ]);
  ubimoe(['generate', '--design', at(`${name}.yaml`), '-o', at(name)]);
  ubimoe([
    'csim',
    '--project',
    at(name),
    '--checkpoint',
    at('m3vit-tiny.safetensors'),
    '--input',
    at('images.npy'),
    '-o',
    at(`${name}.npy`),
    '--no-reference',
    '--cycles',
  ]);
  const report = JSON.parse(readFileSync(join(at(name), 'reports', 'cycles.json'), 'utf8'));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sim = report.per_image;
  const pred = report.predicted.per_image;
  const kernels = Object.keys(sim[0].kernels);
  for (const k of [...kernels, 'total']) {
    const s = mean(sim.map((i) => (k === 'total' ? i.total_cycles : i.kernels[k])));
    const p = mean(pred.map((i) => (k === 'total' ? i.total_cycles : i.kernels[k])));
    rows.push({
      design: name,
      clock_mhz: report.clock_mhz,
      kernel: k,
      simulated: s,
      predicted: p,
      ratio: s / p,
      // the worst single image too: the model must hold per image, not only on average
      worstImage: sim
        .map((i, b) =>
          k === 'total' ? i.total_cycles / pred[b].total_cycles : i.kernels[k] / pred[b].kernels[k],
        )
        .reduce((w, r) => (Math.abs(r - 1) > Math.abs(w - 1) ? r : w)),
    });
  }
}

const ms = (cyc, mhz) => (cyc / (mhz * 1e3)).toFixed(2);
const lines = [
  '| design | kernel | simulated cycles/image | predicted cycles/image | simulated / predicted | simulated ms/image |',
  '|---|---|---:|---:|---:|---:|',
];
for (const r of rows)
  lines.push(
    `| ${r.design} @ ${r.clock_mhz} MHz | ${r.kernel} | ${Math.round(r.simulated)} | ${Math.round(r.predicted)} | ${r.ratio.toFixed(3)} | ${ms(r.simulated, r.clock_mhz)} |`,
  );
console.log(lines.join('\n'));
writeFileSync(at('agreement.md'), lines.join('\n') + '\n');
const worst = rows.reduce((w, r) => (Math.abs(r.worstImage - 1) > Math.abs(w.worstImage - 1) ? r : w));
console.log(
  `worst single image: ${worst.design} ${worst.kernel} ${worst.worstImage.toFixed(3)} (${Math.abs(worst.worstImage - 1) <= 0.1 ? 'within' : 'OUTSIDE'} ±10%)`,
);
if (!keep) rmSync(dir, { recursive: true, force: true });
