/**
 * Previews: the image a tool result shows the model, made to fit what hosts accept.
 *
 * Claude Desktop refuses a tool result over 1 MiB, Claude Code one over 25,000 tokens; Claude's
 * vision uses at most 1,568 px on the long edge and refuses a side over 8,000 px; models return
 * 1–5 MB PNGs. An image that fits is sent as it is; else a JPEG preview is made in WASM (one
 * build for macOS, Windows and Linux, no native add-on).
 *
 * Codec choice: jSquash (@jsquash/png, /jpeg, /webp, /resize: Squoosh's codecs, MozJPEG among
 * them, as WASM) plus omggif (GIF, plain JS) and image-size (headers, plain JS). Measured with
 * `pnpm tsx bench/preview-codecs.ts --node22` on Node 20.20, Linux x64, 2 cores, budget 75,000 B;
 * ms = median of 5 after a first run; inputs photo-like (gaussian noise over a gradient, the worst
 * case for JPEG); preview = the size each gets to at the budget with the same search:
 *
 *   library            installed  decodes           1792×1024 PNG 4.9 MB       3000×2000 JPEG 3.5 MB  8000×400 PNG  peak RSS
 *   jSquash             2.3 MB    png jpeg webp     618 ms  1568×896 q40       599 ms  1568×1045 q55   142 ms       280 MB
 *   photon-node         2.2 MB    png jpeg webp gif 802 ms  1004×573 q40      1229 ms  1254×836  q40   241 ms       181 MB
 *   wasm-vips          12.4 MB    png jpeg webp gif 204 ms  1254×717 q40       282 ms  1568×1045 q40    70 ms       357 MB
 *   sharp-wasm32       11.1 MB    png jpeg webp gif 491 ms  1568×896 q40       403 ms  1568×1045 q55    58 ms       212 MB
 *   magick-wasm        29.7 MB    png jpeg webp gif 451 ms  1254×717 q40       625 ms  1568×1045 q40   209 ms       280 MB
 *   jimp (plain JS)    33.2 MB    png jpeg gif     1846 ms  1004×573 q40      2523 ms  1254×836  q40   246 ms       333 MB
 *   makePreview here   (jSquash)                   612 ms  1568×896 q46       744 ms  1568×1045 q60   239 ms       246 MB
 *
 * All run on Node 20 and 22 as ESM with no native code. Why jSquash: of the two small enough for
 * a package meant to stay under 10 MB (wasm-vips, sharp's WASM build and ImageMagick are 11–30 MB
 * alone), it has MozJPEG. photon's encoder (the `image` crate) writes 2–3× the bytes at the same
 * quality setting (1568×896 at q40: 128 KB against 50 KB), so at 75 KB photon must shrink to
 * 1,004 px where jSquash keeps 1,568 px. (PSNR, in the bench, does not tell them apart on these
 * noise-dominated inputs.) Its costs: no GIF decoder (omggif, 56 KB, reads the first frame), and
 * in Node its WASM must be read and compiled by hand (done below). makePreview's times include
 * its worker thread (~40 ms).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ImageMimeType, sniffImageType } from '@genimix/core';
import { imageSize } from 'image-size';
import { CODEC_SCRIPTS, CODEC_WASM } from './preview/codec-files.js';
import {
  type CodecName,
  type PreviewSettings,
  type WasmModule,
  type WorkerJob,
  type WorkerMessage,
  workerSource,
} from './preview/worker.js';

/**
 * The default byte budget of a preview: 75,000 bytes, whose base64 is 100,000 characters.
 * Claude Desktop refuses a tool result over 1 MiB; Claude Code one over 25,000 tokens
 * (`MAX_MCP_OUTPUT_TOKENS`), and it has been seen to count an image's base64 like text
 * (anthropics/claude-code#9152), about 4 characters a token: 100,000 characters is that limit.
 * Lower it (`GENIMIX_PREVIEW_MAX_BYTES`) where a host counts more strictly.
 */
export const DEFAULT_PREVIEW_MAX_BYTES = 75_000;

/**
 * The long edge Claude's vision uses at most; a larger image is scaled down by the API anyway.
 * It also keeps every side under the 8,000 px Claude refuses.
 */
export const MAX_LONG_EDGE = 1_568;

/** A preview's long edge is not made smaller than this, px, while the budget can be met there: the model must judge the image. */
export const MIN_PREVIEW_LONG_EDGE = 512;

