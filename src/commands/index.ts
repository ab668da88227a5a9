import type { Command } from 'commander';
import { registerModels } from './models.js';
import { registerBoards } from './boards.js';
import { registerCheckpoint } from './checkpoint.js';
import { registerReference } from './reference.js';
import { registerEstimate } from './estimate.js';
import { registerSearch } from './search.js';
import { registerGenerate } from './generate.js';
import { registerCsim } from './csim.js';
import { registerBuild } from './build.js';
import { registerSweep } from './sweep.js';
import { registerCalibrate } from './calibrate.js';
import { registerRun } from './run.js';
import { registerReport } from './report.js';
import { registerDemo } from './demo.js';

/** Every CLI command registers itself here, in the order of the flow; one file per command. */
export const commands: Array<(program: Command) => void> = [
  registerModels,
  registerBoards,
  registerCheckpoint,
  registerReference,
  registerEstimate,
  registerSearch,
  registerGenerate,
  registerCsim,
  registerBuild,
  registerSweep,
  registerCalibrate,
  registerRun,
  registerReport,
  registerDemo,
];
