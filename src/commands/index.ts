import type { Command } from 'commander';
import { registerEstimate } from './estimate.js';
import { registerSearch } from './search.js';
import { registerGenerate } from './generate.js';
import { registerCsim } from './csim.js';
import { registerModels } from './models.js';
import { registerBoards } from './boards.js';
import { registerCheckpoint } from './checkpoint.js';
import { registerReference } from './reference.js';
import { registerReport } from './report.js';
import { registerBuild } from './build.js';
import { registerRun } from './run.js';

/** Every CLI command registers itself here; one file per command. */
export const commands: Array<(program: Command) => void> = [registerModels, registerBoards, registerCheckpoint, registerReference, registerReport, registerBuild, registerRun, registerEstimate, registerSearch, registerGenerate, registerCsim];