/**
 * The most pixels a preview is made from (50 megapixels, e.g. 7,071 × 7,071). Larger images are
 * refused from their header (for a JPEG, also from its frame header as libjpeg finds it), before
 * any decoding: a 20,000 × 20,000 PNG of one colour is a few kilobytes that would decode to
 * 1.6 GB. Within the limit a preview costs, for a moment, about 13 bytes a pixel (measured, PNG:
 * 16.7 MP ≈ 420 MB, 64 MP ≈ 1 GB; a 120 KB 10,000 × 10,000 PNG took the server to 1.2 GB RSS),
 * so about 650 MB at the limit, all of it given back when the preview's worker ends; pass a lower
 * `maxPixels` where that is too much.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** The JPEG qualities searched, from the first tried to the lowest used before scaling down. */
export const PREVIEW_QUALITY = { max: 85, min: 40 } as const;

/** The smallest byte budget accepted: a 1 px JPEG fits in it, so a preview can always be made. */
export const MIN_PREVIEW_BUDGET = 1_024;

/** How to make a preview. */
export interface PreviewOptions {
  /** Byte budget of the preview's encoded bytes (not of its base64); at least {@link MIN_PREVIEW_BUDGET}. */
  maxBytes: number;
  /** Refuse images with more pixels than this (default {@link DEFAULT_MAX_PIXELS}). */
  maxPixels?: number;
  /**
   * Never send the original bytes: always a re-encoded JPEG (still within `maxBytes`, long edge
   * at most 1,568 px, never enlarged), made from the decoded pixels only. For bytes that carry
   * something the model must not see (metadata holding a secret).
   */
  reencode?: boolean;
}

/** An image's size and type, read from its header. */
export interface ImageInfo {
  /** Pixels, as shown (a JPEG's EXIF rotation by 90° swaps width and height). */
  width: number;
  /** Pixels, as shown. */
  height: number;
  /** The type the bytes are, whatever they were declared as. */
  mimeType: ImageMimeType;
}

/** The image the model is shown. */
export interface Preview {
  /** The encoded image: the original bytes themselves when `original`. */
  data: Uint8Array;
  /** The type of `data`: the original's (as its bytes say) or `image/jpeg` for a preview. */
  mimeType: ImageMimeType;
  /** Pixels, as decoded (not as the header claims; {@link imageInfo} may differ for a hostile file). */
  width: number;
  /** Pixels, as decoded. */
  height: number;
  /** Bytes of `data`. */
  size: number;
  /** True when `data` is the image itself, false for a re-encoded preview. */
  original: boolean;
  /** The JPEG quality of a preview; absent for the original. */
  quality?: number;
}

/** Why a preview could not be made. */
export type PreviewErrorCode =
  | 'unsupported-type'
  | 'unreadable-header'
  | 'too-many-pixels'
  | 'undecodable'
  | 'budget-too-small'
  | 'worker-failed';

/** A preview could not be made; `message` is written to be shown to the model or a person as it is. */
export class PreviewError extends Error {
  override readonly name = 'PreviewError';

