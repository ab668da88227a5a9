/**
 * What the report shows, independent of the files it came from. The readers in src/report/read/
 * turn each report file into one of these; the renderers in src/report/html/ only see these.
 */
import type { PowerFile } from './read/power.js';
import type { Resources } from '../board/schema.js';
import type { ComparisonRow } from '../toolchain/compare.js';
import type { SynthReport } from '../toolchain/csynth.js';
import type { Design } from '../design/design.js';

export type { ComparisonRow } from '../toolchain/compare.js';

/** Predicted figures of one top kernel, per image. */
export interface PredictedKernel {
  name: string;
  calls: number; // invocations per image
  cyclesPerImage: number; // summed over the calls
  parts: Record<string, number>; // cycles per image by part of the kernel (for the breakdown)
  computeUnits: number;
  slrs: number[]; // SLR of each compute unit
  span: number; // SLRs its compute unit spans (1: on its SLR)
  perSlr: Array<{ slr: number; resources: Resources }>; // what it takes on each SLR
  resourcesPerCu: Resources;
  resources: Resources; // all compute units
}

/** One stage of the forward pass (patch embedding, block i): cycles spent in each kernel. */
export interface PredictedStage {
  label: string; // "patch", "0", "1", ...
  kind: string; // "patch embed" | "dense" | "MoE"
  cycles: Record<string, number>; // kernel name -> cycles
}

export interface Prediction {
  source: 'file' | 'computed';
  clockMhz: number;
  latencyCycles: number;
  latencyMs: number; // kernel cycles at the clock, plus the host's per-call overhead when the estimator counts it
  imagesPerSecond?: number;
  throughputBound?: string; // what limits imagesPerSecond
  gops?: number;
  fits?: boolean;
  violations: string[]; // what does not fit the board's limits, and by how much
  routing?: string; // MoE routing assumption ("uniform", or where measured routing came from)
  tokensPerExpert?: number[][]; // the routing table the prediction used, per MoE block (measured routing only)
  macsPerImage?: number;
  offchipBytesPerImage?: number; // weights and activations moved to and from off-chip memory, one image
  fmaxMhz?: number; // predicted reachable clock (a rule of thumb of the cost model)
  // the board's physical bounds for this model (src/design/bounds.ts), absent in older estimate.json
  physicalBounds?: {
    computeBoundMs: number;
    weightBoundMs: number;
    boundMs: number;
    boundBy: string;
    latencyOverBound: number;
    macEfficiency: number;
    dspPerMac: number;
  };
  design?: unknown; // the design file the estimate was made for, when the file records it
  kernels: PredictedKernel[];
  stages: PredictedStage[];
  // resources counted in use that no kernel owns (platform shell, interconnect), per SLR
  overhead?: Array<{ name: string; slr: number; resources: Resources }>;
}

export interface DesignPoint {
  latencyMs: number;
  dsp: number;
  label?: string; // short description of the parameters
}

export interface SearchSummary {
  objective?: string;
  scoreUnit?: string; // unit of the objective values of the history and the steps
  method?: string;
  seed?: number;
  seconds?: number;
  evaluations?: number;
  history: Array<{ generation: number; best: number; population: number }>; // stage 1, best objective per generation of each population
  steps: Array<{ description: string; objective?: number }>; // stage 2
  front: DesignPoint[];
  chosen?: DesignPoint;
  evaluated: DesignPoint[]; // every design the search looked at, when the report lists them
}

export interface AccuracySummary {
  images?: number;
  task?: number;
  input?: string; // the images file
  checkpoint?: string;
  reference?: string; // what csim was compared with
  designHash?: string; // of the design the csim ran (compared with the manifest's)
  csimMsPerImage?: number;
  saturatedWeights?: number; // weight values that saturated when packed
  saturatedValues?: Record<string, number>; // values that saturated in the csim's datapath, by type names ({}: none)
  cosine: number[]; // per token (all images)
  cosineMin: number;
  cosineMedian: number;
  relL2: number;
  maxAbs: number;
  expertAgreement?: number; // fraction of (token, MoE block) choices equal to the reference's
}

export interface SynthKernel {
  name: string;
  targetClockNs?: number;
  estimatedClockNs?: number;
  latencyBest?: number; // cycles per call
  latencyWorst?: number;
  interval?: number;
  resources: Resources;
  available?: Resources;
}

export interface SynthSummary {
  kernels: SynthKernel[];
  report: SynthReport; // as src/toolchain reads it, for compareWithPrediction
}

/** Expert choices a run actually made: tokens per expert in each MoE block, per image. */
export interface RoutingSeen {
  file: string; // relative to the project, e.g. reports/experts.npy
  what: string; // who made the choices ("the C-simulation (ubimoe csim --experts)")
  images: number;
  tokensPerExpert: number[][]; // [MoE block][expert], averaged over the images
}

/** The timed C-simulation's cycles against the prediction (reports/cycles.json). */
export interface CyclesSummary {
  file: string; // relative to the project
  clockMhz: number;
  images: number;
  designHash?: string;
  hasPrediction: boolean; // the file holds the cost model's figures per image
  rows: Array<{ kernel: string; stage: string; simulated?: number; predicted?: number }>; // means over the images
  /** One MoE block's ffn_block call (image 0): per region, per process busy and stall cycles. */
  timeline: {
    block: number;
    callCycles: number;
    groups: Array<{
      title: string;
      start: number;
      cycles: number;
      rows: Array<{ label: string; start: number; busy: number; stall: number }>;
    }>;
  } | null;
}

/** Everything the report is made of. Absent sections are null, with the reason to print. */
export interface ReportData {
  projectDir: string;
  design: Design;
  manifest?: Record<string, unknown>;
  prediction: Prediction | null;
  predictionMissing?: string;
  search: SearchSummary | null;
  accuracy: AccuracySummary | null;
  synth: SynthSummary | null;
  comparison: ComparisonRow[] | null;
  routingSeen: RoutingSeen | null; // expert choices recorded by a run (reports/experts.npy)
  cycles?: CyclesSummary | null; // the timed C-simulation (reports/cycles.json)
  power?: PowerFile | null; // board power measured by ubimoe run --power (reports/power.json)
  filesRead: string[]; // project files the report was made from, relative to the project
  stale: { estimate?: string; accuracy?: string }; // a report file made for another design: why
  generatedAt: string; // ISO time the report was written
  ubimoeVersion: string;
}
