// writeFileAtomic: a file-system failure is a one-line UserError naming the path; no temporary left.
import { expect, test } from '@jest/globals';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { UserError } from '../../src/util/errors.js';

test('unwritable targets are UserErrors naming the path and the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ubimoe-atomic-'));
  try {
    writeFileSync(join(dir, 'afile'), 'x');
    mkdirSync(join(dir, 'adir'));
    const cases: Array<[string, RegExp]> = [
      ['/sys/ubimoe-x', /^cannot write \/sys\/ubimoe-x: permission denied$/],
      [join(dir, 'afile', 'x'), /^cannot write .*afile\/x: a part of the path is not a directory$/],
      [join(dir, 'adir'), /^cannot write .*adir: /],
    ];
    for (const [path, re] of cases) {
      let err: unknown;
      try {
        writeFileAtomic(path, 'data');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
    }
    expect(readdirSync(dir).sort()).toEqual(['adir', 'afile']);
    writeFileAtomic(join(dir, 'ok', 'f.txt'), 'data');
    expect(readdirSync(join(dir, 'ok'))).toEqual(['f.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
