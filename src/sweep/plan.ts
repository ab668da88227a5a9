/**
 * The steps of a sweep per design, and the job script of each (design, step). A script runs one
 * step in the design's project, writes its output to logs/<design>/<step>.log, and ends by writing
 * its exit record state/<design>/<step>.json atomically (temp file + mv). The same scripts run
 * under Slurm (through one array script per step) and in the local pool.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { designKernels, type Design } from '../design/design.js';
import { packageRoot } from '../util/paths.js';
import type { SweepResources, SweepTarget, SweepTask } from './sweepfile.js';

export interface StepSpec {
  step: string;
  after: string[];
  /** the command, as argv, run in the project directory */
  argv: (ctx: StepContext) => string[];
}

export interface StepContext {
  project: string; // absolute
  ubimoe: string[]; // node + bin/ubimoe.js
  checkpoint?: string;
  input?: string;
  makeJobs: number;
}

const make = (target: string, vars: Record<string, string>) => [
  'make',
  target,
  ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
];

/** The steps a target needs for one design, in dependency order. */
export function stepsFor(target: SweepTarget, design: Design): StepSpec[] {
  if (target === 'csim')
    return [
      {
        step: 'csim',
        after: [],
        // accuracy against the reference model (reports/accuracy.json) and the timed csim's
        // cycles (reports/cycles.json) in one run
        argv: (c) => [
          ...c.ubimoe,
          'csim',
          '--project',
          c.project,
          '--checkpoint',
          c.checkpoint!,
          '--input',
          c.input!,
          '-o',
          join(c.project, 'reports', 'csim-output.npy'),
          '--cycles',
        ],
      },
    ];
  const vars = (c: StepContext) => ({ TARGET: 'hw', JOBS: String(c.makeJobs) });
  const kernels = designKernels(design);
  const steps: StepSpec[] = kernels.map((k) => ({
    step: `csynth-${k}`,
    after: [],
    argv: (c) => make(`csynth-${k}`, vars(c)),
  }));
  if (target === 'csynth') return steps;
  steps.push(
    ...kernels.map((k) => ({
      step: `xo-${k}`,
      after: [`csynth-${k}`],
      argv: (c: StepContext) => make(`xo-${k}`, vars(c)),
    })),
  );
  if (target === 'xo') return steps;
  steps.push({
    step: 'link-hw',
    after: kernels.map((k) => `xo-${k}`),
    argv: (c) => make('xclbin', vars(c)),
  });
  steps.push({ step: 'host', after: [], argv: (c) => make('host', vars(c)) });
  if (design.board.flow === 'vitis-embedded')
    steps.push({ step: 'package-hw', after: ['link-hw', 'host'], argv: (c) => make('package', vars(c)) });
  return steps;
}

export const taskPaths = (design: string, step: string) => ({
  script: `jobs/${design}/${step}.sh`,
  log: `logs/${design}/${step}.log`,
  record: `state/${design}/${step}.json`,
  started: `state/${design}/${step}.started`,
});

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The node and CLI a job runs: this very installation (the sweep directory must see it too). */
export function ubimoeArgv(): string[] {
  return [process.execPath, join(packageRoot, 'bin', 'ubimoe.js')];
}

/** Writes the job script of one task; returns its text. */
export function writeTaskScript(dir: string, task: SweepTask, argv: string[], project: string): string {
  const p = taskPaths(task.design, task.step);
  const text = `#!/bin/bash
# ubimoe sweep task ${task.id}: runs one step in ${project}
# output -> ${p.log}; exit record (written last, atomically) -> ${p.record}
set -u
DIR=${q(dir)}
mkdir -p "$DIR/${dirname(p.log)}" "$DIR/${dirname(p.record)}"
rm -f "$DIR/${p.record}"
date -u +%Y-%m-%dT%H:%M:%S.%3NZ > "$DIR/${p.started}"
cd ${q(project)} || exit 1
${argv.map(q).join(' ')} > "$DIR/${p.log}" 2>&1 </dev/null
rc=$?
printf '{"exit_code": %d, "finished_at": "%s", "host": "%s"}\\n' "$rc" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$(hostname -s)" > "$DIR/${p.record}.tmp.$$"
mv -f "$DIR/${p.record}.tmp.$$" "$DIR/${p.record}"
exit $rc
`;
  const path = join(dir, p.script);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return text;
}

/**
 * The Slurm array script of one step: array index i runs jobs/d<i>/<step>.sh. Its #SBATCH lines
 * hold the resources, so it can also be submitted by hand (sbatch --array=0-2 jobs/<step>.array.sh).
 */
export function writeArrayScript(dir: string, step: string, res: SweepResources): string {
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=ubimoe-${step}`,
    `#SBATCH --output=${join(dir, 'logs', 'slurm', `${step}-%A_%a.out`)}`,
    `#SBATCH --cpus-per-task=${res.cpus}`,
    ...(res.mem ? [`#SBATCH --mem=${res.mem}`] : []),
    ...(res.time ? [`#SBATCH --time=${res.time}`] : []),
    ...(res.partition ? [`#SBATCH --partition=${res.partition}`] : []),
    `# ubimoe sweep: step ${step}; the array index is the design's index`,
    `exec /bin/bash "${dir}/jobs/d$(printf %02d "$SLURM_ARRAY_TASK_ID")/${step}.sh"`,
    '',
  ];
  const path = join(dir, 'jobs', `${step}.array.sh`);
  mkdirSync(dirname(path), { recursive: true });
  mkdirSync(join(dir, 'logs', 'slurm'), { recursive: true }); // slurmd fails a job whose --output it cannot open
  writeFileSync(path, lines.join('\n'));
  chmodSync(path, 0o755);
  return path;
}
