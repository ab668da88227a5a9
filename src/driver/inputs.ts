/**
 * Driver inputs: images [C,H,W] or token tensors [N,D] as float32, from .npy files ([B,C,H,W]
 * images or [B,N,D] tokens) or PNG frames. Every bad input is a UserError naming the file or the
 * input index: nothing reaches a runner that it would have to refuse.
 */
import { extname } from 'node:path';
import { readNpy } from '../io/npy.js';
import type { ModelConfig } from '../model/config.js';
import { UserError } from '../util/errors.js';
import { readPngFrame } from './png.js';
import type { ModelShape } from './protocol.js';

export interface AcceleratorInput {
  kind: 'image' | 'tokens';
  data: Float32Array; // image [C*H*W] or tokens [N*D], C order
  source?: string; // where it came from, for messages ("a.npy[3]", "frame.png")
}

/** The request dims of an input kind: image [C,H,W], tokens [N,D,1]. */
export function inputDims(kind: AcceleratorInput['kind'], m: ModelShape): [number, number, number] {
  return kind === 'image' ? [m.channels, m.height, m.width] : [m.tokens, m.dim, 1];
}

/** Checks an input's kind, size and values; `index` is its position in the stream. */
export function checkInput(input: AcceleratorInput, m: ModelShape, index: number): void {
  const name = input.source ? `input ${index} (${input.source})` : `input ${index}`;
  if (input.kind !== 'image' && input.kind !== 'tokens')
    throw new UserError(`${name}: kind must be 'image' or 'tokens'`);
  if (!(input.data instanceof Float32Array)) throw new UserError(`${name}: data must be a Float32Array`);
  const [a, b, c] = inputDims(input.kind, m);
  if (input.data.length !== a * b * c) {
    const want = input.kind === 'image' ? `[${a}, ${b}, ${c}]` : `[${a}, ${b}]`;
    throw new UserError(
      `${name}: ${input.data.length} values, but ${input.kind === 'image' ? 'an image' : 'a token input'} of this model is ${want} = ${a * b * c}`,
    );
  }
  const bad = firstNonFinite(input.data);
  if (bad >= 0) throw new UserError(`${name}: value ${bad} is ${input.data[bad]} (inputs must be finite)`);
}

function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return i; // NaN and ±Inf
  }
  return -1;
}

/** A loaded input file: its inputs, all of one kind. */
export interface InputFile {
  path: string;
  kind: AcceleratorInput['kind'];
  inputs: AcceleratorInput[];
}

/** Where notes about the inputs go (a PNG frame resized to another aspect ratio). */
export interface LoadOptions {
  /** One line, without the newline; default: the CLI's stderr (as `ubimoe run` prints its notes). */
  note?: (line: string) => void;
}

const stderrNote = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * Reads input files (.npy and .png, in order) for a model and checks every value. An .npy is
 * images when 4-D [B,C,H,W] and tokens when 3-D [B,N,D]; its shape must match the model. A PNG
 * frame whose aspect ratio is not the model's is resized all the same (bilinear, stretched): one
 * note per distinct frame size says so.
 */
export function loadInputFiles(
  paths: string[],
  model: ModelConfig,
  shape: ModelShape,
  opts: LoadOptions = {},
): AcceleratorInput[] {
  if (paths.length === 0)
    throw new UserError('no input given (--input images.npy | tokens.npy | frame.png ...)');
  const all: AcceleratorInput[] = [];
  const stretched = new Map<string, string[]>(); // "W×H" of the frame -> its files
  for (const path of paths) {
    const ext = extname(path).toLowerCase();
    if (ext === '.npy') all.push(...readNpyInputs(path, shape));
    else if (ext === '.png') {
      const frame = readPngFrame(path, model);
      all.push({ kind: 'image', data: frame.data, source: path });
      // same aspect ratio <=> width·H = height·W (exact in integers)
      if (frame.width * model.img_h !== frame.height * model.img_w) {
        const key = `${frame.width}×${frame.height}`;
        stretched.set(key, [...(stretched.get(key) ?? []), path]);
      }
    } else
      throw new UserError(
        `${path}: input must be a .npy ([B,C,H,W] images or [B,N,D] tokens) or a .png frame`,
      );
  }
  all.forEach((input, i) => checkInput(input, shape, i));
  const note = opts.note ?? stderrNote;
  for (const [size, files] of stretched) note(resizeNote(size, files, model));
  return all;
}

/** "note: frame.png (and 2 more frames of that size) is 640×480 (4:3), the model takes 256×128 (2:1): ..." */
function resizeNote(size: string, files: string[], model: ModelConfig): string {
  const [w, h] = size.split('×').map(Number);
  const ratio = (a: number, b: number) => {
    const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
    const g = gcd(a, b);
    return `${a / g}:${b / g}`;
  };
  const more =
    files.length > 1
      ? ` (and ${files.length - 1} more frame${files.length > 2 ? 's' : ''} of that size)`
      : '';
  return (
    `note: ${files[0]}${more} is ${w}×${h} (${ratio(w, h)}), the model takes ${model.img_w}×${model.img_h} ` +
    `(${ratio(model.img_w, model.img_h)}): resized to ${model.img_w}×${model.img_h} by bilinear interpolation, aspect ratio not kept`
  );
}

export function readNpyInputs(path: string, m: ModelShape): AcceleratorInput[] {
  const arr = readNpy(path);
  // float16 converts to float32 exactly (as ubimoe csim reads it); anything else is refused
  if (arr.dtype !== 'float32' && arr.dtype !== 'float16')
    throw new UserError(`${path}: dtype ${arr.dtype}, inputs must be float32 (or float16)`);
  const data = arr.data as Float32Array;
  const s = arr.shape;
  const image = [m.channels, m.height, m.width];
  const tokens = [m.tokens, m.dim];
  let kind: AcceleratorInput['kind'];
  if (s.length === 4 && s.slice(1).every((d, i) => d === image[i])) kind = 'image';
  else if (s.length === 3 && s.slice(1).every((d, i) => d === tokens[i])) kind = 'tokens';
  else
    throw new UserError(
      `${path}: shape (${s.join(', ')}) is neither images (B, ${image.join(', ')}) nor tokens (B, ${tokens.join(', ')}) of this model`,
    );
  if (s[0] === 0)
    throw new UserError(`${path}: holds no ${kind === 'image' ? 'images' : 'token tensors'} (batch size 0)`);
  const per = data.length / s[0];
  return Array.from({ length: s[0] }, (_, i) => ({
    kind,
    data: data.subarray(i * per, (i + 1) * per),
    source: `${path}[${i}]`,
  }));
}
