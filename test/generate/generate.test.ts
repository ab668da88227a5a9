import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resolveDesign } from '../../src/design/design.js';
import { designHash } from '../../src/design/hash.js';
import { generateProject, projectFiles, readManifest, sha256 } from '../../src/generate/project.js';
import { renderStruct } from '../../src/kernels/cpp/struct.js';
import { cIdent } from '../../src/kernels/cpp/ident.js';
import { UserError } from '../../src/util/errors.js';
import { testDesign } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-generate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('generate', () => {
  const design = testDesign('micro', 'zcu102');
  const dir = join(tmp, 'micro');
  const result = generateProject(design, dir);

  test('writes the project layout with a manifest of every file', () => {
    for (const f of [
      'design.yaml',
      'manifest.json',
      'kernels/config.h',
      'kernels/patch_embed.cpp',
      'kernels/msa_block.cpp',
      'kernels/ffn_block.cpp',
      'include/ubimoe/linear.h',
      'include/ubimoe/tables.h',
      'csim/ap_fixed.h',
      'runner/forward.h',
      'runner/forward.cpp',
      'runner/csim_main.cpp',
      'docs/weights.md',
    ])
      expect(existsSync(join(dir, f))).toBe(true);
    const m = readManifest(dir)!;
    expect(m.design_hash).toBe(designHash(design));
    expect(m.weights_format).toBe(7);
    for (const [path, hash] of Object.entries(m.files))
      expect(sha256(readFileSync(join(dir, path)))).toBe(hash);
    expect(result.manifest.files['kernels/config.h']).toBeDefined();
  });

  test('design.yaml is self-contained: model and board inlined, same hash', () => {
    const file = parse(readFileSync(join(dir, 'design.yaml'), 'utf8'));
    expect(typeof file.model).toBe('object');
    expect(typeof file.board).toBe('object');
    expect(designHash(resolveDesign(file, 'design.yaml'))).toBe(designHash(design));
  });

  test('config.h carries the hash, the types and the parameters once', () => {
    const h = readFileSync(join(dir, 'kernels', 'config.h'), 'utf8');
    expect(h).toContain(`#define UBIMOE_DESIGN_HASH "${designHash(design)}"`);
    expect(h).toContain('typedef ap_fixed<32,10,AP_RND,AP_SAT> act_t;');
    expect(h).toContain('typedef ap_fixed<16,2> weight_t;');
    expect(h).toMatch(/struct msa_attn_cfg \{[^}]*Q_PAR = 4u;[^}]*KEY_BLOCK = 8u;/s);
    expect(h).toMatch(/struct ffn_engine_cfg \{[^}]*LANES = 3u;[^}]*SCATTER = true;/s);
    expect(h).toMatch(/struct ffn_expert_fc1_layer \{[^}]*GELU = true;/s);
    expect(h).not.toMatch(/&lt;|&gt;/);
  });

  test('generation is deterministic (same design -> same files)', () => {
    const a = projectFiles(design);
    const b = projectFiles(testDesign('micro', 'zcu102'));
    expect(a.map((f) => [f.path, sha256(f.content)])).toEqual(b.map((f) => [f.path, sha256(f.content)]));
  });

  test('regenerates over a ubimoe project, keeping build outputs', () => {
    mkdirSync(join(dir, 'reports'), { recursive: true });
    writeFileSync(join(dir, 'reports', 'accuracy.json'), '{}');
    writeFileSync(join(dir, 'kernels', 'stale.cpp'), '// left over');
    const other = testDesign('micro', 'zcu102', { ffn_block: { token_lanes: 2 } });
    generateProject(other, dir);
    expect(readManifest(dir)!.design_hash).toBe(designHash(other));
    expect(existsSync(join(dir, 'reports', 'accuracy.json'))).toBe(true);
    expect(existsSync(join(dir, 'kernels', 'stale.cpp'))).toBe(false);
  });

  test('refuses a non-empty directory that is not a ubimoe project, and leaves it alone', () => {
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    expect(() => generateProject(design, foreign)).toThrow(/not empty and not a ubimoe project/);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(foreign, 'kernels'))).toBe(false);
  });

  test('writes into an empty directory', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    generateProject(design, empty);
    expect(readManifest(empty)).not.toBeNull();
  });
});

describe('rendering refuses what is not a C identifier', () => {
  test.each(['a b', '1x', 'x;y', 'int', '', 'a/*', 'x{}'])('%j', (name) => {
    expect(() => cIdent(name, 'name')).toThrow(UserError);
    expect(() => renderStruct({ name, comment: '', consts: [], types: [] })).toThrow(
      /not a valid C identifier/,
    );
  });
  test('a type spelling outside what the generator produces is refused', () => {
    expect(() =>
      renderStruct({ name: 'ok', comment: '', consts: [], types: [{ name: 't', type: 'int; system("x")' }] }),
    ).toThrow(/not a type spelling/);
  });
  test('comments cannot break out of a // line', () => {
    const s = renderStruct({ name: 'ok', comment: 'a\nint evil();', consts: [], types: [] });
    expect(s.split('\n')[0]).toBe('// a?int evil();');
  });
});
