/**
 * ubimoe's public library API (`import { ... } from 'ubimoe'`): the same flow as the CLI. Anything
 * not exported here is internal and may change between versions.
 */
// driver: stream images or token tensors through a generated project (its C-simulation or XRT)
export { Accelerator, type AcceleratorOptions, type Backend } from './driver/accelerator.js';
export type { AcceleratorInput } from './driver/inputs.js';
export type { StreamOutput } from './driver/scheduler.js';
// model: presets, checkpoints, the float32 reference forward
export { loadModel, modelDims, presetNames, type ModelConfig } from './model/config.js';
export { readCheckpoint, writeCheckpoint } from './model/checkpoint.js';
export { synthCheckpoint } from './model/synth.js';
export { forwardImages, forwardTokens } from './model/reference.js';
// files
export { readNpy, readNpyFloat32, writeNpy } from './io/npy.js';
// design: load, estimate (predicted figures), generate a project
export { loadDesign, defaultDesignFile, resolveDesign, type Design } from './design/design.js';
export { estimateDesign, estimateJson } from './design/estimate.js';
export { generateProject } from './generate/project.js';
// the errors that decide the CLI's exit codes
export { UserError, ToolError } from './util/errors.js';
