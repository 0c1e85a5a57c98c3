/**
 * The part of a preview that runs in a worker thread: decode, flatten, scale, encode to a budget.
 *
 * Why a worker: WASM memory only grows. A module that once decoded a 60-megapixel PNG keeps
 * hundreds of megabytes for the life of the process, and the server lives for hours. A worker
 * per preview hands all of it back when it ends; it also keeps the server answering (progress,
 * other calls) while a preview takes a few hundred milliseconds of CPU.
 *
 * How: tsup bundles this package into dist/cli.js (and chunks), so there is no worker file
 * to point a `Worker` at. The functions below are sent to the worker as their source text
 * ({@link workerSource}), so they may use only their parameters, globals and each other: no
 * imports, no module constants (type-only imports are erased). The codecs are loaded in the
 * worker from file URLs and from WebAssembly modules compiled once on the main thread.
 */
import type { ImageMimeType } from '@genimix/core';
import type { GifReader as GifReaderClass } from 'omggif';

/** A compiled `WebAssembly.Module` (the ES2023 lib and @types/node 20 do not declare WebAssembly). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** What the worker is told to load, by name: a script (file URL) and, for WASM codecs, its compiled module. */
export type CodecName = 'pngDecode' | 'jpegDecode' | 'webpDecode' | 'gifDecode' | 'resize' | 'jpegEncode';

/** The numbers a preview is made to. */
export interface PreviewSettings {
  /** Long edge of a preview at most, px (Claude's vision uses 1,568 px at most). */
  maxLongEdge: number;
  /** Long edge a preview is not scaled below while the budget can be met above it, px. */
  minLongEdge: number;
  /** The JPEG quality tried first. */
  qualityMax: number;
  /** The lowest JPEG quality used; below it the preview is made smaller instead. */
  qualityMin: number;
}

/** One preview to make. */
export interface WorkerJob {
  data: Uint8Array;
  type: ImageMimeType;
  maxBytes: number;
  maxPixels: number;
  settings: PreviewSettings;
  /**
   * The size the header gives (upright), when the original may be sent as it is: it is sent only
   * when the decoder's image is exactly this size, decoded without a warning, and (GIF) every frame
   * lies within the logical screen. Absent: always a JPEG preview.
   */
  keepOriginal?: { width: number; height: number };
  urls: Partial<Record<CodecName, string>>;
  modules: Partial<Record<CodecName, WasmModule>>;
}

/** A preview made in the worker. */
export interface WorkerResult {
  data: Uint8Array;
  width: number;
  height: number;
  quality: number;
  /** JPEG encodes it took. */
  attempts: number;
}

/** Why the worker made none; `code` is one of `PreviewErrorCode`. */
export interface WorkerFailure {
  code: string;
  message: string;
}

/** The original can be sent as it is: the decoder read it at the size its header gives. No pixels come back. */
export interface WorkerOriginal {
  width: number;
  height: number;
}

/** The worker's one message. */
export type WorkerMessage = { result: WorkerResult } | { original: WorkerOriginal } | { failure: WorkerFailure };

