/**
 * `ubimoe csim --cycles` as a user runs it (the built CLI): the timed C-simulation of a micro
 * project (hls/csim/README.md "Timed C-simulation"), reports/cycles.json against the runner's
 * own accounting and the cost model evaluated with each image's routing, the same outputs bit for
 * bit as the plain run, separate cached builds, and a FIFO deadlock reported (exit 1, the streams
 * named). Nothing here depends on the machine's speed: cycle counts are deterministic.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProject } from '../../src/driver/project.js';
import { estimateDesign } from '../../src/design/estimate.js';
import { COST } from '../../src/kernels/costConstants.js';
import { readNpy } from '../../src/io/npy.js';
import { CSIM_CACHE } from '../csim/harness.js';
import { writeDeadlockedCopy } from './deadlock.js';
import { runCli, writeMicroSetup } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);

const ubimoe = (args: string[]) => runCli(args, { env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE } });

const csimArgs = (project: string, out: string, experts: string, more: string[] = []) => [
  'csim',
  '--project',
  at(project),
  '--checkpoint',
  at('micro.safetensors'),
  '--input',
  at('images.npy'),
  '-o',
  at(out),
  '--experts',
  at(experts),
  '--task',
  '1',
  '--no-reference',
  ...more,
];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-cycles-'));
  writeMicroSetup(tmp, 2, 21, 3);
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The cycles of one stage of one kernel, summed over the image's calls of it.
const sumStage = (img: Cycles['per_image'][number], kernel: string, stage: string) =>
  img.calls
    .filter((c) => c.kernel === kernel)
    .flatMap((c) => c.stages.filter((s) => s.name === stage))
    .reduce((a, s) => a + s.cycles, 0);

interface Cycles {
  format: string;
  clock_mhz: number;
  design_hash: string;
  per_image: Array<{
    total_cycles: number;
    kernels: Record<string, number>;
    calls: Array<{
      kernel: string;
      cycles: number;
      stages: Array<{ name: string; calls: number; cycles: number }>;
      regions: Array<{
        name: string;
        calls: number;
        cycles: number;
        processes: Array<{ name: string; calls: number; busy: number; stall: number }>;
        streams: Array<{ name: string; depth: number; writes: number; max_occupancy: number }>;
      }>;
    }>;
  }>;
  predicted: {
    per_image: Array<{
      total_cycles: number;
      kernels: Record<string, number>;
      parts: Record<string, Record<string, number>>;
      tokens_per_expert: number[][];
    }>;
  };
}

describe('ubimoe csim --cycles', () => {
  let plain: ReturnType<typeof ubimoe>;
  let timed: ReturnType<typeof ubimoe>;
  beforeAll(() => {
    plain = ubimoe(csimArgs('proj', 'plain.npy', 'plain-experts.npy'));
    timed = ubimoe(csimArgs('proj', 'timed.npy', 'timed-experts.npy', ['--cycles']));
  }, 900_000);

  test('the same tokens and expert choices, bit for bit, as without --cycles', () => {
    expect(`${plain.code} ${plain.stderr}`).toMatch(/^0 /);
    expect(`${timed.code} ${timed.stderr}`).toMatch(/^0 /);
    expect(readFileSync(at('timed.npy')).equals(readFileSync(at('plain.npy')))).toBe(true);
    expect(readFileSync(at('timed-experts.npy')).equals(readFileSync(at('plain-experts.npy')))).toBe(true);
  });

  test('reports/cycles.json: one entry per image, kernel calls in the host order, totals = sums', () => {
    const c = JSON.parse(readFileSync(at('proj/reports/cycles.json'), 'utf8')) as Cycles;
    const { design } = openProject(at('proj'));
    expect(c.format).toBe('ubimoe-cycles/1');
    expect(c.clock_mhz).toBe(design.shared.clockMhz);
    expect(c.design_hash).toBe(openProject(at('proj')).designHash);
    expect(c.per_image).toHaveLength(2);
    const order = ['patch_embed'];
    for (let b = 0; b < design.dims.depth; b++) order.push('msa_block', 'ffn_block');
    for (const img of c.per_image) {
      expect(img.calls.map((k) => k.kernel)).toEqual(order);
      for (const call of img.calls) {
        expect(call.cycles).toBeGreaterThan(0);
        // every call starts with the kernel's start overhead (the cost model's constant), then its stages
        expect(call.stages[0]).toEqual({ name: 'start', calls: 1, cycles: COST.KERNEL_START_CYCLES });
        for (const r of call.regions) {
          expect(r.cycles).toBeGreaterThan(0);
          expect(r.cycles).toBeLessThanOrEqual(call.cycles);
          for (const p of r.processes) {
            expect(p.busy).toBeGreaterThan(0);
            expect(p.stall).toBeGreaterThanOrEqual(0);
            // a process ends within its region's calls
            expect(p.busy + p.stall).toBeLessThanOrEqual(r.cycles);
          }
          for (const s of r.streams) {
            expect(s.writes).toBeGreaterThan(0);
            expect(s.max_occupancy).toBeGreaterThan(0);
            expect(s.max_occupancy).toBeLessThanOrEqual(s.depth);
          }
        }
      }
      const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
      expect(img.total_cycles).toBe(sum(img.calls.map((k) => k.cycles)));
      expect(img.total_cycles).toBe(sum(Object.values(img.kernels)));
      for (const [k, v] of Object.entries(img.kernels))
        expect(v).toBe(sum(img.calls.filter((x) => x.kernel === k).map((x) => x.cycles)));
      // the regions each kernel runs (the engine's reader and compute process; attention groups)
      const regions = (k: string) =>
        new Set(img.calls.filter((x) => x.kernel === k).flatMap((x) => x.regions.map((r) => r.name)));
      expect(regions('patch_embed')).toEqual(new Set(['pe_inputs', 'pe_engine']));
      // patch_embed (issue 13 item 7): the token rows are read beside the pixel gather (the
      // region ends before the two processes' busy cycles added up), the position add rides on
      // the linear's drain, so after the linear only the write is left
      const pe = img.calls[0];
      expect(pe.stages.map((st) => st.name)).toEqual(['start', 'inputs', 'linear', 'write']);
      const inputs = pe.regions.find((r) => r.name === 'pe_inputs')!;
      expect(inputs.processes.map((p) => p.name).sort()).toEqual(['gather_patches', 'position_rows']);
      expect(inputs.cycles).toBeLessThan(inputs.processes.reduce((a, p) => a + p.busy, 0));
      expect(regions('msa_block')).toEqual(new Set(['layernorm', 'msa_step']));
      // msa_block's msa_step region (called three times: the qkv passes beside the attention of
      // every head but the last, then the last head's attention beside proj over the other heads'
      // columns, then proj over the last head's): the engine and the attention's five processes;
      // one token per head (none left over in a call); the attention's reader takes a head before
      // the engine has drained the last one (the head tokens never all wait in their FIFO at once,
      // as they would if the attention started after every qkv pass)
      for (const call of img.calls.filter((x) => x.kernel === 'msa_block')) {
        const step = call.regions.find((r) => r.name === 'msa_step')!;
        expect(step.calls).toBe(3);
        expect(step.processes.map((p) => p.name)).toEqual([
          'engine_read',
          'msa_compute',
          'attention_reader',
          'attention_scores',
          'attention_softmax',
          'attention_av',
          'attention_finish',
        ]);
        const ready = step.streams.find((s) => s.name === 'msa_heads_ready')!;
        expect(ready.writes).toBe(design.dims.heads);
        expect(ready.max_occupancy).toBeLessThan(ready.writes);
      }
      expect(regions('ffn_block')).toEqual(new Set(['layernorm', 'ffn_engine']));
      // the streaming LayerNorm (layernorm.h): x read and normalised by six processes whose rows
      // overlap (the region ends before half their busy cycles added up)
      for (const call of img.calls.filter((x) => x.kernel !== 'patch_embed')) {
        const ln = call.regions.find((r) => r.name === 'layernorm')!;
        expect(ln.processes.map((p) => p.name)).toEqual(['read_rows', 'ln_split', 'ln_mean', 'ln_var', 'ln_rsqrt', 'ln_out']);
        expect(2 * ln.cycles).toBeLessThan(ln.processes.reduce((a, p) => a + p.busy, 0));
      }
    }
  });

  test('predicted: the cost model with the routing each image had (counted from its expert choices)', () => {
    const c = JSON.parse(readFileSync(at('proj/reports/cycles.json'), 'utf8')) as Cycles;
    const { design } = openProject(at('proj'));
    const { dims } = design;
    const experts = readNpy(at('timed-experts.npy'));
    const nMoe = dims.moeBlocks.filter(Boolean).length;
    expect(experts.shape).toEqual([2, nMoe, dims.numTokens, dims.topK]);
    const choices = experts.data as Int32Array;
    const per = dims.numTokens * dims.topK;
    expect(c.predicted.per_image).toHaveLength(2);
    c.predicted.per_image.forEach((p, b) => {
      const counts = Array.from({ length: nMoe }, (_, m) => {
        const row = new Array<number>(dims.experts).fill(0);
        for (let i = 0; i < per; i++) row[choices[(b * nMoe + m) * per + i]]++;
        return row;
      });
      expect(p.tokens_per_expert).toEqual(counts);
      const e = estimateDesign(design, { routing: { tokensPerExpert: counts } });
      for (const k of e.kernels) {
        expect(p.kernels[k.name]).toBeCloseTo(k.cycles, 6);
        expect(p.parts[k.name]).toEqual(k.parts);
      }
      expect(p.total_cycles).toBeCloseTo(e.latencyCycles, 6);
    });
  });

  // docs/cost-model.md, "Corrections from the timed C-simulation": the model prices what the
  // kernels' loops do, so per image every kernel and the total agree within ±10%
  test('model against simulation: every kernel and the total within ±10% of the simulated cycles, per image', () => {
    const c = JSON.parse(readFileSync(at('proj/reports/cycles.json'), 'utf8')) as Cycles;
    expect(c.per_image).toHaveLength(2);
    c.per_image.forEach((img, b) => {
      const p = c.predicted.per_image[b];
      for (const k of ['patch_embed', 'msa_block', 'ffn_block']) {
        const ratio = img.kernels[k] / p.kernels[k];
        expect([k, ratio >= 0.9 && ratio <= 1.1]).toEqual([k, true]);
      }
      const total = img.total_cycles / p.total_cycles;
      expect(total).toBeGreaterThanOrEqual(0.9);
      expect(total).toBeLessThanOrEqual(1.1);
      // the attention (its own formula, msa_block.ts attentionCycles) agrees much closer: a stage
      // the kernel adds or drops (an unpipelined loop, a stage that stops overlapping) shows here
      for (const stage of ['qkv_attention', 'last_head']) {
        const attention = sumStage(img, 'msa_block', stage) / p.parts.msa_block[stage];
        expect([stage, attention > 0.97 && attention < 1.03, attention]).toEqual([stage, true, attention]);
      }
    });
  });

  test('prints simulated, predicted and their ratio per kernel and stage', () => {
    expect(timed.stdout).toMatch(/^kernel +stage +simulated +predicted +ratio$/m);
    const c = JSON.parse(readFileSync(at('proj/reports/cycles.json'), 'utf8')) as Cycles;
    const mean = (f: (i: number) => number) => (f(0) + f(1)) / 2;
    for (const k of ['patch_embed', 'msa_block', 'ffn_block']) {
      const s = Math.round(mean((i) => c.per_image[i].kernels[k]));
      const p = mean((i) => c.predicted.per_image[i].kernels[k]);
      const row = new RegExp(`^${k} +\\(all calls\\) +${s} +${Math.round(p)} +${(s / p).toFixed(2)}$`, 'm');
      expect(timed.stdout).toMatch(row);
    }
    // a stage both sides price, and one only the simulation has
    expect(timed.stdout).toMatch(/^ +layernorm +\d+ +\d+ +\d+\.\d\d$/m);
    expect(timed.stdout).toMatch(/^ +gate_logits +\d+ +- +-$/m);
    expect(timed.stdout).toMatch(/^total +\d+ +\d+ +\d+\.\d\d$/m);
    expect(timed.stdout).toMatch(/^image 1: simulated \d+, predicted \d+, ratio \d+\.\d\d$/m);
    expect(timed.stdout).toMatch(/wrote .*reports\/cycles\.json/);
  });

  test('the timed build is cached apart from the plain one; the plain runner refuses --cycles', () => {
    const again = (more: string[]) => ubimoe(csimArgs('proj', 'again.npy', 'again-experts.npy', more));
    const hash = (r: ReturnType<typeof ubimoe>) => /csim: using cached build (\w+)/.exec(r.stderr)?.[1];
    const p = again([]);
    const t = again(['--cycles']);
    expect(p.code).toBe(0);
    expect(t.code).toBe(0);
    expect(hash(p)).toBeDefined();
    expect(hash(t)).toBeDefined();
    expect(hash(p)).not.toBe(hash(t));
    const runner = spawnSync(join(CSIM_CACHE, hash(p)!, 'csim_main'), [
      '--weights',
      'w',
      '--input',
      'x',
      '--output',
      'y',
      '--cycles',
      at('c.json'),
    ]);
    expect(runner.status).toBe(2);
    expect(runner.stderr.toString()).toMatch(/--cycles needs the timed C-simulation/);
  }, 900_000);
});

// attention.h's reader at 16 columns a cycle (tile_out 16): 8-row query groups and ONE block of all
// 17 keys, so the last query group (17 % 8 = 1 row) waits for the group before it and the flush
// after the last row (30 steps) outlasts the block's 16 columns (latency.ts attentionReaderPlan)
const READER_DESIGN = `format: ubimoe-design/1
model: micro
board: zcu102
clock_mhz: 300
axi_width_bits: 128
stream_depth: 32
precision: w16a32
kernels:
  patch_embed: { tile_in: 4, tile_out: 16 }
  msa_block: { tile_in: 16, tile_out: 16, token_lanes: 1, q_parallel: 8, key_block: 17 }
  ffn_block: { tile_in: 4, tile_out: 16, token_lanes: 1 }
`;

describe('the attention reader with a waiting query group and a long flush', () => {
  let plain: ReturnType<typeof ubimoe>;
  let timed: ReturnType<typeof ubimoe>;
  beforeAll(() => {
    writeFileSync(at('reader.yaml'), READER_DESIGN);
    expect(ubimoe(['generate', '--design', at('reader.yaml'), '-o', at('reader')]).code).toBe(0);
    // the same design with one query row per group: the same arithmetic (query rows are independent),
    // no waiting group, a flush of 16 steps
    writeFileSync(at('reader1.yaml'), READER_DESIGN.replace('q_parallel: 8', 'q_parallel: 1'));
    expect(ubimoe(['generate', '--design', at('reader1.yaml'), '-o', at('reader1')]).code).toBe(0);
    expect(ubimoe(csimArgs('reader1', 'reader1.npy', 'reader1-experts.npy')).code).toBe(0);
    plain = ubimoe(csimArgs('reader', 'reader-plain.npy', 'reader-plain-experts.npy'));
    timed = ubimoe(csimArgs('reader', 'reader-timed.npy', 'reader-timed-experts.npy', ['--cycles']));
  }, 900_000);

  test('runs (no FIFO deadlock), the same tokens as with one query row per group and as the plain C-simulation, the attention within ±3% of the model', () => {
    expect([plain.code, plain.stderr]).toEqual([0, plain.stderr]);
    expect([timed.code, timed.stderr]).toEqual([0, timed.stderr]);
    expect(readFileSync(at('reader-plain.npy'))).toEqual(readFileSync(at('reader1.npy')));
    expect(readFileSync(at('reader-timed.npy'))).toEqual(readFileSync(at('reader-plain.npy')));
    const c = JSON.parse(readFileSync(at('reader/reports/cycles.json'), 'utf8')) as Cycles;
    c.per_image.forEach((img, b) => {
      const attention =
        sumStage(img, 'msa_block', 'qkv_attention') / c.predicted.per_image[b].parts.msa_block.qkv_attention;
      expect([attention > 0.97 && attention < 1.03, attention]).toEqual([true, attention]);
    });
  });
});

describe('a FIFO deadlock', () => {
  // a copy of the project edited so that it deadlocks (test/cli/deadlock.ts): plain csim would
  // still run; the hardware, and the timed C-simulation, cannot
  test('is reported: exit 1, the region, processes and streams with their depths named, no outputs', () => {
    writeDeadlockedCopy(at('proj'), at('stuck'));
    const r = ubimoe(csimArgs('stuck', 'stuck.npy', 'stuck-experts.npy', ['--cycles']));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ubimoe: ubimoe timed csim: deadlock in dataflow region 'pe_engine' \(kernel 'patch_embed'\)/m,
    );
    expect(r.stderr).toMatch(
      /process 'pe_compute' waits to read element 0 of stream 'pe_passes' \(depth 2\)/,
    );
    expect(r.stderr).toMatch(
      /process 'engine_read' waits to write element 2 of stream 'pe_weight_tiles' \(depth 2\)/,
    );
    expect(r.stderr).toMatch(
      /cycle: 'engine_read' -> 'pe_compute' -> 'engine_read'|cycle: 'pe_compute' -> 'engine_read' -> 'pe_compute'/,
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).not.toMatch(/wrote/);
    expect(existsSync(at('stuck.npy'))).toBe(false);
  }, 900_000);
});

describe('a token left in a FIFO', () => {
  // a copy of the project whose msa_block sends a head token after its LAST qkv pass too (the
  // attention of that call never reads it): the hardware would keep it for the region's next call,
  // where the reader would take the last head before its token; ubimoe's csim stops on it
  test('is reported: exit 1, the stream named, no JS stack, no outputs', () => {
    cpSync(at('proj'), at('leftover'), { recursive: true });
    const kernel = join(at('leftover'), 'kernels', 'msa_block.cpp');
    const src = readFileSync(kernel, 'utf8');
    const edited = src.replace('d.tag == QKV_PASS && p + 1 < H', 'd.tag == QKV_PASS');
    expect(edited).not.toBe(src);
    writeFileSync(kernel, edited);
    const r = ubimoe(csimArgs('leftover', 'leftover.npy', 'leftover-experts.npy'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ubimoe csim: hls::stream 'msa_heads_ready': 1 element\(s\) left when it went out of scope/m,
    );
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(at('leftover.npy'))).toBe(false);
  }, 900_000);
});
