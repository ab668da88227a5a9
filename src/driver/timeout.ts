/**
 * The per-request timeout. Its start value (before any runner has answered) is scaled from the
 * design's estimate (src/design/estimate.ts): csim work is the image's multiply-accumulates,
 * device time its predicted latency; generous, so only a runner that is really stuck trips it.
 * Once answers come, the limit follows the measured time per answer (RequestTimeout below).
 * --timeout / timeoutMs replaces both with a fixed limit.
 */
import { estimateDesign, macsPerImage } from '../design/estimate.js';
import type { Project } from './project.js';

// csim is bit-accurate fixed point: assume a slow 50 M MAC/s (a sanitizer build, a busy machine;
// a quiet core does ~2 G), then allow 10× that; never less than 30 s. On a device: 100× the
// predicted latency, never less than 10 s (first calls, a busy PCIe link).
const CSIM_MACS_PER_SECOND = 50e6;
const CSIM_SAFETY = 10;
const DEVICE_SAFETY = 100;

export function defaultTimeoutMs(project: Project, backend: 'csim' | 'xrt'): number {
  const design = project.design;
  if (backend === 'csim') {
    const seconds = (CSIM_SAFETY * macsPerImage(design.dims)) / CSIM_MACS_PER_SECOND;
    return Math.max(30_000, Math.round(1000 * seconds));
  }
  let predictedMs: number;
  try {
    predictedMs = estimateDesign(design).latencyMs;
  } catch {
    predictedMs = (1000 * macsPerImage(design.dims)) / 1e9; // a design the estimator refuses: ~1 GMAC/s
  }
  return Math.max(10_000, Math.round(DEVICE_SAFETY * predictedMs));
}

// ---------------------------------------------------------------------------------------------
// The adaptive rule. The estimate above is only the start value: once runners answer, a request
// may take at most ADAPTIVE_FACTOR × the median time the runner set took per answer (over the
// last ADAPTIVE_WINDOW answers), and never less than ADAPTIVE_FLOOR_MS. So a runner stopped with
// SIGSTOP on a design that answers in 0.12 s is declared hung after 5 s, not after minutes.

export const ADAPTIVE_FACTOR = 10;
export const ADAPTIVE_FLOOR_MS = 5000;
export const ADAPTIVE_WINDOW = 100;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The per-request timeout given the answer times seen so far (ms, each counted from when the
 * runner could start the request): `startMs` before any answer, else
 * max(floorMs, ADAPTIVE_FACTOR × median), in whole ms.
 */
export function adaptiveTimeoutMs(
  answersMs: readonly number[],
  startMs: number,
  floorMs = ADAPTIVE_FLOOR_MS,
): number {
  if (answersMs.length === 0) return startMs;
  return Math.max(floorMs, Math.round(ADAPTIVE_FACTOR * median(answersMs)));
}

/** "5.0 s", "12 s": the form used in timeout messages. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * The per-request timeout shared by one set of runners: fixed (--timeout, timeoutMs) or adaptive
 * (the rule above). Runners record each answer's time and re-arm their watchdogs when the limit
 * changes, so a request sent under the generous start value is held to the measured limit as soon
 * as another runner has answered.
 */
export class RequestTimeout {
  private readonly answers: number[] = []; // a ring of the last ADAPTIVE_WINDOW answer times
  private nextSlot = 0;
  private current: number;
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly startMs: number,
    readonly adaptive: boolean,
    readonly floorMs: number,
  ) {
    if (!(startMs > 0)) throw new Error(`timeout must be positive, got ${startMs}`);
    this.current = startMs;
  }

  static fixed(ms: number): RequestTimeout {
    return new RequestTimeout(ms, false, ms);
  }

  /** Adaptive, starting at `startMs` (defaultTimeoutMs); the floor is for tests. */
  static adaptive(startMs: number, floorMs = ADAPTIVE_FLOOR_MS): RequestTimeout {
    return new RequestTimeout(startMs, true, floorMs);
  }

  /** The limit now, in ms. */
  get ms(): number {
    return this.current;
  }

  /** Answers recorded (within the window). */
  get answersSeen(): number {
    return this.answers.length;
  }

  /** One answer took `ms` (from when the runner could start it). */
  record(ms: number): void {
    if (!this.adaptive || !Number.isFinite(ms) || ms < 0) return;
    if (this.answers.length < ADAPTIVE_WINDOW) this.answers.push(ms);
    else {
      this.answers[this.nextSlot] = ms;
      this.nextSlot = (this.nextSlot + 1) % ADAPTIVE_WINDOW;
    }
    const next = adaptiveTimeoutMs(this.answers, this.startMs, this.floorMs);
    if (next !== this.current) {
      this.current = next;
      for (const l of [...this.listeners]) l();
    }
  }

  /** Calls `listener` whenever the limit changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where the limit comes from, for messages: "" for a fixed one. */
  describe(): string {
    if (!this.adaptive) return '';
    if (this.answers.length === 0) return ' (the start value, scaled from the design; no answer yet)';
    const med = median(this.answers);
    const medText = med < 1000 ? `${Math.round(med)} ms` : formatSeconds(med);
    return ` (${ADAPTIVE_FACTOR}× the median answer time ${medText}, at least ${formatSeconds(this.floorMs)})`;
  }

  /** What the user can do about a timeout. */
  get advice(): string {
    return this.adaptive ? 'set a fixed limit with --timeout' : 'raise the limit with --timeout';
  }
}
