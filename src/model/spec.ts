import type { ModelConfig } from './config.js';
import { modelDims } from './config.js';

/** One tensor a model needs: its checkpoint name and shape. */
export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * Name of the MoE gate of block `block` for task `task`: `blocks.{i}.mlp.gate.w_gate` when the model
 * has one task, `blocks.{i}.mlp.gate.{t}.w_gate` (one gate per task, M³ViT multi-gate) otherwise.
 */
export function gateName(cfg: ModelConfig, block: number, task: number): string {
  return cfg.tasks > 1 ? `blocks.${block}.mlp.gate.${task}.w_gate` : `blocks.${block}.mlp.gate.w_gate`;
}

/**
 * Every tensor the model needs, with the M³ViT / timm names and shapes of docs/model.md, in a fixed
 * order (patch embedding, cls, pos, blocks in order, final norm). The final `norm.*` is always
 * listed: M³ViT checkpoints carry it even when the encoder output is taken before it.
 */
export function checkpointSpec(cfg: ModelConfig): TensorSpec[] {
  const d = modelDims(cfg);
  const { D } = d;
  const P = cfg.patch_size;
  const spec: TensorSpec[] = [
    { name: 'patch_embed.proj.weight', shape: [D, cfg.in_chans, P, P] },
    { name: 'patch_embed.proj.bias', shape: [D] },
    { name: 'cls_token', shape: [1, 1, D] },
    { name: 'pos_embed', shape: [1, d.numTokens, D] },
  ];
  for (let i = 0; i < d.depth; i++) {
    const b = `blocks.${i}`;
    spec.push(
      { name: `${b}.norm1.weight`, shape: [D] },
      { name: `${b}.norm1.bias`, shape: [D] },
      { name: `${b}.attn.qkv.weight`, shape: [3 * D, D] },
      { name: `${b}.attn.qkv.bias`, shape: [3 * D] },
      { name: `${b}.attn.proj.weight`, shape: [D, D] },
      { name: `${b}.attn.proj.bias`, shape: [D] },
      { name: `${b}.norm2.weight`, shape: [D] },
      { name: `${b}.norm2.bias`, shape: [D] },
    );
    if (d.moeBlocks[i]) {
      const E = d.experts;
      const He = d.expertHidden;
      spec.push(
        { name: `${b}.mlp.experts.htoh4.weight`, shape: [E, He, D] },
        { name: `${b}.mlp.experts.htoh4.bias`, shape: [E, He] },
        { name: `${b}.mlp.experts.h4toh.weight`, shape: [E, D, He] },
        { name: `${b}.mlp.experts.h4toh.bias`, shape: [E, D] },
      );
      for (let t = 0; t < d.tasks; t++) spec.push({ name: gateName(cfg, i, t), shape: [D, E] });
    } else {
      const H = d.mlpHidden;
      spec.push(
        { name: `${b}.mlp.fc1.weight`, shape: [H, D] },
        { name: `${b}.mlp.fc1.bias`, shape: [H] },
        { name: `${b}.mlp.fc2.weight`, shape: [D, H] },
        { name: `${b}.mlp.fc2.bias`, shape: [D] },
      );
    }
  }
  spec.push({ name: 'norm.weight', shape: [D] }, { name: 'norm.bias', shape: [D] });
  return spec;
}