  constructor(
    readonly code: PreviewErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Width, height and type of an image from its header, without decoding it (image-size, pure JS).
 *
 * @param data the whole image
 * @param mimeType the declared type, named in the error when the bytes are no image; the type
 *   returned is the one the bytes are
 * @throws {PreviewError} `unsupported-type` when the bytes are no PNG, JPEG, WebP or GIF;
 *   `unreadable-header` when their header is broken
 */
export function imageInfo(data: Uint8Array, mimeType: string): ImageInfo {
  const type = sniffImageType(data);
  if (!type)
    throw new PreviewError(
      'unsupported-type',
      `the data (declared ${mimeType ? `as ${mimeType}` : 'without a type'}) is not a PNG, JPEG, WebP or GIF image`,
    );
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(data);
  } catch (error) {
    throw new PreviewError('unreadable-header', `the ${type} header cannot be read (${(error as Error).message})`);
  }
  if (!(size.width > 0 && size.height > 0))
    throw new PreviewError('unreadable-header', `the ${type} header gives no size`);
  // EXIF orientations 5–8 turn the picture by 90°; the preview is decoded upright.
  const turned = type === 'image/jpeg' && (size.orientation ?? 1) >= 5;
  return { width: turned ? size.height : size.width, height: turned ? size.width : size.height, mimeType: type };
}

/**
 * The image the model is shown: the image itself when it fits (bytes ≤ `maxBytes`, long edge
 * ≤ 1,568 px, so no side over 8,000; PNG, JPEG, WebP or GIF) and is what its header says, else a
 * JPEG preview: long edge at most 1,568 px (never enlarged), transparency flattened on white,
 * quality searched from 85 down to 40 and then made smaller (not under 512 px while the budget can
 * be met there; under it rather than failing) until it fits `maxBytes`.
 *
 * Headers can lie (image-size and real decoders disagree on crafted files: a GIF whose 10×10
 * screen holds a 12,000×3,000 frame, a JPEG whose fill byte hides its real frame header, a PNG
 * whose pixels are junk), so every image is decoded, in one worker run: the original is sent only
 * when the decoder read it, without a warning, at exactly the header's size (for a GIF, every
 * frame within its screen); then the worker sends back no pixels and encodes nothing. Else the
 * preview is made from the decoded pixels, and its width and height are the decoded ones.
 *
 * The first preview loads the codecs (WASM, compiled once); each preview is made in a worker
 * thread that ends with it, so no decoded pixels stay behind. Previews are made one at a time
 * (see {@link setPreviewConcurrency}).
 *
 * @throws {PreviewError} see {@link PreviewErrorCode}; `too-many-pixels` above `maxPixels`, before
 *   any decoding; `undecodable` for data no decoder reads (a CMYK JPEG among them)
 * @throws {RangeError} for a `maxBytes` under {@link MIN_PREVIEW_BUDGET}
 */
export async function makePreview(data: Uint8Array, mimeType: string, options: PreviewOptions): Promise<Preview> {
  const { maxBytes, maxPixels = DEFAULT_MAX_PIXELS, reencode = false } = options;
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_PREVIEW_BUDGET)
    throw new RangeError(`maxBytes must be a whole number of at least ${MIN_PREVIEW_BUDGET}, not ${maxBytes}`);
  const info = imageInfo(data, mimeType);
  let { width, height } = info;
  if (info.mimeType === 'image/jpeg') {
    // The frame header where libjpeg finds it, which image-size may not (fill bytes, garbage between segments).
    const frame = jpegFrame(data);
    if (frame && frame.components !== 1 && frame.components !== 3) {
      throw new PreviewError(
        'undecodable',
        frame.components === 4
          ? 'the image/jpeg image cannot be decoded: it is a CMYK JPEG (4 colour channels, as made for print), which the preview decoder does not read; convert it to RGB'
          : `the image/jpeg image cannot be decoded: it has ${frame.components} colour channels, where the preview decoder reads 1 (grey) or 3 (colour)`,
      );
    }
    if (frame && frame.width * frame.height > width * height) ({ width, height } = frame);
  }
  if (width * height > maxPixels) {
    const megapixels = (n: number): string => `${Number((n / 1e6).toFixed(1))} megapixels`;
    throw new PreviewError(
      'too-many-pixels',
      `the image is ${width}×${height} px (${megapixels(width * height)}), over the ${megapixels(maxPixels)} a preview is made from, so it was not decoded`,
    );
  }
  const fits = !reencode && data.byteLength <= maxBytes && Math.max(info.width, info.height) <= MAX_LONG_EDGE;
  const settings: PreviewSettings = {
    maxLongEdge: MAX_LONG_EDGE,
    minLongEdge: MIN_PREVIEW_LONG_EDGE,
    qualityMax: PREVIEW_QUALITY.max,
    qualityMin: PREVIEW_QUALITY.min,
  };
  const message = await inTurn(async () => {
    const codecs = await loadCodecs(info.mimeType);
    // A copy of just the image, moved to the worker: the caller's bytes stay the caller's, and a
    // view into a larger buffer does not drag that buffer along.
    const job: WorkerJob = {
      data: new Uint8Array(data),
      type: info.mimeType,
      maxBytes,
      maxPixels,
      settings,
      ...codecs,
    };
    if (fits) job.keepOriginal = { width: info.width, height: info.height };
    return runWorker(job);
  });
  if ('original' in message) {
    return {
      data,
      mimeType: info.mimeType,
      width: message.original.width,
      height: message.original.height,
      size: data.byteLength,
      original: true,
    };
  }
  const { result } = message;
  return {
    data: result.data,
    mimeType: 'image/jpeg',
    width: result.width,
    height: result.height,
    size: result.data.byteLength,
    original: false,
    quality: result.quality,
  };
}

/**
 * A JPEG's first frame header (SOF), found as libjpeg finds it: after each segment, bytes up to
 * the next 0xFF are skipped, then any 0xFF fill bytes. Undefined where libjpeg would fail first.
 */
