import type { Command } from 'commander';
import { join } from 'node:path';
import {
  accuracyJson,
  accuracyText,
  compareTokens,
  expertAgreement,
  type Accuracy,
} from '../toolchain/accuracy.js';
import { buildCsim } from '../toolchain/csim.js';
import { writeCyclesReport } from '../toolchain/cycles.js';
import { runCsim } from '../toolchain/csimrun.js';
import { saturationReport, writeSaturation } from '../toolchain/saturation.js';
import { editedNote, openProject } from '../driver/project.js';
import { packedWeightsCached } from '../driver/weights.js';
import { readModelInput, parseTask } from '../io/modelinput.js';
import { readNpyFloat32, writeNpy } from '../io/npy.js';
import { readCheckpoint } from '../model/checkpoint.js';
import { cachedReference } from '../model/refcache.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkOutputFile } from '../util/outputs.js';
import { CountProgress } from '../util/progress.js';

interface CsimOpts {
  project: string;
  checkpoint: string;
  input: string;
  output: string;
  task: string;
  compare?: string;
  reference: boolean;
  experts?: string;
  cycles?: boolean;
}

export function registerCsim(program: Command): void {
  program
    .command('csim')
    .description(
      "C-simulate a generated project: pack the checkpoint into the design's device layout, compile the kernels and " +
        'runner with g++ (cached by source hash), run the batch, write the output tokens; then compare them with the ' +
        'float32 reference model (or --compare tokens) and write <project>/reports/accuracy.json',
    )
    .requiredOption('--project <dir>', 'a project written by ubimoe generate')
    .requiredOption('--checkpoint <file.safetensors>', "weights for the project's model")
    .requiredOption(
      '--input <file.npy>',
      'normalised images [B, C, H, W] or tokens [B, N, D] (float32/float16 .npy)',
    )
    .requiredOption('-o, --output <file.npy>', 'output tokens [B, N, D], float32 .npy (written atomically)')
    .option('--task <t>', 'task whose gate routes the MoE blocks (0-based)', '0')
    .option(
      '--compare <ref.npy>',
      "reference tokens [B, N, D] to compare with instead of the reference model's",
    )
    .option('--no-reference', 'skip the comparison (no reference model run, no accuracy.json)')
    .option('--experts <file.npy>', 'also write the expert choices [B, moe_blocks, N, top_k] (int32 .npy)')
    .option(
      '--cycles',
      'timed C-simulation (a separate -DUBIMOE_TIMED_CSIM build): write <project>/reports/cycles.json and print ' +
        "per kernel and stage the simulated cycles, the cost model's predicted cycles (with each image's routing) " +
        'and their ratio; same outputs bit for bit; a FIFO deadlock exits 1 naming the streams',
    )
    .action(async (opts: CsimOpts) => {
      const project = openProject(opts.project);
      const edits = editedNote(project);
      if (edits) process.stderr.write(`${edits}\n`);
      checkOutputFile(opts.output, '-o');
      if (opts.experts) checkOutputFile(opts.experts, '--experts');
      const { design } = project;
      const { model, dims } = design;
      const task = parseTask(opts.task, model);
      const { kind, batch, data } = readModelInput(opts.input, model, 'csim');
      const isImages = kind === 'images';
      const compareRef = opts.compare
        ? readNpyFloat32(opts.compare, [batch, dims.numTokens, dims.D]).data
        : undefined;
      // packed once per (design, checkpoint) in <project>/build/weights, as `run` does
      const packed = await packedWeightsCached(project, opts.checkpoint);
      const weights = packed.path;
      const build = await buildCsim(project.dir, {
        timed: opts.cycles,
        onCompile: (what) => process.stderr.write(`csim: compiling ${what} (cached by source hash)\n`),
      });
      process.stderr.write(
        build.cached
          ? `csim: using cached build ${build.hash}\n`
          : `csim: compiled in ${build.seconds.toFixed(1)} s\n`,
      );
      // the packing's notes once the build stands (a build error stays the only line)
      if (packed.cached) process.stderr.write(`csim: packed weights from the cache (${packed.path})\n`);
      else {
        if (packed.clipNote) process.stderr.write(`ubimoe: warning: ${packed.clipNote}\n`);
        if (packed.scalesNote) process.stderr.write(`csim: ${packed.scalesNote}\n`);
      }
      // images done, as the runner reports them: a bar on a terminal, a line per tenth elsewhere
      const progress = new CountProgress(opts.cycles ? 'csim (timed)' : 'csim', batch, kind);
      let r: Awaited<ReturnType<typeof runCsim>>;
      try {
        r = await runCsim({
          onImage: () => progress.tick(),
          exe: build.exe,
          design,
          weights,
          input: data,
          batch,
          tokens: !isImages,
          task,
          cycles: opts.cycles,
        });
      } finally {
        progress.stop();
      }
      // the runner's stream report (hls::stream depths vs high-water marks), when asked for
      if (process.env.UBIMOE_STREAM_REPORT) for (const line of r.runnerLog) process.stderr.write(line + '\n');
      writeNpy(opts.output, [batch, dims.numTokens, dims.D], r.tokens);
      if (opts.experts) {
        const M = dims.moeBlocks.filter((m) => m).length;
        writeExpertsNpy(opts.experts, [batch, M, dims.numTokens, dims.topK], r.experts);
      }
      process.stdout.write(
        `csim: ${batch} image(s), ${r.wallMsPerImage.toFixed(1)} ms/image (${r.cpuMsPerImage.toFixed(1)} ms cpu) -> ${opts.output}\n`,
      );
      // what saturated in the datapath (named by the design's types): a warning when anything did
      const saturation = saturationReport(r.saturations, design, batch);
      writeSaturation(saturation);
      if (opts.cycles) {
        const c = writeCyclesReport(project.dir, design, r.cycles, r.experts, batch, {
          design_hash: project.designHash,
          task,
          input: opts.input,
        });
        process.stdout.write(c.table + `wrote ${join(opts.project, 'reports', 'cycles.json')}\n`);
      }
      if (!opts.reference) return;

      // the reference's outputs, cached per (checkpoint, input, task) in <project>/build/reference
      const ckpt = readCheckpoint(opts.checkpoint, model);
      const refRun = await cachedReference(ckpt, model, data, batch, {
        kind,
        task,
        cacheDir: join(project.dir, 'build', 'reference'),
      });
      if (refRun.cached)
        process.stderr.write(`csim: reference output from the cache (${refRun.key.slice(0, 12)})\n`);
      const ref = refRun.result;
      const tokensRef = compareRef ?? ref.tokens;
      const acc: Accuracy = {
        ...compareTokens(r.tokens, tokensRef, dims.D, batch),
        expertAgreement: dims.topK > 0 ? expertAgreement(r.experts, ref.experts, dims.topK) : null,
      };
      const report = accuracyJson(acc, {
        task,
        input: opts.input,
        checkpoint: opts.checkpoint,
        reference: opts.compare ? `tokens file ${opts.compare}` : 'float32 reference model',
        expert_agreement_note:
          "fraction of (image, MoE block, token) whose top-k expert set equals the reference model's",
        design_hash: project.designHash,
        csim_ms_per_image: Number(r.wallMsPerImage.toFixed(2)),
        csim_cpu_ms_per_image: Number(r.cpuMsPerImage.toFixed(2)),
        saturated_weights: packed.saturated,
        saturated_values: saturation.json,
      });
      writeFileAtomic(join(project.dir, 'reports', 'accuracy.json'), JSON.stringify(report, null, 2) + '\n');
      process.stdout.write(accuracyText(acc));
      process.stdout.write(`wrote ${join(opts.project, 'reports', 'accuracy.json')}\n`);
    });
}

/** int32 .npy, atomically. */
function writeExpertsNpy(path: string, shape: number[], data: Int32Array): void {
  let header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 11, ' ') + '\n';
  const out = new Uint8Array(total + data.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  writeFileAtomic(path, out);
}