/** RGBA pixels, 8 bits a channel, rows top to bottom (the shape of jSquash's ImageData). */
export interface Rgba {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Decoded pixels, and whether the file's own description of them can be trusted. */
export interface Decoded extends Rgba {
  /**
   * False when the decoder warned (e.g. a JPEG cut short, grey where data was missing) or a GIF
   * frame reaches outside its logical screen: other decoders may show something else, so the
   * original is not sent as it is.
   */
  trusted: boolean;
}

/** What the worker gets from its wrapper: a dynamic import and `node:worker_threads`. */
export interface WorkerEnv {
  load: (url: string) => Promise<Record<string, unknown>>;
  threads: typeof import('node:worker_threads');
}

/** The codec calls the budget search makes (a seam: the search does not care who encodes). */
export interface PixelOps {
  resize(image: Rgba, width: number, height: number): Promise<Rgba>;
  encodeJpeg(image: Rgba, quality: number): Promise<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Everything from here to workerSource runs in the worker. Keep it self-contained.

/** The worker's entry: makes the preview of `workerData` and posts one {@link WorkerMessage}. */
export async function previewWorkerMain(env: WorkerEnv): Promise<void> {
  const { parentPort, workerData } = env.threads;
  const job = workerData as WorkerJob;
  // jSquash's resize returns `new ImageData(...)`, a browser global. This is the worker's own
  // global scope, so defining it here touches nothing of the server's.
  const scope = globalThis as { ImageData?: unknown };
  scope.ImageData ??= class ImageData {
    constructor(
      public data: Uint8ClampedArray,
      public width: number,
      public height: number,
    ) {}
  };
  let message: WorkerMessage;
  try {
    const decoded = await decodeImage(job, env.load);
    const keep = job.keepOriginal;
    if (
      keep &&
      decoded.trusted &&
      decoded.width === keep.width &&
      decoded.height === keep.height &&
      Math.max(decoded.width, decoded.height) <= job.settings.maxLongEdge
    ) {
      parentPort!.postMessage({ original: { width: decoded.width, height: decoded.height } } satisfies WorkerMessage);
      return;
    }
    let source: Rgba | undefined = decoded;
    flattenOnWhite(source.data);
    const ops = await loadPixelOps(job, env.load);
    const base = await scaleToLongEdge(
      source,
      Math.min(job.settings.maxLongEdge, Math.max(source.width, source.height)),
      ops,
    );
    source = undefined; // the full-size pixels are not needed past this point
    message = { result: await fitBudget(base, job.maxBytes, job.settings, ops) };
  } catch (error) {
    const coded = error as { code?: unknown; message?: unknown };
    const code = typeof coded?.code === 'string' ? coded.code : 'undecodable';
    const text = typeof coded?.message === 'string' ? coded.message : String(error);
    message = {
      failure: { code, message: code === 'undecodable' ? `the ${job.type} image cannot be decoded (${text})` : text },
    };
  }
  const transfer = 'result' in message ? [message.result.data.buffer as ArrayBuffer] : [];
  parentPort!.postMessage(message, transfer);
}

/**
 * Decodes `job.data` (the first frame of a GIF) to RGBA, refusing more than `job.maxPixels` pixels.
 * A GIF's first frame is drawn on its logical screen, made large enough to hold the frame when the
 * frame reaches outside it (a 10×10 screen may carry a 12,000×3,000 frame); the size is checked
 * before anything is allocated. The Emscripten decoders' messages are caught, not printed: a
 * warning makes the result untrusted, an error (a CMYK JPEG, say) is the error's text.
 */
export async function decodeImage(job: WorkerJob, load: WorkerEnv['load']): Promise<Decoded> {
  const tooMany = (width: number, height: number): Error =>
    Object.assign(
      new Error(
        `the image is ${width}×${height} px, over the ${job.maxPixels.toLocaleString('en-US')} pixels a preview is made from`,
      ),
      { code: 'too-many-pixels' },
    );
  if (job.type === 'image/gif') {
    const gif = (await load(job.urls.gifDecode!)) as {
      GifReader?: typeof GifReaderClass;
      default?: { GifReader: typeof GifReaderClass };
    };
    const GifReader = gif.GifReader ?? gif.default!.GifReader;
    let reader = new GifReader(job.data);
    if (reader.numFrames() < 1) throw new Error('it has no image in it');
    let inScreen = true;
    for (let i = 0; i < reader.numFrames(); i++) {
      const frame = reader.frameInfo(i);
      if (frame.x + frame.width > reader.width || frame.y + frame.height > reader.height) inScreen = false;
    }
    const first = reader.frameInfo(0);
    const width = Math.max(reader.width, first.x + first.width);
    const height = Math.max(reader.height, first.y + first.height);
    if (width * height > job.maxPixels || first.width * first.height > job.maxPixels) throw tooMany(width, height);
    if (width * height === 0) throw new Error('its size is 0 px');
    if (width !== reader.width || height !== reader.height) {
      // omggif draws on a canvas of the logical screen's size: widen the screen in a copy.
      const copy = job.data.slice();
      copy[6] = width & 0xff;
      copy[7] = width >> 8;
      copy[8] = height & 0xff;
      copy[9] = height >> 8;
      reader = new GifReader(copy);
    }
    const data = new Uint8ClampedArray(width * height * 4); // transparent until the frame covers it
    reader.decodeAndBlitFrameRGBA(0, data);
    return { data, width, height, trusted: inScreen };
  }
  const name: CodecName =
    job.type === 'image/png' ? 'pngDecode' : job.type === 'image/jpeg' ? 'jpegDecode' : 'webpDecode';
  const codec = (await load(job.urls[name]!)) as {
    init(module: WasmModule, options?: object): Promise<unknown>;
    default(data: ArrayBuffer | Uint8Array, options?: object): Promise<Rgba>;
  };
  const said: string[] = [];
  // Emscripten's: printErr gets libjpeg's and libwebp's messages; quit, called on a fatal error,
  // throws instead of ending the worker. (The PNG decoder, Rust, throws and ignores these.)
  await codec.init(job.modules[name]!, {
    print: (text: string) => said.push(String(text)),
    printErr: (text: string) => said.push(String(text)),
    quit: (_status: number, toThrow: unknown) => {
      throw toThrow;
    },
  });
  let image: Rgba;
  try {
    // The main thread sent a copy of exactly the image, so its buffer is the image (the decoders read all they are given).
    image = await codec.default(job.data.buffer as ArrayBuffer, { preserveOrientation: true });
  } catch (error) {
    const text = said.filter(Boolean).join('; ') || String((error as Error)?.message ?? error);
    throw new Error(text);
  }
  if (!image || !(image.width > 0 && image.height > 0)) throw new Error(said.join('; ') || 'the decoder gave no image');
  if (image.width * image.height > job.maxPixels) throw tooMany(image.width, image.height);
  return { data: image.data, width: image.width, height: image.height, trusted: said.length === 0 };
}

/** The resize (Lanczos3, sRGB) and JPEG encoder of jSquash, initialised from the compiled modules. */
export async function loadPixelOps(job: WorkerJob, load: WorkerEnv['load']): Promise<PixelOps> {
  const resizer = (await load(job.urls.resize!)) as {
    initResize(module: WasmModule): Promise<unknown>;
    default(image: Rgba, options: object): Promise<Rgba>;
  };
  const encoder = (await load(job.urls.jpegEncode!)) as {
    init(module: WasmModule): Promise<unknown>;
    default(image: Rgba, options: object): Promise<ArrayBuffer>;
  };
  await resizer.initResize(job.modules.resize!);
  await encoder.init(job.modules.jpegEncode!);
  return {
    // Opaque by now (flattened), so no premultiplying; sRGB filtering is what viewers do and 5× faster than linear.
    resize: (image, width, height) =>
      resizer.default(ownBuffer(image), {
        width,
        height,
        method: 'lanczos3',
        fitMethod: 'stretch',
        premultiply: false,
        linearRGB: false,
      }),
    // Baseline, not progressive: 2–3× faster to encode for 2–3 % more bytes. `baseline: true`
    // keeps quantisation tables 8-bit: at low qualities MozJPEG would else write 16-bit tables
    // (extended-sequential JPEG), which not every decoder reads.
    encodeJpeg: async (image, quality) =>
      new Uint8Array(
        await encoder.default(image, { quality, baseline: true, progressive: false, optimize_coding: true }),
      ),
  };
}

/** `image` with pixels that fill their ArrayBuffer: jSquash's resize reads the whole buffer. */
export function ownBuffer(image: Rgba): Rgba {
  const { data } = image;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return image;
  return { data: data.slice(), width: image.width, height: image.height };
}

/** Puts every pixel that is not opaque on white, in place (JPEG has no alpha). */
export function flattenOnWhite(data: Uint8ClampedArray): void {
  for (let i = 3; i < data.length; i += 4) {
    const alpha = data[i]!;
    if (alpha === 255) continue;
    const white = 255 * (255 - alpha);
    data[i - 3] = (data[i - 3]! * alpha + white) / 255;
    data[i - 2] = (data[i - 2]! * alpha + white) / 255;
    data[i - 1] = (data[i - 1]! * alpha + white) / 255;
    data[i] = 255;
  }
}

/** Width and height that keep the aspect with the long edge `longEdge`; no side under 1 px. */
export function fitDimensions(width: number, height: number, longEdge: number): { width: number; height: number } {
  const scale = longEdge / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * `image` scaled so its long edge is `longEdge` (never up). Far larger images are first averaged
 * down by a whole factor in plain JS, so the WASM resize never gets a copy of a huge image.
 */
export async function scaleToLongEdge(image: Rgba, longEdge: number, ops: PixelOps): Promise<Rgba> {
  const target = fitDimensions(image.width, image.height, Math.min(longEdge, Math.max(image.width, image.height)));
  if (target.width === image.width && target.height === image.height) return image;
  const factor = Math.floor(Math.max(image.width, image.height) / longEdge / 2);
  const source = factor >= 2 ? boxShrink(image, factor) : image;
  return ops.resize(source, target.width, target.height);
}

/** `image` shrunk by the whole `factor`: each output pixel the mean of a factor×factor block (edge blocks: what there is). */
export function boxShrink(image: Rgba, factor: number): Rgba {
  const { data, width, height } = image;
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  const sums = new Uint32Array(outWidth * 4);
  const counts = new Uint32Array(outWidth);
  for (let outY = 0; outY < outHeight; outY++) {
    sums.fill(0);
    counts.fill(0);
    for (let y = outY * factor; y < Math.min(height, outY * factor + factor); y++) {
      for (let x = 0, i = y * width * 4; x < width; x++, i += 4) {
        const column = (x / factor) | 0;
        const j = column * 4;
        sums[j]! += data[i]!;
        sums[j + 1]! += data[i + 1]!;
        sums[j + 2]! += data[i + 2]!;
        sums[j + 3]! += data[i + 3]!;
        counts[column]!++;
      }
    }
    for (let column = 0, o = outY * outWidth * 4; column < outWidth; column++, o += 4) {
      const count = counts[column]!;
      for (let c = 0; c < 4; c++) out[o + c] = (sums[column * 4 + c]! + count / 2) / count;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/**
 * The preview of `base` (already at most `settings.maxLongEdge`) as a JPEG of at most `maxBytes`:
 * 1. quality `qualityMax`; 2. else `qualityMin`, and when that fits, the quality between the two
 * that the sizes of those two predict (log-size is near linear in quality), once corrected;
 * 3. else smaller at `qualityMin`: scaled by the square root of budget/size (bytes go with the
 * pixel count), at least ×0.8 a step, not below `minLongEdge` while that is still untried, and on
 * down to 1 px if even that fails. Usually 1–3 encodes; the fitting result is the last one made.
 */
export async function fitBudget(
  base: Rgba,
  maxBytes: number,
  settings: PreviewSettings,
  ops: PixelOps,
): Promise<WorkerResult> {
  let attempts = 0;
  const encode = async (image: Rgba, quality: number): Promise<WorkerResult> => {
    attempts++;
    const data = await ops.encodeJpeg(image, quality);
    return { data, width: image.width, height: image.height, quality, attempts };
  };
  const fits = (result: WorkerResult): boolean => result.data.byteLength <= maxBytes;
  const done = (result: WorkerResult): WorkerResult => ({ ...result, attempts });
  // Quality q whose size log-interpolates to 95 % of the budget between two attempts.
  const between = (low: WorkerResult, high: WorkerResult): number => {
    const span = Math.log(high.data.byteLength / low.data.byteLength);
    if (!(span > 0)) return low.quality;
    const q = low.quality + ((high.quality - low.quality) * Math.log((0.95 * maxBytes) / low.data.byteLength)) / span;
    return Math.max(low.quality, Math.min(high.quality - 1, Math.floor(q)));
  };

  const best = await encode(base, settings.qualityMax);
  if (fits(best)) return done(best);
  const lowest = await encode(base, settings.qualityMin);
  if (fits(lowest)) {
    const low = lowest;
    let high = best;
    for (let tries = 0; tries < 2; tries++) {
      const quality = between(low, high);
      if (quality <= low.quality) break;
      const middle = await encode(base, quality);
      if (fits(middle)) return done(middle);
      high = middle;
    }
    return done(low);
  }

  const longest = Math.max(base.width, base.height);
  const floor = Math.min(settings.minLongEdge, longest);
  let last = lowest;
  let longEdge = longest;
  while (longEdge > 1) {
    let next = Math.floor(longEdge * Math.min(0.8, Math.sqrt(maxBytes / last.data.byteLength) * 0.95));
    if (longEdge > floor) next = Math.max(next, floor);
    next = Math.max(1, Math.min(next, longEdge - 1));
    last = await encode(await scaleToLongEdge(base, next, ops), settings.qualityMin);
    if (fits(last)) return done(last);
    longEdge = next;
  }
  throw Object.assign(new Error(`even a 1 px JPEG is over the budget of ${maxBytes} bytes`), {
    code: 'budget-too-small',
  });
}

// ---------------------------------------------------------------------------------------------
// Main thread.

/** The functions the worker runs, in the order they are written into its source. */
const WORKER_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  previewWorkerMain,
  decodeImage,
  loadPixelOps,
  ownBuffer,
  flattenOnWhite,
  fitDimensions,
  scaleToLongEdge,
  boxShrink,
  fitBudget,
];

let source: string | undefined;

/**
 * The worker's script (for `new Worker(source, { eval: true })`): the functions above as source
 * text, then a call of the entry with a dynamic import (written here as text, so no test
 * runner rewrites it) and `node:worker_threads`. The names are read from the functions
 * themselves, since a bundler may rename them. `__name` is esbuild's keep-names helper, which
 * tsx adds inside function bodies; the worker has no bundle around it, so it gets a stand-in.
 */
export function workerSource(): string {
  source ??= [
    'var __name = (target) => target;',
    ...WORKER_FUNCTIONS.map(String),
    `${previewWorkerMain.name}({ load: (url) => import(url), threads: require('node:worker_threads') })` +
      `.catch((error) => { require('node:worker_threads').parentPort.postMessage({ failure: { code: 'worker-failed', message: String(error && error.message || error) } }); });`,
  ].join('\n\n');
  return source;
}
