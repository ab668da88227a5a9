// `ubimoe run --backend xrt --power` end to end without a board: the generated host built against
// the stand-in XRT (which serves the card's electrical info, FAKE_XRT_POWER_W) for an Alveo card,
// and a fake /sys/class/hwmon tree of INA226 rails (UBIMOE_HWMON_ROOT) for a Zynq board. The run
// prints measured W and J/image beside the prediction and saves reports/power.json; `ubimoe report`
// then shows measured beside predicted. Also `estimate --json` carries the power fields on every board.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boardNames } from '../../src/board/load.js';
import { makeProject, writeImages, type TestProject } from '../driver/project.js';
import { buildFakeHost, writeFakeXclbin } from '../driver/fixtures/fake_xrt/fake_xrt.js';
import { runCli, runCliBackground } from './helpers.js';

const projects: TestProject[] = [];
afterAll(() => {
  for (const t of projects) rmSync(t.root, { recursive: true, force: true });
});

const ubimoe = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { timeout: 900_000, env: { ...process.env, ...env } });

/** Like ubimoe() without blocking the event loop (the estimate runs of all boards in parallel). */
const ubimoeAsync = (args: string[]) => runCliBackground(args).done;

test('estimate --json carries power_w, energy_j_per_image and gops_per_w for every board', async () => {
  const runs = await Promise.all(
    boardNames().map((b) => ubimoeAsync(['estimate', '--model', 'm3vit-tiny', '--board', b, '--json'])),
  );
  runs.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`${boardNames()[i]}: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as Record<string, number>;
    expect(j.power_w).toBeGreaterThan(0);
    expect(j.energy_j_per_image).toBeCloseTo((j.power_w * j.latency_ms) / 1e3, 12);
    expect(j.gops_per_w).toBeCloseTo(j.gops / j.power_w, 12);
  });
}, 900_000);

async function setUp(
  board: string,
): Promise<{ p: TestProject; host: string; xclbin: string; images: string }> {
  const p = makeProject('micro', board);
  projects.push(p);
  const xclbin = join(p.root, 'fake.xclbin');
  writeFakeXclbin(p, xclbin);
  const host = await buildFakeHost(p.dir, join(p.root, 'ubimoe_host_fake_xrt'), {
    objDir: join(p.root, 'obj'),
  });
  const images = join(p.root, 'images.npy');
  writeImages(images, p.design, 3);
  return { p, host, xclbin, images };
}

const runArgs = (s: { p: TestProject; host: string; xclbin: string; images: string }) => [
  'run',
  '--project',
  s.p.dir,
  '--backend',
  'xrt',
  '--xclbin',
  s.xclbin,
  '--host-exe',
  s.host,
  '--checkpoint',
  s.p.checkpoint,
  '--input',
  s.images,
  '-o',
  join(s.p.root, 'out.npy'),
  '--power',
  '--power-interval',
  '5',
];

/** The measured line: mean W, samples, J/image, wall seconds; J/image = W × s / images. */
function measured(stdout: string) {
  const m =
    /measured power: mean ([\d.]+) W.* over (\d+) samples \((.+?)\), ([\d.e+-]+) J\/image \(mean W × ([\d.]+) s \/ (\d+) images\); predicted ([\d.]+) W/.exec(
      stdout,
    );
  if (!m) throw new Error(`no measured power line in:\n${stdout}`);
  return { w: +m[1], samples: +m[2], source: m[3], j: +m[4], s: +m[5], images: +m[6], predicted: +m[7] };
}

describe('run --power on an Alveo card (u280): XRT electrical info of the stand-in XRT', () => {
  test('prints measured W and J/image beside the prediction; the report shows them', async () => {
    const s = await setUp('u280');
    const r = ubimoe(runArgs(s), { FAKE_XRT_POWER_W: '31.25' });
    if (r.code !== 0) throw new Error(r.stderr);
    const m = measured(r.stdout);
    expect(m.w).toBe(31.25); // every sample of the fake is 31.25 W
    expect(m.samples).toBeGreaterThanOrEqual(2); // at least the first and the last
    expect(m.source).toMatch(/XRT electrical info/);
    expect(m.images).toBe(3);
    const saved = JSON.parse(readFileSync(join(s.p.dir, 'reports', 'power.json'), 'utf8'));
    expect(saved.energy_j_per_image).toBeCloseTo((31.25 * saved.wall_s) / 3, 12);
    expect(m.j).toBe(Number(saved.energy_j_per_image.toPrecision(3)));
    expect(saved).toMatchObject({ format: 'ubimoe-power/1', mean_w: 31.25, images: 3, board: 'u280' });
    expect(saved.per_sample).toHaveLength(m.samples);

    const rep = ubimoe(['report', '--project', s.p.dir]);
    if (rep.code !== 0) throw new Error(rep.stderr);
    const html = readFileSync(join(s.p.dir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('<section id="power">'), html.indexOf('<section id="bounds">'));
    expect(section).toMatch(/Measured on the board/);
    expect(section).toMatch(/board power \(W\)<\/td><td class="num">31\.3<\/td><td class="num">[\d.]+<\/td>/);
    expect(section).toMatch(/energy \(J\/image\)/);
    expect(html).toMatch(/reports\/power\.json/);

    // a card whose electrical info has no power figure: one clear line, exit 1 (nothing saved anew)
    const bad = ubimoe(runArgs(s), { FAKE_XRT_POWER_W: 'missing' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/measured power unavailable: no power_consumption_watts/);
  }, 900_000);
});

describe('run --power on a Zynq board (zcu102): INA226 rails of a fake hwmon tree', () => {
  test('prints measured W (PS/PL/DDR) and J/image; the report shows them', async () => {
    const s = await setUp('zcu102');
    const root = join(s.p.root, 'hwmon');
    const rail = (dir: string, name: string, uw: number | null) => {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, 'name'), `${name}\n`);
      if (uw !== null) writeFileSync(join(root, dir, 'power1_input'), `${uw}\n`);
    };
    rail('hwmon0', 'ina226_u79', 3_000_000); // VCCINT: PL
    rail('hwmon1', 'ina226_u76', 1_500_000); // VCCPSINTFP: PS
    rail('hwmon2', 'ina226_u93', 500_000); // VCCO_PSDDR_504: DDR
    rail('hwmon3', 'ina226_u16', 250_000); // not in the board's map: other
    rail('hwmon4', 'cpu_thermal', null); // not a power monitor
    const r = ubimoe(runArgs(s), { UBIMOE_HWMON_ROOT: root });
    if (r.code !== 0) throw new Error(r.stderr);
    const m = measured(r.stdout);
    expect(m.w).toBe(5.25);
    expect(r.stdout).toMatch(/\(PS 1\.50, PL 3\.00, DDR 0\.50, other 0\.25 W\)/);
    expect(m.source).toContain(root);
    const saved = JSON.parse(readFileSync(join(s.p.dir, 'reports', 'power.json'), 'utf8'));
    expect(saved.energy_j_per_image).toBeCloseTo((5.25 * saved.wall_s) / 3, 12);
    expect(m.j).toBe(Number(saved.energy_j_per_image.toPrecision(3)));
    expect(saved.domains_w).toEqual({ ps: 1.5, pl: 3, ddr: 0.5, other: 0.25 });
    const rep = ubimoe(['report', '--project', s.p.dir]);
    if (rep.code !== 0) throw new Error(rep.stderr);
    const html = readFileSync(join(s.p.dir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('<section id="power">'), html.indexOf('<section id="bounds">'));
    expect(section).toMatch(/Measured on the board/);
    expect(section).toMatch(/board power \(W\)<\/td><td class="num">5\.25<\/td>/);
    expect(section).toMatch(/PS 1\.50 W, PL 3\.00 W, DDR 0\.50 W, other 0\.25 W/);

    // no power monitors: refused before anything runs
    const none = ubimoe(runArgs(s), { UBIMOE_HWMON_ROOT: join(s.p.root, 'nothing') });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--power: .*nothing does not exist/);
  }, 900_000);
});
