import type { Command } from 'commander';
import { UserError } from '../util/errors.js';
import { loadModel, modelDims } from '../model/config.js';
import { readCheckpoint } from '../model/checkpoint.js';
import { forwardImages, forwardTokens } from '../model/reference.js';
import { readNpy, writeNpy } from '../io/npy.js';

/** Parses --task: an integer in [0, tasks). */
function parseTask(text: string, tasks: number, model: string): number {
  const t = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(t) || t >= tasks)
    throw new UserError(
      `--task: '${text}' is not a task of model ${model} (it has ${tasks}: 0..${tasks - 1})`,
    );
  return t;
}

export function registerReference(program: Command): void {
  program
    .command('reference')
    .description(
      'run the float32 reference model (MODEL.md) on images [B, C, H, W] or tokens [B, N, D] and write the ' +
        'output tokens [B, N, D] as float32 .npy (the golden output later checks compare against)',
    )
    .requiredOption(
      '--model <name|file.yaml>',
      'model preset name (see `ubimoe models`) or a model YAML file',
    )
    .requiredOption(
      '--checkpoint <file.safetensors>',
      'weights (F32/F16/BF16 safetensors; `ubimoe checkpoint synth` makes one)',
    )
    .requiredOption(
      '--input <file.npy>',
      'float32/float16 .npy: normalised images [B, C, H, W] (full model) or tokens [B, N, D] (input of block 0)',
    )
    .requiredOption('-o, --output <file.npy>', 'output tokens [B, N, D], float32 .npy (written atomically)')
    .option('--task <t>', 'task whose gate routes the MoE blocks (0-based)', '0')
    .option('--final-norm', "apply the final LayerNorm 'norm' (default: the model config's final_norm)")
    .option('--no-final-norm', 'do not apply the final LayerNorm')
    .action(
      (opts: {
        model: string;
        checkpoint: string;
        input: string;
        output: string;
        task: string;
        finalNorm?: boolean;
      }) => {
        const cfg = loadModel(opts.model);
        const d = modelDims(cfg);
        const task = parseTask(opts.task, cfg.tasks, cfg.name);
        const input = readNpy(opts.input);
        if (!(input.data instanceof Float32Array))
          throw new UserError(
            `${opts.input}: dtype ${input.dtype}; the reference needs normalised float32 (or float16) values`,
          );
        const s = input.shape;
        const imageShape = [cfg.in_chans, cfg.img_h, cfg.img_w];
        const tokenShape = [d.numTokens, d.D];
        const isImages = s.length === 4 && imageShape.every((v, i) => s[i + 1] === v);
        const isTokens = s.length === 3 && tokenShape.every((v, i) => s[i + 1] === v);
        if (!isImages && !isTokens)
          throw new UserError(
            `${opts.input}: shape (${s.join(', ')}) fits model ${cfg.name} neither as images (B, ${imageShape.join(', ')}) nor as tokens (B, ${tokenShape.join(', ')})`,
          );
        const batch = s[0];
        if (batch < 1) throw new UserError(`${opts.input}: the batch is empty`);
        const data = input.data;
        for (let i = 0; i < data.length; i++)
          if (!Number.isFinite(data[i]))
            throw new UserError(`${opts.input}: contains NaN or Inf (at flat index ${i})`);
        const ckpt = readCheckpoint(opts.checkpoint, cfg);
        const fwdOpts = { task, finalNorm: opts.finalNorm };
        const t0 = performance.now();
        const r = isImages
          ? forwardImages(ckpt, cfg, data, batch, fwdOpts)
          : forwardTokens(ckpt, cfg, data, batch, fwdOpts);
        const ms = (performance.now() - t0) / batch;
        writeNpy(opts.output, [batch, d.numTokens, d.D], r.tokens);
        process.stdout.write(
          `wrote ${opts.output}: tokens (${batch}, ${d.numTokens}, ${d.D}) from ${isImages ? 'images' : 'tokens'}, task ${task}, ${ms.toFixed(0)} ms/image\n`,
        );
      },
    );
}
