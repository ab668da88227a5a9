/**
 * A small seeded PRNG for synthetic checkpoints and test data: xoshiro128** (32-bit state words,
 * imul only, so the stream is identical on every platform), seeded through splitmix32,
 * with Box-Muller normals. Not cryptographic; fast and reproducible.
 */

// Math functions bound once at module scope: inside Node vm contexts (jest) every global lookup
// in a hot loop goes through the context's interceptors and is many times slower.
const { imul, log, sqrt, sin, cos, abs, floor, PI } = Math;

/** FNV-1a hash of a string (used to derive an independent stream per tensor name). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  /** `seed` is any non-negative safe integer; `stream` selects an independent sequence (e.g. a name hash). */
  constructor(seed: number, stream = 0) {
    const lo = seed >>> 0;
    const hi = floor(seed / 2 ** 32) >>> 0;
    const st = { s: (lo ^ imul(hi, 0x27d4eb2d) ^ imul(stream, 0x165667b1)) | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st) | 1; // never the all-zero state
    for (let i = 0; i < 8; i++) this.nextU32(); // let the seeding settle
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = imul(rotl(imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box-Muller; both values of a pair are used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = (this.nextU32() + 1) / 4294967296; // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = sqrt(-2 * log(u1));
    this.spare = r * sin(2 * PI * u2);
    return r * cos(2 * PI * u2);
  }

  /** Normal with the given mean/std, redrawn until within ±`clip` standard deviations. */
  truncNormal(mean: number, std: number, clip = 3): number {
    for (;;) {
      const z = this.normal();
      if (abs(z) <= clip) return mean + std * z;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
