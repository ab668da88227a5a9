/**
 * Output paths a command cannot write: a directory where a file is wanted, a path under a regular
 * file, a place the process may not write (/sys refuses new files even to root). Every command
 * answers with one line and exit 2, checks BEFORE it computes (no compile, no runner, no reference
 * run: the project's build cache stays empty), and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, writeImages, type TestProject } from '../driver/project.js';
import { expectUserError, inferenceArgs, onProject, runCli } from './helpers.js';

let p: TestProject;
let images = '';
const at = (f: string) => join(p.root, f);

function ubimoe(...args: string[]) {
  // no shared csim cache: a compile would show up in the project's own build/ directory
  const env = { ...process.env, UBIMOE_CSIM_CACHE: '' };
  delete (env as Record<string, string | undefined>).UBIMOE_CSIM_CACHE;
  return runCli(args, { cwd: p.root, env });
}

beforeAll(() => {
  p = makeProject('micro');
  images = at('images.npy');
  writeImages(images, p.design, 2, 3);
  mkdirSync(at('adir'));
  writeFileSync(at('afile'), 'x');
});
afterAll(() => rmSync(p.root, { recursive: true, force: true }));

// the commands that write one file with -o, each with its other (valid) arguments
const fileCommands = (): Array<[string, string[]]> => [
  ['checkpoint synth', ['checkpoint', 'synth', '--model', 'micro', '--seed', '1']],
  ['reference', ['reference', '--model', 'micro', '--checkpoint', p.checkpoint, '--input', images]],
  ['search', ['search', '--model', 'micro', '--board', 'u280']],
  ['estimate', ['estimate', '--model', 'micro', '--board', 'u280']],
  ['csim', ['csim', '--project', p.dir, '--checkpoint', p.checkpoint, '--input', images]],
  ['run', ['run', '--project', p.dir, '--checkpoint', p.checkpoint, '--input', images]],
  ['report', ['report', '--project', p.dir]],
];

describe('unwritable -o: one line, exit 2, checked before any work', () => {
  test.each(['checkpoint synth', 'reference', 'search', 'estimate', 'csim', 'run', 'report'])(
    '%s',
    (name) => {
      const args = fileCommands().find(([n]) => n === name)![1];
      expectUserError(ubimoe(...args, '-o', at('adir')), /-o .*adir: is a directory; give a file name/);
      expectUserError(ubimoe(...args, '-o', join(at('afile'), 'out.x')), /-o .*: .*afile is not a directory/);
      expectUserError(
        ubimoe(...args, '-o', '/sys/ubimoe-out.x'),
        /-o \/sys\/ubimoe-out\.x: cannot write in \/sys: /,
      );
      // nothing compiled or run for the project commands, nothing left behind
      expect(existsSync(join(p.dir, 'build'))).toBe(false);
      expect(readdirSync(p.root).filter((f) => f.startsWith('.'))).toEqual([]);
    },
  );

  test('--report of search and --experts of csim are checked the same way', () => {
    expectUserError(
      ubimoe('search', '--model', 'micro', '--board', 'u280', '-o', at('d.yaml'), '--report', at('adir')),
      /--report .*adir: is a directory/,
    );
    expect(existsSync(at('d.yaml'))).toBe(false);
    expectUserError(
      ubimoe(...inferenceArgs('csim', onProject(p, images, at('t.npy')), '--experts', '/sys/e.npy')),
      /--experts \/sys\/e\.npy: cannot write in \/sys/,
    );
  });

  test('directory outputs (generate, demo): a file in the way, or no right to create it', () => {
    expectUserError(
      ubimoe('generate', '--model', 'micro', '--board', 'u280', '-o', at('afile')),
      /-o .*afile: is a file, not a directory/,
    );
    expectUserError(
      ubimoe('generate', '--model', 'micro', '--board', 'u280', '-o', '/sys/proj'),
      /cannot write in \/sys/,
    );
    expectUserError(
      ubimoe('demo', '--model', 'micro', '-o', '/sys/demo'),
      /-o \/sys\/demo: cannot write in \/sys/,
    );
  });
});
