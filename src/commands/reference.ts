import type { Command } from 'commander';
import { loadModel, modelDims } from '../model/config.js';
import { readCheckpoint } from '../model/checkpoint.js';
import { cachedReference } from '../model/refcache.js';
import { defaultWorkers } from '../model/parallel.js';
import { readModelInput, parseTask } from '../io/modelinput.js';
import { writeNpy } from '../io/npy.js';
import { checkOutputFile } from '../util/outputs.js';
import { CountProgress } from '../util/progress.js';
import { UserError } from '../util/errors.js';

export function registerReference(program: Command): void {
  program
    .command('reference')
    .description(
      'run the float32 reference model (docs/model.md) on images [B, C, H, W] or tokens [B, N, D] and write the ' +
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
    .option(
      '--workers <n>',
      'threads for a batch, this one included (default: UBIMOE_REFERENCE_WORKERS, else the CPUs available)',
    )
    .option(
      '--no-cache',
      'recompute even if the cache ($UBIMOE_CACHE/reference, else ~/.cache/ubimoe/reference) holds this output, and store nothing',
    )
    .action(
      async (opts: {
        model: string;
        checkpoint: string;
        input: string;
        output: string;
        task: string;
        finalNorm?: boolean;
        workers?: string;
        cache: boolean;
      }) => {
        const cfg = loadModel(opts.model);
        checkOutputFile(opts.output, '-o');
        const d = modelDims(cfg);
        const task = parseTask(opts.task, cfg);
        const workers = opts.workers === undefined ? defaultWorkers() : Number(opts.workers);
        if (!Number.isInteger(workers) || workers < 1)
          throw new UserError(`--workers: '${opts.workers}' is not a positive integer`);
        const { kind, batch, data } = readModelInput(opts.input, cfg, 'the reference');
        const isImages = kind === 'images';
        const ckpt = readCheckpoint(opts.checkpoint, cfg);
        const progress = new CountProgress('reference', batch, isImages ? 'images' : 'token inputs');
        const t0 = performance.now();
        const r = await cachedReference(ckpt, cfg, data, batch, {
          kind,
          task,
          finalNorm: opts.finalNorm,
          workers,
          onImage: () => progress.tick(),
          cacheDir: opts.cache ? undefined : null,
        });
        progress.stop();
        const ms = (performance.now() - t0) / batch;
        if (r.writeError) process.stderr.write(`reference: note: output not cached: ${r.writeError}\n`);
        writeNpy(opts.output, [batch, d.numTokens, d.D], r.result.tokens);
        process.stdout.write(
          `wrote ${opts.output}: tokens (${batch}, ${d.numTokens}, ${d.D}) from ${isImages ? 'images' : 'tokens'}, task ${task}, ${ms.toFixed(0)} ms/image` +
            (r.cached ? ` (cached output ${r.path}; --no-cache recomputes)` : '') +
            '\n',
        );
      },
    );
}
