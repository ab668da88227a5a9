/**
 * Runs a project's file-based csim runner (runner/csim_main.cpp) on a batch: packs nothing and
 * compiles nothing itself (see pack.ts, csim.ts); writes the input as float32 .npy in a temporary
 * directory, runs the runner, reads tokens and expert choices back.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Design } from '../design/design.js';
import { decodeNpy, encodeNpy } from '../io/npy.js';
import { removeOnInterrupt } from '../util/interrupt.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ToolError, UserError } from '../util/errors.js';
import { parseSaturation, type Saturation } from './saturation.js';

export interface CsimRunOptions {
  exe: string; // the built runner
  design: Design;
  weights: string; // packed weights file
  input: Float32Array; // images [B, C, H, W] or tokens [B, N, D]
  batch: number;
  tokens: boolean; // input is tokens
  task: number;
  onImage?: (index: number, wallMs: number, cpuMs: number) => void;
  /** A timed build (buildCsim `timed`): its simulated cycles come back as `cycles` (ubimoe-cycles/1). */
  cycles?: boolean;
}

export interface CsimRunResult {
  tokens: Float32Array; // [B, N, D]
  experts: Int32Array; // [B, moe_blocks, N, top_k], best first
  wallMsPerImage: number;
  cpuMsPerImage: number;
  runnerLog: string[]; // the runner's other stderr lines (e.g. the stream report with UBIMOE_STREAM_REPORT)
  saturations: Saturation[]; // the values that saturated in the datapath, per format (ubimoe csim headers)
  cycles?: unknown; // with `cycles`: the runner's ubimoe-cycles/1 JSON, parsed
}

export async function runCsim(o: CsimRunOptions): Promise<CsimRunResult> {
  const { dims, model } = o.design;
  const shape = o.tokens
    ? [o.batch, dims.numTokens, dims.D]
    : [o.batch, model.in_chans, model.img_h, model.img_w];
  const dir = mkdtempSync(join(tmpdir(), 'ubimoe-csim-'));
  const unregister = removeOnInterrupt(dir); // Ctrl-C mid-run leaves no input copy behind
  try {
    const inPath = join(dir, 'input.npy');
    const outPath = join(dir, 'tokens.npy');
    const expPath = join(dir, 'experts.npy');
    const cyclesPath = join(dir, 'cycles.json');
    writeFileAtomic(inPath, encodeNpy(shape, o.input));
    const args = [
      '--weights',
      o.weights,
      '--input',
      inPath,
      '--output',
      outPath,
      '--experts',
      expPath,
      '--task',
      String(o.task),
    ];
    if (o.tokens) args.push('--tokens');
    if (o.cycles) args.push('--cycles', cyclesPath);
    const wall: number[] = [];
    const cpu: number[] = [];
    const other: string[] = [];
    const saturations: Saturation[] = [];
    let pending = '';
    const onLine = (line: string) => {
      const saturation = parseSaturation(line);
      if (saturation) {
        saturations.push(saturation);
        return;
      }
      const m = /^csim: image (\d+): ([\d.]+) ms \(([\d.]+) ms cpu\)/.exec(line);
      if (!m) {
        if (line.trim()) other.push(line);
        return;
      }
      wall.push(Number(m[2]));
      cpu.push(Number(m[3]));
      o.onImage?.(Number(m[1]), Number(m[2]), Number(m[3]));
    };
    const proc = execa(o.exe, args, { reject: false, stderr: 'pipe', stdout: 'ignore' });
    proc.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    const r = await proc;
    onLine(pending);
    // the timed C-simulation found a deadlock (or a misuse of the timing statements): its message
    const timed = other.findIndex((l) => l.startsWith('ubimoe timed csim: '));
    if (r.exitCode === 1 && timed >= 0) throw new ToolError(other.slice(timed).join('\n'));
    if (r.exitCode !== 0) {
      if (r.exitCode === 2) throw new UserError(`csim runner: ${(other.pop() ?? '').replace(/^csim_main: /, '')}`);
      // the kernels' own failure (a stream read empty or left holding data: hls/csim) or a crash:
      // the runner's last lines, from its first `ubimoe csim:` message if it printed one
      const csim = other.findIndex((l) => l.startsWith('ubimoe csim: '));
      const tail = csim >= 0 ? other.slice(csim) : other.slice(-10);
      throw new ToolError(
        `csim runner ${o.exe} failed (${r.exitCode ?? r.signal})${tail.length ? `:\n${tail.join('\n')}` : ''}`,
      );
    }
    const tokens = decodeNpy(readFileSync(outPath), outPath).data as Float32Array;
    const expertsNpy = decodeNpy(readFileSync(expPath), expPath);
    if (expertsNpy.dtype !== 'int32') throw new Error(`${expPath}: expected int32 expert choices`);
    const experts = expertsNpy.data as Int32Array;
    const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
    const cycles = o.cycles ? (JSON.parse(readFileSync(cyclesPath, 'utf8')) as unknown) : undefined;
    return {
      tokens,
      experts,
      wallMsPerImage: mean(wall),
      cpuMsPerImage: mean(cpu),
      runnerLog: other,
      saturations,
      cycles,
    };
  } finally {
    unregister();
    rmSync(dir, { recursive: true, force: true });
  }
}
