/**
 * Lays a sweep out in DIR: the designs (the N best distinct designs of the search's Pareto front,
 * or the given design files), one generated project per design in designs/dNN, the csim inputs,
 * one job script per (design, step) and one Slurm array script per step, and sweep.json.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadBoard } from '../board/load.js';
import { designFor } from '../commands/generate.js';
import { resolveDesign, type Design } from '../design/design.js';
import { estimateDesign } from '../design/estimate.js';
import { validateDesign } from '../design/validate.js';
import { generateProject } from '../generate/project.js';
import { writeNpy } from '../io/npy.js';
import { synthCheckpoint, writeCheckpoint } from '../model/checkpoint.js';
import { loadModel } from '../model/config.js';
import { Rng } from '../model/prng.js';
import { UserError } from '../util/errors.js';
import { runSearch } from '../../search/index.js';
import { objectiveValue } from '../../search/objective.js';
import type { Objective } from '../../search/space.js';
import { stepsFor, taskPaths, ubimoeArgv, writeArrayScript, writeTaskScript } from './plan.js';
import type {
  SchedulerName,
  SweepDesign,
  SweepFile,
  SweepResources,
  SweepTarget,
  SweepTask,
} from './sweepfile.js';

export interface CreateOptions {
  model: string;
  board: string;
  top?: number;
  objective: Objective;
  designs?: string[];
  target: SweepTarget;
  scheduler: SchedulerName;
  resources: SweepResources;
  checkpoint?: string;
  input?: string;
}

interface Chosen {
  design: Design;
  source: string;
}

/** The N best distinct designs of the search's Pareto front, best first by the objective. */
function frontDesigns(opts: CreateOptions): Chosen[] {
  const model = loadModel(opts.model);
  const board = loadBoard(opts.board);
  const isPath = (s: string) => s.includes('/') || /\.ya?ml$/.test(s);
  const r = runSearch({
    model,
    modelRef: isPath(opts.model) ? (model as unknown as Record<string, unknown>) : opts.model,
    board,
    boardRef: isPath(opts.board) ? (board as unknown as Record<string, unknown>) : opts.board,
    objective: opts.objective,
    seed: 1,
  });
  const sign = opts.objective === 'latency' ? 1 : -1; // latency: smaller is better; the others larger
  const ranked = [...r.front].sort(
    (a, b) =>
      sign * (objectiveValue(opts.objective, a.evaluated) - objectiveValue(opts.objective, b.evaluated)),
  );
  const seen = new Set<string>();
  const out: Chosen[] = [];
  for (const f of ranked) {
    const key = stringify(f.designFile);
    if (seen.has(key)) continue;
    seen.add(key);
    const design = resolveDesign(
      {
        ...f.designFile,
        board: isPath(opts.board) ? (board as unknown as Record<string, unknown>) : opts.board,
      },
      'searched design',
    );
    validateDesign(design);
    out.push({
      design,
      source: `search Pareto front #${out.length + 1} (objective ${opts.objective}: ${objectiveValue(opts.objective, f.evaluated).toPrecision(5)})`,
    });
    if (out.length === opts.top) break;
  }
  if (out.length < opts.top!)
    process.stderr.write(
      `note: the Pareto front holds ${out.length} distinct designs, fewer than --top ${opts.top}\n`,
    );
  return out;
}

function chooseDesigns(opts: CreateOptions): Chosen[] {
  if (opts.designs?.length)
    return opts.designs.map((f) => {
      if (!existsSync(f)) throw new UserError(`--designs ${f}: no such file`);
      return { design: designFor({ design: f, model: opts.model, board: opts.board }), source: f };
    });
  return frontDesigns(opts);
}

/** A seeded synthetic checkpoint and one image, when --checkpoint/--input are not given. */
function csimInputs(dir: string, opts: CreateOptions): SweepFile['csim_inputs'] {
  if (opts.target !== 'csim') return null;
  if (Boolean(opts.checkpoint) !== Boolean(opts.input))
    throw new UserError('give both --checkpoint and --input, or neither (a synthetic checkpoint and image)');
  if (opts.checkpoint && opts.input) {
    for (const [flag, f] of [
      ['--checkpoint', opts.checkpoint],
      ['--input', opts.input],
    ])
      if (!existsSync(f)) throw new UserError(`${flag} ${f}: no such file`);
    return { checkpoint: opts.checkpoint, input: opts.input, synthetic: false };
  }
  const model = loadModel(opts.model);
  const checkpoint = join(dir, 'inputs', 'checkpoint.safetensors');
  const input = join(dir, 'inputs', 'image.npy');
  writeCheckpoint(checkpoint, synthCheckpoint(model, 1), {
    format: 'pt',
    ubimoe_model: model.name,
    ubimoe_seed: '1',
  });
  const rng = new Rng(7);
  const shape = [1, model.in_chans, model.img_h, model.img_w];
  writeNpy(
    input,
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
  );
  return { checkpoint: 'inputs/checkpoint.safetensors', input: 'inputs/image.npy', synthetic: true };
}

export function createSweep(dir: string, opts: CreateOptions): SweepFile {
  const chosen = chooseDesigns(opts);
  if (!chosen.length) throw new UserError('no design to sweep');
  const inputs = csimInputs(dir, opts);
  const abs = (p: string) => (p.startsWith('/') ? p : join(dir, p));
  const designs: SweepDesign[] = [];
  const tasks: SweepTask[] = [];
  const steps = new Set<string>();
  chosen.forEach((c, index) => {
    const name = `d${String(index).padStart(2, '0')}`;
    const project = `designs/${name}`;
    const g = generateProject(c.design, join(dir, project));
    const e = estimateDesign(c.design);
    designs.push({
      name,
      project,
      source: c.source,
      design_hash: g.manifest.design_hash,
      predicted: { latency_ms: Number(e.latencyMs.toPrecision(6)), fits: e.fits },
    });
    for (const s of stepsFor(opts.target, c.design)) {
      const p = taskPaths(name, s.step);
      const task: SweepTask = {
        id: `${name}/${s.step}`,
        design: name,
        index,
        step: s.step,
        after: s.after,
        script: p.script,
        log: p.log,
        scheduler: null,
        job_id: null,
        state: 'pending',
        reason: null,
        exit_code: null,
        attempts: 0,
        submitted_at: null,
        started_at: null,
        finished_at: null,
        seconds: null,
      };
      const argv = s.argv({
        project: join(dir, project),
        ubimoe: ubimoeArgv(),
        checkpoint: inputs ? abs(inputs.checkpoint) : undefined,
        input: inputs ? abs(inputs.input) : undefined,
        makeJobs: opts.resources.cpus,
      });
      writeTaskScript(dir, task, argv, join(dir, project));
      tasks.push(task);
      steps.add(s.step);
    }
  });
  for (const s of steps) writeArrayScript(dir, s, opts.resources);
  // tasks in dependency order: by step order of the plan, then design
  const order = [...steps];
  tasks.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step) || a.index - b.index);
  return {
    format: 'ubimoe-sweep/1',
    model: chosen[0].design.model.name,
    board: chosen[0].design.board.name,
    target: opts.target,
    scheduler: opts.scheduler,
    resources: opts.resources,
    csim_inputs: inputs,
    driver: null,
    designs,
    tasks,
    results: null,
  };
}
