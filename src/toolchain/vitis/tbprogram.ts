/**
 * The g++ test bench: runner/csim_main.cpp compiled with g++ against the project's own csim/
 * headers (even where Vitis is installed: its golden output is the g++ C-simulation's), run with
 * its output logged to a file.
 */
import { execa } from 'execa';
import { buildCsim, type CsimBuild } from '../csim.js';
import { writeFileAtomic } from '../../util/atomic.js';

export function buildTestbenchProgram(projectDir: string): Promise<CsimBuild> {
  return buildCsim(projectDir, { main: 'csim_main', projectTypes: true });
}

/** Runs the test bench program with `args`, its stdout and stderr to `log`; resolves with its exit code. */
export async function runTestbenchProgram(exe: string, args: string[], log: string): Promise<number> {
  const r = await execa(exe, args, { all: true, reject: false, stdin: 'ignore' });
  const code = typeof r.exitCode === 'number' ? r.exitCode : 1;
  const how = r.signal ? `killed by ${r.signal}` : `exit ${code}`;
  writeFileAtomic(log, `# ${exe} ${args.join(' ')}\n${r.all ?? ''}\n# ${how}\n`);
  return r.signal ? 1 : code;
}
