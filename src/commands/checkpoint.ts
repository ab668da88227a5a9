import type { Command } from 'commander';
import { UserError } from '../util/errors.js';
import { loadModel } from '../model/config.js';
import { checkpointSpec, readCheckpoint, synthCheckpoint, writeCheckpoint } from '../model/checkpoint.js';
import { checkOutputFile } from '../util/outputs.js';

/** Parses a --seed value: a non-negative integer (decimal), at most 2^53 - 1. */
export function parseSeed(text: string): number {
  const seed = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(seed))
    throw new UserError(`--seed: '${text}' is not a non-negative integer below 2^53`);
  return seed;
}

export function registerCheckpoint(program: Command): void {
  const cmd = program
    .command('checkpoint')
    .description('model checkpoints (safetensors, M³ViT parameter names)');

  cmd
    .command('synth')
    .description(
      'write a deterministic synthetic checkpoint (same model + seed -> same bytes) with trained-like scales: ' +
        'weights ~N(0, 1/fan_in), norms ≈ 1, gate logits spread so top-k choices do not tie',
    )
    .requiredOption(
      '--model <name|file.yaml>',
      'model preset name (see `ubimoe models`) or a model YAML file',
    )
    .requiredOption('--seed <n>', 'non-negative integer seed of the generator')
    .requiredOption('-o, --output <file.safetensors>', 'output file (F32 safetensors, written atomically)')
    .action((opts: { model: string; seed: string; output: string }) => {
      const cfg = loadModel(opts.model);
      const seed = parseSeed(opts.seed);
      checkOutputFile(opts.output, '-o');
      const ckpt = synthCheckpoint(cfg, seed);
      writeCheckpoint(opts.output, ckpt, { format: 'pt', ubimoe_model: cfg.name, ubimoe_seed: String(seed) });
      let params = 0;
      for (const t of ckpt.values()) params += t.data.length;
      process.stdout.write(
        `wrote ${opts.output}: ${ckpt.size} tensors, ${params} parameters (model ${cfg.name}, seed ${seed})\n`,
      );
    });

  cmd
    .command('check')
    .description('check that a safetensors checkpoint has every tensor of a model with the right shape')
    .requiredOption('--model <name|file.yaml>', 'model preset name or a model YAML file')
    .argument('<file.safetensors>', 'checkpoint to check (F32, F16 or BF16)')
    .action((file: string, opts: { model: string }) => {
      const cfg = loadModel(opts.model);
      const ckpt = readCheckpoint(file, cfg);
      process.stdout.write(
        `${file}: ok for model ${cfg.name} (${checkpointSpec(cfg).length} tensors, ${ckpt.size} read)\n`,
      );
    });
}
