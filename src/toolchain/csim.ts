/**
 * C-simulation build: compiles a generated project's kernels + runner with g++ (`-O2`, plus
 * `-march=native` where the compiler supports it: the kernels' wide adder trees vectorise), cached
 * by a hash of every source, the compiler and the flags. Builds go to a temporary name and are
 * renamed into the cache, so concurrent builds of the same sources are safe.
 *
 * Include order: kernels/ (config.h), include/ (building blocks), runner/, then Vitis's headers
 * when XILINX_HLS is set, else the project's csim/ (our ap_int/ap_fixed/hls_stream).
 *
 * The timed variant (`timed`: -DUBIMOE_TIMED_CSIM, always on the project's csim/ headers, which
 * hold the timing engine) is a separate executable with its own cache key (the flags are part of
 * it), so plain and timed builds of one project coexist in the cache.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ToolError, UserError } from '../util/errors.js';
import { removeOnInterrupt } from '../util/interrupt.js';

export interface CsimBuildOptions {
  /** runner/<main>.cpp is the main (default csim_main; the protocol runner is protocol_main). */
  main?: string;
  /** Where builds are cached: default $UBIMOE_CSIM_CACHE, else <project>/build/csim. */
  cacheDir?: string;
  /** Build with -fsanitize=address,undefined (-O1 -g) instead of -O2. */
  sanitize?: boolean;
  /** Extra compiler flags (part of the cache key). */
  extraFlags?: string[];
  /** The compiler (default $CXX, else g++). */
  cxx?: string;
  /** Use the project's csim/ headers even when XILINX_HLS is set (the HLS test bench's golden). */
  projectTypes?: boolean;
  /** The timed C-simulation (-DUBIMOE_TIMED_CSIM, project csim/ headers): `csim_main --cycles`. */
  timed?: boolean;
  /** Told once, before g++ starts (not on a cache hit): compiles take up to minutes. */
  onCompile?: (what: string) => void;
}

export interface CsimBuild {
  exe: string;
  cached: boolean;
  seconds: number;
  hash: string;
}

/** The project's C++ sources below these folders make up a csim build (and its cache key). */
export const SOURCE_DIRS = ['kernels', 'include', 'csim', 'runner'] as const;

export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

const compilerInfo = new Map<string, Promise<{ version: string; march: string | null }>>();

/** The compiler's version line and what -march=native means on this machine (null: unsupported). */
function probeCompiler(cxx: string): Promise<{ version: string; march: string | null }> {
  let p = compilerInfo.get(cxx);
  if (!p) {
    p = (async () => {
      let version: string;
      try {
        version = (await execa(cxx, ['--version'])).stdout.split('\n')[0];
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOENT')
          throw new UserError(
            `C++ compiler '${cxx}' not found: install g++ (Debian: apt-get install g++) or set CXX`,
          );
        throw new UserError(`C++ compiler '${cxx}' does not run: ${(err as Error).message.split('\n')[0]}`);
      }
      let march: string | null = null;
      try {
        const r = await execa(cxx, ['-march=native', '-Q', '--help=target']);
        march = /-march=\s+(\S+)/.exec(r.stdout)?.[1] ?? 'native';
      } catch {
        march = null;
      }
      return { version, march };
    })();
    compilerInfo.set(cxx, p);
    p.catch(() => compilerInfo.delete(cxx));
  }
  return p;
}

/** Compiles (or finds in the cache) the csim runner of `projectDir`. */
export async function buildCsim(projectDir: string, opts: CsimBuildOptions = {}): Promise<CsimBuild> {
  const dir = resolve(projectDir);
  const main = opts.main ?? 'csim_main';
  if (!/^[A-Za-z0-9_]+$/.test(main)) throw new UserError(`csim main '${main}' is not a plain file name`);
  const mainSrc = join(dir, 'runner', `${main}.cpp`);
  if (!existsSync(join(dir, 'manifest.json')) || !existsSync(join(dir, 'kernels', 'config.h')))
    throw new UserError(
      `${projectDir}: not a ubimoe project (no manifest.json / kernels/config.h; create one with ubimoe generate)`,
    );
  if (!existsSync(mainSrc)) throw new UserError(`${projectDir}: no runner/${main}.cpp in this project`);
  const cxx = opts.cxx ?? process.env.CXX ?? 'g++';
  const { version, march } = await probeCompiler(cxx);

  const vitis = opts.projectTypes || opts.timed ? undefined : process.env.XILINX_HLS;
  const includes = ['kernels', 'include', 'runner'].map((d) => `-I${join(dir, d)}`);
  includes.push(vitis ? `-I${join(vitis, 'include')}` : `-I${join(dir, 'csim')}`);
  const flags = [
    '-std=c++17',
    ...(opts.sanitize ? ['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer'] : ['-O2']),
    ...(march && !opts.sanitize ? ['-march=native'] : []),
    '-Wno-unknown-pragmas',
    ...(opts.timed ? ['-DUBIMOE_TIMED_CSIM'] : []),
    ...(opts.extraFlags ?? []),
  ];
  const sources = [
    ...listFiles(join(dir, 'kernels')).filter((f) => f.endsWith('.cpp')),
    join(dir, 'runner', 'forward.cpp'),
    mainSrc,
  ];

  const h = createHash('sha256');
  h.update(JSON.stringify({ version, march, flags, main, vitis: vitis ?? null }));
  for (const d of SOURCE_DIRS)
    for (const f of listFiles(join(dir, d))) {
      h.update(relative(dir, f));
      h.update(readFileSync(f));
    }
  const hash = h.digest('hex').slice(0, 24);
  const cacheRoot = resolve(opts.cacheDir ?? process.env.UBIMOE_CSIM_CACHE ?? join(dir, 'build', 'csim'));
  const outDir = join(cacheRoot, hash);
  const exe = join(outDir, main);
  if (existsSync(exe)) return { exe, cached: true, seconds: 0, hash };

  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `.${main}.${process.pid}.${Date.now()}.tmp`);
  const args = [...flags, ...includes, ...sources, '-o', tmp];
  const unregister = removeOnInterrupt(tmp); // an interrupted compile leaves no partial executable
  opts.onCompile?.(`${cxx} ${main}${opts.timed ? ' (timed)' : ''}, ${sources.length} sources -> ${outDir}`);
  const start = Date.now();
  const r = await execa(cxx, args, { reject: false, all: true });
  const seconds = (Date.now() - start) / 1000;
  writeFileSync(join(outDir, `${main}.build.log`), `${cxx} ${args.join(' ')}\n${r.all ?? ''}\n`);
  if (r.exitCode !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    // an external tool's failure: its first error and the log's tail, no stack (exit 1)
    const lines = (r.all ?? '').split('\n').filter((l) => l.trim());
    const first = lines.find((l) => /error/.test(l)) ?? lines[0] ?? '';
    const tail = lines.slice(-10).filter((l) => l !== first);
    throw new ToolError(
      `csim build of ${projectDir} failed (${cxx} exit ${r.exitCode}): ${first}\n${tail.map((l) => `  ${l}`).join('\n')}${tail.length ? '\n' : ''}  full log: ${join(outDir, `${main}.build.log`)}`,
    );
  }
  renameSync(tmp, exe);
  unregister();
  return { exe, cached: false, seconds, hash };
}
