/** `ubimoe generate` as a user runs it (the built CLI). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultDesignFile } from '../../src/design/design.js';
import { expectUserError, runCli } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);

const ubimoe = (...args: string[]) => runCli(args);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-generate-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe generate', () => {
  test('default design for a model and board', () => {
    const r = ubimoe('generate', '--model', 'micro', '--board', 'zcu102', '-o', at('p'));
    // UbiMoE's U280 parameters (three 16×16×3 engines) are predicted not to fit a ZCU102: said, not refused
    expect(r.stderr).toMatch(
      /^note: the default parameters are predicted not to fit zcu102 \(dsp: needs \d+.*run 'ubimoe search'/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^generated .*p: \d+ files, design [0-9a-f]{12} \(micro on zcu102, \d+ MHz, w16a32\)\n$/,
    );
    const manifest = JSON.parse(readFileSync(at('p/manifest.json'), 'utf8'));
    expect(manifest.design_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(at('p/kernels/ffn_block.cpp'))).toBe(true);
  });

  test('a design file predicted not to fit gets the same note (said, not refused)', () => {
    const big = defaultDesignFile('micro', 'u280');
    writeFileSync(at('slr.yaml'), stringify(big));
    // U280's placement over 3 SLRs on a one-SLR board: refused, the file and the field named
    expectUserError(
      ubimoe('generate', '--design', at('slr.yaml'), '--board', 'zcu102', '-o', at('big')),
      /design .*slr\.yaml: placement\.msa_block: SLR 1 does not exist \(board zcu102 has 1 SLR: 0\.\.0\)/,
    );
    delete big.placement;
    writeFileSync(at('big.yaml'), stringify(big));
    const r = ubimoe('generate', '--design', at('big.yaml'), '--board', 'zcu102', '-o', at('big'));
    expect(r.stderr).toMatch(/^note: the design .*big\.yaml is predicted not to fit zcu102 \(dsp: needs \d+/);
    expect(r.code).toBe(0);
  });

  test('from a design file, and over an existing project', () => {
    const file = defaultDesignFile('micro', 'u280');
    file.kernels.msa_block.q_parallel = 2;
    delete file.placement; // the U280 default spreads kernels over SLRs that a zcu104 has not
    writeFileSync(at('design.yaml'), stringify(file));
    const r = ubimoe('generate', '--design', at('design.yaml'), '-o', at('p'));
    expect(r.code).toBe(0);
    expect(readFileSync(at('p/kernels/config.h'), 'utf8')).toMatch(/Q_PAR = 2u/);
    // --model/--board override the design file's
    expect(
      ubimoe('generate', '--design', at('design.yaml'), '--board', 'zcu104', '-o', at('q')).stdout,
    ).toMatch(/micro on zcu104/);
  });

  test('--precision picks a preset over the default or the design file', () => {
    const r = ubimoe('generate', '--design', at('design.yaml'), '--precision', 'w8a8', '-o', at('w8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/micro on u280, \d+ MHz, w8a8\)/);
    expect(readFileSync(at('w8/design.yaml'), 'utf8')).toMatch(/^precision: w8a8$/m);
    expect(readFileSync(at('w8/kernels/config.h'), 'utf8')).toMatch(/typedef ap_fixed<8,1> weight_t;/);
    expectUserError(
      ubimoe('generate', '--model', 'micro', '--board', 'u280', '--precision', 'w4a4', '-o', at('x')),
      /--precision: 'w4a4' is not a preset \(w16a32, w8a8\)/,
    );
  });

  test('bad inputs: one line, exit 2', () => {
    expectUserError(ubimoe('generate', '--model', 'micro', '-o', at('x')), /give --model and --board/);
    expectUserError(
      ubimoe('generate', '--model', 'nope', '--board', 'u280', '-o', at('x')),
      /unknown model 'nope'/,
    );
    const file = defaultDesignFile('micro', 'u280');
    file.kernels.ffn_block.tile_in = 12;
    writeFileSync(at('bad.yaml'), stringify(file));
    expectUserError(
      ubimoe('generate', '--design', at('bad.yaml'), '-o', at('x')),
      // the design file is named, then the field
      /design .*bad\.yaml: kernels\.ffn_block\.tile_in: 12 must divide embed_dim 32/,
    );
    // a clock the board does not offer (zcu102: 75..400 MHz), for generate and estimate alike
    const fast = { ...defaultDesignFile('micro', 'zcu102'), clock_mhz: 1000 };
    writeFileSync(at('fast.yaml'), stringify(fast));
    for (const cmd of [['generate', '-o', at('x')], ['estimate']])
      expectUserError(
        ubimoe(cmd[0], '--design', at('fast.yaml'), ...cmd.slice(1)),
        /design .*fast\.yaml: clock_mhz: 1000 MHz is not a clock of board zcu102 \(allowed: 75, 100, 150, 200, 300, 400\)/,
      );
    mkdirSync(at('mine'));
    writeFileSync(at('mine/notes.txt'), 'keep');
    expectUserError(
      ubimoe('generate', '--model', 'micro', '--board', 'u280', '-o', at('mine')),
      /not empty and not a ubimoe project/,
    );
    expect(readFileSync(at('mine/notes.txt'), 'utf8')).toBe('keep');
    expect(existsSync(at('x'))).toBe(false);
  });
});
