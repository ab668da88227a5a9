/**
 * Slurm through its command-line tools: sbatch (arrays, dependencies), squeue and scontrol for the
 * state (sacct only when the cluster keeps accounting; a one-node test cluster has none), scancel.
 */
import { spawnSync } from 'node:child_process';
import { ToolError, UserError } from '../util/errors.js';

export interface SlurmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function slurm(cmd: string, args: string[]): SlurmRun {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new UserError(
      `${cmd} not found: --scheduler slurm needs the Slurm client tools on PATH (or use --scheduler local; a test cluster: npm run slurm:up)`,
    );
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function failed(what: string, r: SlurmRun): never {
  throw new ToolError(
    `${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`,
  );
}

/** Checks the controller answers (before anything is generated or submitted). */
export function checkSlurm(): void {
  const r = slurm('sinfo', ['-h', '-o', '%P %a']);
  if (r.code !== 0)
    throw new ToolError(
      `sinfo failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join('; ')} (is slurmctld running and SLURM_CONF right? a test cluster: npm run slurm:up)`,
    );
}

/** Submits an array job; returns its job id. */
export function sbatchArray(script: string, indices: number[], dependsOn: string[]): string {
  const args = ['--parsable', `--array=${indices.join(',')}`];
  if (dependsOn.length) args.push(`--dependency=aftercorr:${dependsOn.join(':')}`);
  args.push(script);
  const r = slurm('sbatch', args);
  if (r.code !== 0) failed(`sbatch ${args.join(' ')}`, r);
  const id = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new ToolError(`sbatch printed '${r.stdout.trim()}', not a job id`);
  return id;
}

export interface SlurmTaskState {
  state: string; // PENDING, RUNNING, COMPLETED, CANCELLED, ...
  reason: string;
}

/** Every array task squeue knows, by "<jobid>_<index>" (squeue -r lists array tasks one by one). */
export function squeueStates(): Map<string, SlurmTaskState> {
  const r = slurm('squeue', ['-h', '-r', '-o', '%i|%T|%r']);
  if (r.code !== 0) failed('squeue', r);
  const out = new Map<string, SlurmTaskState>();
  for (const line of r.stdout.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (id && state) out.set(id, { state, reason: reason ?? '' });
  }
  return out;
}

/**
 * What scontrol still remembers of an array job's tasks (ended tasks stay for MinJobAge), by
 * "<jobid>_<index>". A task it no longer knows is absent.
 */
export function scontrolStates(arrayJobId: string): Map<string, SlurmTaskState & { exit: string }> {
  const out = new Map<string, SlurmTaskState & { exit: string }>();
  const r = slurm('scontrol', ['-o', 'show', 'job', arrayJobId]);
  if (r.code !== 0) return out; // "Invalid job id specified": purged
  for (const line of r.stdout.split('\n')) {
    const f = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1];
    const task = f('ArrayTaskId');
    const state = f('JobState');
    if (!task || !state || !/^\d+$/.test(task)) continue;
    out.set(`${f('ArrayJobId') ?? arrayJobId}_${task}`, {
      state,
      reason: f('Reason') ?? '',
      exit: f('ExitCode') ?? '',
    });
  }
  return out;
}

/** sacct's state of one task, where the cluster keeps accounting (null elsewhere). */
export function sacctState(jobId: string): string | null {
  const r = slurm('sacct', ['-n', '-X', '-P', '-o', 'State', '-j', jobId]);
  if (r.code !== 0) return null;
  const s = r.stdout.trim().split('\n')[0]?.trim();
  return s ? s.split(' ')[0] : null;
}

/** Cancels the given tasks ("<jobid>_<index>"); unknown or ended ones are ignored. */
export function scancel(jobIds: string[]): void {
  if (!jobIds.length) return;
  slurm('scancel', ['--quiet', ...jobIds]);
}
