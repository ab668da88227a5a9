import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError, UserError } from './util/errors.js';
import { packageRoot } from './util/paths.js';
import { commands } from './commands/index.js';
import { handleInterrupts } from './util/interrupt.js';

const version = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version as string;

/** Builds the commander program (exported so tests can run it in-process). */
export function buildProgram(): Command {
  const program = new Command('ubimoe')
    .description(
      'Search, generate, C-simulate and drive Mixture-of-Experts ViT accelerators on FPGAs.\n' +
        'Exit codes: 0 success, 1 internal fault, 2 user error (bad flag, file or config).',
    )
    .version(version)
    // usage errors: one line, like every other user error
    .configureOutput({
      outputError: (str, write) => write(`ubimoe: ${str.trim().replace(/\n+/g, ' ')} (see --help)\n`),
    })
    .exitOverride();
  for (const register of commands) register(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so it can be tested. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`ubimoe: error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ToolError) {
      process.stderr.write(`ubimoe: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(
      `ubimoe: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}

const isEntry = process.argv[1] && /(?:bin[\\/]ubimoe(?:\.js)?|cli\.js)$/.test(process.argv[1]);
if (isEntry) {
  const args = process.argv.slice(2);
  // "ubimoe csim", "ubimoe checkpoint synth": the command (and sub-command), not its arguments
  handleInterrupts(() => ['ubimoe', ...args.slice(0, args[0] === 'checkpoint' ? 2 : 1)].join(' '));
  main(args).then(
    (code) => (process.exitCode = code),
    () => (process.exitCode = 1),
  );
}
