/**
 * The generated hls/<kernel>.tcl scripts, run under plain tclsh with stand-ins for the Vitis HLS
 * commands (test/toolchain/vitis-stubs/stubs.tcl) that check each command's options and record the
 * call sequence. Needs tclsh (`apt-get install tcl`; .ci/run installs it).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TB_ARGV } from '../../src/toolchain/vitis/testbench.js';
import { stubsDir, writeProject } from './project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const tclsh = spawnSync('tclsh', [], { input: 'puts ok' });
if (tclsh.status !== 0) throw new Error('these tests need tclsh on PATH (apt-get install tcl)');

type Call = string[];

function runTcl(script: string, opts: { steps?: string; args?: string[]; cwd?: string } = {}) {
  const trace = `${script}.${Date.now()}.${Math.random().toString(36).slice(2)}.trace`;
  const env: NodeJS.ProcessEnv = { ...process.env, UBIMOE_TCL_TRACE: trace };
  delete env.UBIMOE_STEPS;
  if (opts.steps !== undefined) env.UBIMOE_STEPS = opts.steps;
  const r = spawnSync('tclsh', [join(stubsDir, 'run.tcl'), script, ...(opts.args ?? [])], {
    env,
    encoding: 'utf8',
    cwd: opts.cwd ?? '/',
  });
  const calls: Call[] = existsSync(trace)
    ? readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
    : [];
  rmSync(trace, { force: true });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

const names = (calls: Call[]) => calls.map((c) => c[0]);

describe.each([
  ['u280', 'xcu280-fsvh2892-2L-e', '3.333', '512'],
  ['zcu102', 'xczu9eg-ffvb1156-2-e', '3.333', '128'],
])('hls/<kernel>.tcl for a micro project on %s', (board, part, periodNs, axi) => {
  const { dir } = writeProject('micro', board);
  dirs.push(dir);
  mkdirSync(join(dir, 'tb'), { recursive: true });
  for (const f of ['weights.bin', 'input.npy', 'golden.npy', 'output.npy', 'stamp.json'])
    writeFileSync(join(dir, 'tb', f), f);
  for (const k of ['patch_embed', 'msa_block', 'ffn_block'])
    writeFileSync(join(dir, 'tb', `golden-${k}.npy`), k);
  writeFileSync(join(dir, 'tb', 'argv.txt'), TB_ARGV + '\n');
  // each kernel's test bench is ONE call of it: its own golden, and the forward stops after it
  const tbArgvOf = (kernel: string) =>
    TB_ARGV.replaceAll('@TB@', join(dir, 'tb')).replace('/golden.npy', `/golden-${kernel}.npy`) +
    ` --stop-after ${kernel}`;

  test.each(['patch_embed', 'msa_block', 'ffn_block'])(
    '%s: every step, in order, with the documented options',
    (kernel) => {
      const r = runTcl(join(dir, 'hls', `${kernel}.tcl`), { steps: 'csim csynth cosim export' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(names(r.calls)).toEqual([
        'open_project',
        'set_top',
        'add_files',
        'add_files',
        'add_files',
        'add_files',
        'add_files',
        'add_files',
        'add_files',
        'add_files',
        'add_files',
        'open_solution',
        'set_part',
        'create_clock',
        'config_interface',
        'csim_design',
        'csynth_design',
        'cosim_design',
        'export_design',
      ]);
      const [
        openProject,
        setTop,
        source,
        forward,
        csimMain,
        otherA,
        otherB,
        golden,
        input,
        weights,
        kernelGolden,
        openSolution,
        setPart,
        clock,
        iface,
        csim,
        ,
        cosim,
        exportXo,
      ] = r.calls;
      expect(openProject).toEqual(['open_project', '-reset', kernel]);
      expect(setTop).toEqual(['set_top', kernel]);
      const cflags = `-I${dir}/kernels -I${dir}/include`;
      expect(source).toEqual(['add_files', `${dir}/kernels/${kernel}.cpp`, '-cflags', cflags]);
      // the test bench is the file-based csim runner (not runner/protocol_main.cpp: a main of its own)
      const tb = ['-cflags', `${cflags} -I${dir}/runner`];
      expect(forward).toEqual(['add_files', '-tb', `${dir}/runner/forward.cpp`, ...tb]);
      expect(csimMain).toEqual(['add_files', '-tb', `${dir}/runner/csim_main.cpp`, ...tb]);
      // the other two top kernels belong to the test bench (the runner calls all three)
      const others = ['patch_embed', 'msa_block', 'ffn_block'].filter((k) => k !== kernel);
      expect([otherA[2], otherB[2]]).toEqual(others.map((k) => `${dir}/kernels/${k}.cpp`));
      expect(otherA[1]).toBe('-tb');
      // the test bench's data (not its arguments, its output or the stamp)
      expect(golden).toEqual(['add_files', '-tb', `${dir}/tb/golden.npy`]);
      expect(input).toEqual(['add_files', '-tb', `${dir}/tb/input.npy`]);
      expect(weights).toEqual(['add_files', '-tb', `${dir}/tb/weights.bin`]);
      expect(kernelGolden).toEqual(['add_files', '-tb', `${dir}/tb/golden-${kernel}.npy`]);
      expect(openSolution).toEqual(['open_solution', '-reset', '-flow_target', 'vitis', 'sol']);
      expect(setPart).toEqual(['set_part', part]);
      expect(clock).toEqual(['create_clock', '-period', periodNs, '-name', 'default']);
      expect(iface).toEqual([
        'config_interface',
        '-m_axi_addr64=true',
        '-m_axi_alignment_byte_size',
        String(Number(axi) / 8),
        '-m_axi_max_widen_bitwidth',
        axi,
      ]);
      // the test bench checks its output against the golden: its return value is the verdict
      const tbArgv = tbArgvOf(kernel);
      expect(tbArgv).toContain(`--golden ${dir}/tb/golden-${kernel}.npy --stop-after ${kernel}`);
      expect(csim).toEqual(['csim_design', '-O', '-argv', tbArgv]);
      expect(cosim).toEqual(['cosim_design', '-rtl', 'verilog', '-trace_level', 'none', '-argv', tbArgv]);
      expect(exportXo).toEqual(['export_design', '-format', 'xo', '-output', `${dir}/build/xo/${kernel}.xo`]);
      expect(existsSync(join(dir, 'build', 'xo', `${kernel}.xo`))).toBe(true);
      // the HLS project lives under build/hls whatever the caller's directory
      expect(existsSync(join(dir, 'build', 'hls', kernel, 'sol', 'syn'))).toBe(true);
    },
  );

  test('without UBIMOE_STEPS the script synthesises only', () => {
    const r = runTcl(join(dir, 'hls', 'msa_block.tcl'));
    expect(r.code).toBe(0);
    expect(names(r.calls).slice(-2)).toEqual(['config_interface', 'csynth_design']);
  });

  test('a later step reuses the synthesised solution (no -reset) and -tclargs choose the steps', () => {
    expect(runTcl(join(dir, 'hls', 'ffn_block.tcl'), { steps: 'csynth' }).code).toBe(0);
    const r = runTcl(join(dir, 'hls', 'ffn_block.tcl'), { steps: 'csim', args: ['export'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.calls.find((c) => c[0] === 'open_solution')).toEqual([
      'open_solution',
      '-flow_target',
      'vitis',
      'sol',
    ]);
    expect(names(r.calls).slice(-1)).toEqual(['export_design']);
    expect(names(r.calls)).not.toContain('csim_design');
  });

  test('csim and cosim refuse to run without tb/ or without a golden output, before any Vitis command', () => {
    const bare = writeProject('micro', board);
    dirs.push(bare.dir);
    for (const steps of ['csim', 'csynth cosim']) {
      const r = runTcl(join(bare.dir, 'hls', 'msa_block.tcl'), { steps });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `need the test bench data in ${bare.dir}/tb (argv.txt): write it with \`ubimoe build --project ${bare.dir} --target tb\``,
      );
      expect(r.calls).toEqual([]);
    }
    // synthesis needs no test bench
    expect(runTcl(join(bare.dir, 'hls', 'msa_block.tcl'), { steps: 'csynth' }).code).toBe(0);
    // a tb/ from before golden outputs: its test bench would check nothing
    mkdirSync(join(bare.dir, 'tb'));
    writeFileSync(
      join(bare.dir, 'tb', 'argv.txt'),
      '--weights @TB@/weights.bin --input @TB@/input.npy --output @TB@/output.npy\n',
    );
    const old = runTcl(join(bare.dir, 'hls', 'msa_block.tcl'), { steps: 'csim' });
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/argv\.txt passes no --golden, so the test bench would check nothing/);
    expect(old.calls).toEqual([]);
  });

  test('an unknown step exits 2 naming it, before any Vitis command', () => {
    const r = runTcl(join(dir, 'hls', 'patch_embed.tcl'), { steps: 'csynth synth' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown HLS step 'synth' \(known: csim csynth cosim export\)/);
    expect(r.calls).toEqual([]);
  });
});

describe('the stubs themselves', () => {
  const { dir } = writeProject('micro', 'u280');
  dirs.push(dir);
  const script = (body: string) => {
    const p = join(dir, `probe-${Math.random().toString(36).slice(2)}.tcl`);
    writeFileSync(p, body);
    return p;
  };
  const preamble = 'open_project p\nset_top t\nopen_solution -flow_target vitis s\n';

  test.each([
    ['csynth_design -fast', /csynth_design: unknown option -fast/],
    ['export_design -format zip', /export_design: -format 'zip' is not one of/],
    ['create_clock -name default', /create_clock: -period <ns> required/],
    ['cosim_design -rtl verilog', /cosim_design before csynth_design/],
    ['set_part', /set_part: takes 1..1 positional arguments/],
  ])('reject `%s`', (line, message) => {
    const r = runTcl(script(preamble + line + '\n'), { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  test('reject a command before its project or solution', () => {
    const r = runTcl(script('set_part xcu280-fsvh2892-2L-e\n'), { cwd: dir });
    expect(r.stderr).toMatch(/set_part before open_project/);
  });
});