export function jpegFrame(data: Uint8Array): { width: number; height: number; components: number } | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let p = 2;
  while (p < data.length) {
    while (p < data.length && data[p] !== 0xff) p++;
    while (p < data.length && data[p] === 0xff) p++;
    if (p >= data.length) return undefined;
    const marker = data[p++]!;
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // stuffed zero, TEM, RSTn: no length
    if (marker === 0xd8 || marker === 0xd9 || marker === 0xda) return undefined; // SOI again, EOI or SOS before any frame
    if (p + 2 > data.length) return undefined;
    const length = (data[p]! << 8) | data[p + 1]!;
    if (length < 2) return undefined;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (p + 8 > data.length) return undefined;
      return {
        height: (data[p + 3]! << 8) | data[p + 4]!,
        width: (data[p + 5]! << 8) | data[p + 6]!,
        components: data[p + 7]!,
      };
    }
    p += length;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Codecs: jSquash (Squoosh's codecs as WASM) and omggif (GIF, plain JS), found from this module's
// location (see ./preview/codec-files.ts), wherever the package is installed, bundled or not.

/** Defined (true) by the bundle's build: the codecs are files beside the bundle. */
declare const __GENIMIX_BUNDLE__: boolean | undefined;

const BUNDLED = typeof __GENIMIX_BUNDLE__ !== 'undefined' && __GENIMIX_BUNDLE__;

const DECODERS: Record<ImageMimeType, CodecName> = {
  'image/png': 'pngDecode',
  'image/jpeg': 'jpegDecode',
  'image/webp': 'webpDecode',
  'image/gif': 'gifDecode',
};

const requireHere = createRequire(import.meta.url);

/** The global WebAssembly API, as far as it is used here. */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

/** Compiled WASM modules by codec, compiled on first use; a failed compile is tried again next time. */
const compiled = new Map<CodecName, Promise<WasmModule>>();

/** The file URL of a codec's script. */
function scriptUrl(name: CodecName): string {
  return BUNDLED
    ? new URL(`./codecs/${name}.js`, import.meta.url).href
    : pathToFileURL(requireHere.resolve(CODEC_SCRIPTS[name].package)).href;
}

/** The path of a codec's WASM file. */
function wasmPath(file: { package: string; bundled: string }): string {
  return BUNDLED
    ? fileURLToPath(new URL(`./wasm/${file.bundled}`, import.meta.url))
    : requireHere.resolve(file.package);
}

function compile(name: CodecName, file: { package: string; bundled: string }): Promise<WasmModule> {
  let module = compiled.get(name);
  if (!module) {
    module = readFile(wasmPath(file)).then((bytes) => WebAssembly.compile(bytes));
    module.catch(() => compiled.delete(name));
    compiled.set(name, module);
  }
  return module;
}

/** The file URLs and compiled modules the worker needs for an image of `type`. */
async function loadCodecs(type: ImageMimeType): Promise<Pick<WorkerJob, 'urls' | 'modules'>> {
  const urls: WorkerJob['urls'] = {};
  const modules: WorkerJob['modules'] = {};
  for (const name of [DECODERS[type], 'resize', 'jpegEncode'] as const) {
    urls[name] = scriptUrl(name);
    const wasm = CODEC_WASM[name];
    if (wasm) modules[name] = await compile(name, wasm);
  }
  return { urls, modules };
}

// ---------------------------------------------------------------------------------------------
// The worker.

let concurrency = 1;
let running = 0;
const waiting: Array<() => void> = [];

/**
 * How many previews may be made at once, each in its own worker: 1 by default (one user's
 * server: at most one preview's pixels in memory, up to 200 MB for a 50-megapixel image); the
 * HTTP server, which serves many users at once, sets the machine's parallelism.
 */
export function setPreviewConcurrency(n: number): void {
  concurrency = Math.max(1, Math.floor(n));
  while (running < concurrency && waiting.length > 0) {
    running++;
    waiting.shift()!();
  }
}

/** Runs `task` once fewer than the allowed number of previews are being made, in arrival order. */
async function inTurn<T>(task: () => Promise<T>): Promise<T> {
  // A waiter is handed the slot of the task that ends (running stays counted), so a newcomer
  // cannot slip in between and exceed the limit.
  if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await task();
  } finally {
    const next = running <= concurrency ? waiting.shift() : undefined;
    if (next) next();
    else running--;
  }
}

/** A preview taking longer than this is given up (a 64-megapixel PNG takes about 3 s here). */
export const PREVIEW_TIMEOUT_MS = 60_000;

/** Makes the preview of `job` in a new worker thread and ends the worker, whatever happens. */
async function runWorker(job: WorkerJob): Promise<Exclude<WorkerMessage, { failure: unknown }>> {
  // stdout: true keeps anything a codec prints off this process's stdout, the MCP stdio channel.
  const worker = new Worker(workerSource(), {
    eval: true,
    workerData: job,
    transferList: [job.data.buffer as ArrayBuffer],
    stdout: true,
  });
  worker.stdout.pipe(process.stderr, { end: false });
  let timer: NodeJS.Timeout | undefined;
  try {
    const message = await new Promise<WorkerMessage>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`it stopped with exit code ${code}`)));
      timer = setTimeout(() => reject(new Error(`it took over ${PREVIEW_TIMEOUT_MS / 1000} s`)), PREVIEW_TIMEOUT_MS);
    });
    if ('failure' in message) throw new PreviewError(message.failure.code as PreviewErrorCode, message.failure.message);
    return message;
  } catch (error) {
    if (error instanceof PreviewError) throw error;
    throw new PreviewError('worker-failed', `the preview could not be made (${(error as Error).message})`);
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}
