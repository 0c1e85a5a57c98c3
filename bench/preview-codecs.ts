/**
 * Which image library makes the MCP server's previews: decode a large image, scale it to at most
 * 1,568 px on the long edge, encode a JPEG within a byte budget. The server ships as one npx
 * package for macOS, Windows and Linux, so only libraries without a native add-on qualify.
 *
 *   pnpm tsx bench/preview-codecs.ts [--runs N] [--budget BYTES] [--only id,id] [--node22 [PATH]]
 *
 * Each candidate is installed by npm, pinned, into its own folder under the system temp folder
 * (outside this repository, so no package of the workspace is found instead of it; reused by
 * later runs), which also gives its installed size with all its dependencies. Every measurement
 * runs in a child process of its own, so peak RSS is that candidate's alone: the first run
 * (loading the library and its WASM included) and the median of N more. Every candidate gets the
 * same budget search, so their encoders are compared at the same rules: quality 85, 70, 55, 40,
 * then ×0.8 smaller at 40 until it fits. The last row, `makePreview`, is the server's own
 * module (mcp-server/src/preview.ts) with its own search, for the real numbers.
 *
 * `--node22` also runs every candidate's format check on Node 22 (PATH, or node-<os>-<arch>@22
 * from npm into the same temp folder).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { fixed, MiB, makeTempDir, ROOT, table } from './lib.js';

const SELF = fileURLToPath(import.meta.url);
const CACHE = path.join(tmpdir(), 'genimix-bench-preview-codecs');
const LONG_EDGE = 1568;

/** The global WebAssembly API, as far as it is used here (the ES2023 lib does not declare it). */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<unknown> };

/** A candidate: what npm installs for it, and how it makes a preview. */
interface Candidate {
  id: string;
  label: string;
  packages: string[];
  /** Extra `npm install` flags. */
  npmFlags?: string[];
  /** The resize filter it is run with. */
  filter: string;
  open: (req: NodeRequire) => Promise<Codec>;
}

/** One library's preview primitives; `Img` is whatever the library holds pixels in. */
interface Codec {
  decode(bytes: Uint8Array, type: string): Promise<Img>;
  resize(img: Img, width: number, height: number): Promise<Img>;
  jpeg(img: Img, quality: number): Promise<Uint8Array>;
  free(img: Img): void;
}
interface Img {
  width: number;
  height: number;
  [key: string]: unknown;
}

type Loaded = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** ESM import of a package file, as resolved from the candidate's own folder. */
const importFrom = (req: NodeRequire, specifier: string): Promise<Loaded> =>
  import(pathToFileURL(req.resolve(specifier)).href);

const CANDIDATES: Candidate[] = [
  {
    id: 'jsquash',
    label: 'jSquash png+jpeg+webp+resize',
    packages: ['@jsquash/png@3.1.1', '@jsquash/jpeg@1.6.0', '@jsquash/webp@1.5.0', '@jsquash/resize@2.1.1'],
    filter: 'lanczos3',
    async open(req) {
      // Node has no fetch for file: URLs, so each WASM is compiled here and handed to init().
      const wasm = (file: string) => WebAssembly.compile(readFileSync(req.resolve(file)));
      const png = await importFrom(req, '@jsquash/png/decode.js');
      const jpegDec = await importFrom(req, '@jsquash/jpeg/decode.js');
      const webp = await importFrom(req, '@jsquash/webp/decode.js');
      const enc = await importFrom(req, '@jsquash/jpeg/encode.js');
      const resize = await importFrom(req, '@jsquash/resize/index.js');
      await png.init(await wasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'));
      await jpegDec.init(await wasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
      await webp.init(await wasm('@jsquash/webp/codec/dec/webp_dec.wasm'));
      await enc.init(await wasm('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm'));
      await resize.initResize(await wasm('@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm'));
      const decoders: Record<string, Loaded> = { png, jpeg: jpegDec, webp };
      return {
        async decode(bytes, type) {
          const decoder = decoders[type];
          if (!decoder) throw new Error(`no ${type} decoder`);
          return decoder.default(new Uint8Array(bytes).buffer); // a copy: a Buffer's .buffer may be a shared pool
        },
        resize: (img, width, height) =>
          resize.default(img, { width, height, method: 'lanczos3', premultiply: false, linearRGB: false }),
        jpeg: async (img, quality) =>
          new Uint8Array(await enc.default(img, { quality, baseline: true, progressive: false })),
        free() {},
      };
    },
  },
  {
    id: 'photon',
    label: 'photon (@silvia-odwyer/photon-node)',
    packages: ['@silvia-odwyer/photon-node@0.3.4'],
    filter: 'lanczos3',
    async open(req) {
      const photon = req('@silvia-odwyer/photon-node');
      return {
        decode: async (bytes) => wrap(photon.PhotonImage.new_from_byteslice(bytes)),
        resize: async (img, width, height) =>
          wrap(photon.resize(img.native, width, height, photon.SamplingFilter.Lanczos3)),
        jpeg: async (img, quality) => (img.native as Loaded).get_bytes_jpeg(quality),
        free: (img) => (img.native as Loaded).free(),
      };
      function wrap(native: Loaded): Img {
        return { native, width: native.get_width(), height: native.get_height() };
      }
    },
  },
  {
    id: 'wasm-vips',
    label: 'wasm-vips',
    packages: ['wasm-vips@0.0.19'],
    filter: 'lanczos3',
    async open(req) {
      const vips = await (await importFrom(req, 'wasm-vips')).default({ dynamicLibraries: [] });
      const wrap = (native: Loaded): Img => ({ native, width: native.width, height: native.height });
      return {
        decode: async (bytes) => wrap(vips.Image.newFromBuffer(bytes).copyMemory()),
        resize: async (img, width, height) =>
          wrap((img.native as Loaded).resize(width / img.width, { vscale: height / img.height })),
        jpeg: async (img, quality) =>
          (img.native as Loaded).writeToBuffer('.jpg', { Q: quality, optimize_coding: true }),
        free: (img) => (img.native as Loaded).delete(),
      };
    },
  },
  {
    id: 'sharp-wasm32',
    label: 'sharp on @img/sharp-wasm32',
    packages: ['sharp@0.35.5'],
    npmFlags: ['--cpu=wasm32'],
    filter: 'lanczos3',
    async open(req) {
      const wasmSharp = req('sharp') as typeof sharp;
      req.resolve('@img/sharp-wasm32/package'); // the WASM build is what this folder has
      const raw = async (pipeline: Sharp): Promise<Img> => {
        const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
        return { data, width: info.width, height: info.height, channels: info.channels };
      };
      const input = (img: Img) =>
        wasmSharp(img.data as Buffer, {
          raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 },
        });
      return {
        decode: (bytes) => raw(wasmSharp(bytes)),
        resize: (img, width, height) => raw(input(img).resize(width, height, { fit: 'fill' })),
        jpeg: async (img, quality) => input(img).jpeg({ quality, mozjpeg: true }).toBuffer(),
        free() {},
      };
    },
  },
  {
    id: 'magick-wasm',
    label: '@imagemagick/magick-wasm',
    packages: ['@imagemagick/magick-wasm@0.0.43'],
    filter: 'IM default',
    async open(req) {
      const loaded = await importFrom(req, '@imagemagick/magick-wasm'); // require.resolve finds its UMD build
      const magick = (loaded.initializeImageMagick ? loaded : loaded.default) as Loaded;
      await magick.initializeImageMagick(readFileSync(req.resolve('@imagemagick/magick-wasm/magick.wasm')));
      const wrap = (native: Loaded, bytes: Uint8Array): Img => ({
        native,
        bytes,
        width: native.width,
        height: native.height,
      });
      return {
        decode: async (bytes) => wrap(magick.MagickImage.create(bytes), bytes),
        // clone() disposes its copy when its callback returns, so a resized image is decoded anew (one more decode: slower than need be).
        resize: async (img, width, height) => {
          const copy = magick.MagickImage.create(img.bytes as Uint8Array);
          copy.resize(width, height);
          return wrap(copy, img.bytes as Uint8Array);
        },
        jpeg: async (img, quality) => {
          const native = img.native as Loaded;
          native.quality = quality;
          return native.write(magick.MagickFormat.Jpeg, (data: Uint8Array) => data.slice());
        },
        free: (img) => (img.native as Loaded).dispose(),
      };
    },
  },
  {
    id: 'jimp',
    label: 'jimp (plain JS, no WASM)',
    packages: ['jimp@1.6.1'],
    filter: 'bilinear',
    async open(req) {
      const { Jimp } = req('jimp');
      const wrap = (native: Loaded): Img => ({ native, width: native.width, height: native.height });
      return {
        decode: async (bytes) => wrap(await Jimp.read(Buffer.from(bytes))),
        resize: async (img, width, height) => wrap((img.native as Loaded).clone().resize({ w: width, h: height })),
        jpeg: async (img, quality) => (img.native as Loaded).getBuffer('image/jpeg', { quality }),
        free() {},
      };
    },
  },
];

/** One preview's outcome. */
interface Made {
  data: Uint8Array;
  width: number;
  height: number;
  quality: number;
  attempts: number;
}

/** The same search for every candidate: quality 85 → 40 in steps of 15, then ×0.8 at 40. */
async function ladder(codec: Codec, bytes: Uint8Array, type: string, budget: number): Promise<Made> {
  const source = await codec.decode(bytes, type);
  const scale = Math.min(1, LONG_EDGE / Math.max(source.width, source.height));
  let attempts = 0;
  try {
    for (let step = 1; ; step *= 0.8) {
      const width = Math.max(1, Math.round(source.width * scale * step));
      const height = Math.max(1, Math.round(source.height * scale * step));
      const img =
        width === source.width && height === source.height ? source : await codec.resize(source, width, height);
      try {
        for (const quality of step === 1 ? [85, 70, 55, 40] : [40]) {
          attempts++;
          const data = await codec.jpeg(img, quality);
          if (data.byteLength <= budget || Math.max(width, height) <= 16)
            return { data, width, height, quality, attempts };
        }
      } finally {
        if (img !== source) codec.free(img);
      }
    }
  } finally {
    codec.free(source);
  }
}

// ---------------------------------------------------------------------------------------------
// Child: one candidate, one input, N runs; prints one JSON line.

interface ChildResult {
  firstMs: number;
  medianMs: number;
  peakRssMb: number;
  size: number;
  width: number;
  height: number;
  quality: number;
  attempts: number;
  preview: string; // file the last preview was written to
}

async function child(args: string[]): Promise<void> {
  const [mode, id, file, type, runsText, budgetText] = args;
  const runs = Number(runsText);
  const budget = Number(budgetText);
  if (mode === '--formats') {
    const codec = await openCandidate(id!);
    const support: Record<string, boolean> = {};
    for (const [format, sample] of Object.entries(JSON.parse(file!) as Record<string, string>)) {
      try {
        const img = await codec.decode(readFileSync(sample), format);
        support[format] = img.width === 64 && img.height === 48;
        codec.free(img);
      } catch {
        support[format] = false;
      }
    }
    process.stdout.write(`${JSON.stringify(support)}\n`);
    return;
  }
  const bytes = new Uint8Array(readFileSync(file!));
  let make: () => Promise<Made>;
  const started = performance.now();
  if (id === 'makePreview') {
    const { makePreview } = await import('../mcp-server/src/preview.js');
    make = async () => {
      const p = await makePreview(bytes, `image/${type}`, { maxBytes: budget });
      return { data: p.data, width: p.width, height: p.height, quality: p.quality ?? 0, attempts: 0 };
    };
  } else {
    const codec = await openCandidate(id!);
    make = () => ladder(codec, bytes, type!, budget);
  }
  let made = await make();
  const firstMs = performance.now() - started;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    made = await make();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const preview = `${file}.${id}.jpg`;
  writeFileSync(preview, made.data);
  const result: ChildResult = {
    firstMs,
    medianMs: times[Math.floor(times.length / 2)] ?? firstMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    size: made.data.byteLength,
    width: made.width,
    height: made.height,
    quality: made.quality,
    attempts: made.attempts,
    preview,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function openCandidate(id: string): Promise<Codec> {
  const candidate = CANDIDATES.find((c) => c.id === id);
  if (!candidate) throw new Error(`no candidate ${id}`);
  return candidate.open(createRequire(path.join(CACHE, id, 'package.json')));
}

// ---------------------------------------------------------------------------------------------
// Parent.

function install(candidate: Candidate): string {
  const dir = path.join(CACHE, candidate.id);
  const stamp = path.join(dir, 'installed.json');
  const wanted = JSON.stringify([...candidate.packages, ...(candidate.npmFlags ?? [])]);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    process.stderr.write(`npm install ${candidate.packages.join(' ')} …\n`);
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...(candidate.npmFlags ?? []), ...candidate.packages],
      { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    writeFileSync(stamp, wanted);
  }
  return dir;
}

/** `du -sk` of a folder, in MB (what it takes on disk, as the brief measures it). */
function diskMb(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
}

/** Files of native add-ons (`*.node`) under a folder. */
function nativeAddons(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.node')) found.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return found;
}

function runChild(nodeBin: string, args: string[]): string {
  const result = spawnSync(nodeBin, [...process.execArgv, SELF, '--child', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{'))
    throw new Error(
      `child ${args.slice(0, 2).join(' ')} failed: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return line;
}

/** Photo-like: sharp's gaussian noise laid over a colour gradient. */
async function photoLike(width: number, height: number, sigma: number): Promise<Sharp> {
  const gradient = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#1d3557"/><stop offset="0.5" stop-color="#e9c46a"/><stop offset="1" stop-color="#e76f51"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  const noise = await sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma } },
  })
    .png()
    .toBuffer();
  const flat = await sharp(Buffer.from(gradient))
    .composite([{ input: noise, blend: 'overlay' }])
    .raw()
    .toBuffer();
  return sharp(flat, { raw: { width, height, channels: 4 } }).removeAlpha();
}

/**
 * PSNR (dB) of a preview as the model would look at it: the preview and the original both scaled
 * (Lanczos3) to the full preview size, at most 1,568 px, so a smaller preview pays for the detail it lost.
 */
async function psnr(original: Buffer, preview: Buffer): Promise<number> {
  const { width = 1, height = 1 } = await sharp(original).metadata();
  const scale = Math.min(1, LONG_EDGE / Math.max(width, height));
  const size = {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    fit: 'fill',
    kernel: 'lanczos3',
  } as const;
  const seen = await sharp(preview).removeAlpha().resize(size).raw().toBuffer();
  const reference = await sharp(original).removeAlpha().resize(size).raw().toBuffer();
  let squares = 0;
  for (let i = 0; i < seen.length; i++) squares += (seen[i]! - reference[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (squares / seen.length));
}

const notACodec = (): Promise<Codec> => Promise.reject(new Error('not a codec'));

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  return value && !value.startsWith('--') ? value : '';
}

function node22(): string | undefined {
  const given = option('--node22');
  if (given === undefined) return undefined;
  if (given) return given;
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  install({ id: 'node22', label: 'Node 22', packages: [`${pkg}@22`], filter: '', open: notACodec });
  return path.join(CACHE, 'node22', 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
}

async function main(): Promise<void> {
  const runs = Number(option('--runs') || 5);
  const budget = Number(option('--budget') || 75_000);
  const only = option('--only')?.split(',');
  const candidates = CANDIDATES.filter((c) => !only || only.includes(c.id));
  const other = node22();
  const dir = makeTempDir('preview-codecs-');

  process.stderr.write('making the inputs …\n');
  const inputs: { name: string; type: string; file: string }[] = [];
  const write = async (name: string, type: string, image: Promise<Buffer>) => {
    const file = path.join(dir, name);
    writeFileSync(file, await image);
    inputs.push({ name, type, file });
  };
  await write(
    'photo 1024×1024 PNG',
    'png',
    photoLike(1024, 1024, 40).then((s) => s.png().toBuffer()),
  );
  await write(
    'photo 1792×1024 PNG',
    'png',
    photoLike(1792, 1024, 30).then((s) => s.png().toBuffer()),
  );
  await write(
    'photo 3000×2000 JPEG',
    'jpeg',
    photoLike(3000, 2000, 30).then((s) => s.jpeg({ quality: 94 }).toBuffer()),
  );
  await write(
    'strip 8000×400 PNG',
    'png',
    photoLike(8000, 400, 30).then((s) => s.png().toBuffer()),
  );
  const samples: Record<string, string> = {};
  for (const format of ['png', 'jpeg', 'webp', 'gif'] as const) {
    samples[format] = path.join(dir, `sample.${format}`);
    writeFileSync(samples[format], await (await photoLike(64, 48, 20)).toFormat(format).toBuffer());
  }

  const rows: string[][] = [];
  const libraries: string[][] = [];
  for (const candidate of [
    ...candidates,
    {
      id: 'makePreview',
      label: 'makePreview (server module, jSquash)',
      packages: [],
      filter: 'box+lanczos3',
      open: notACodec,
    },
  ]) {
    const own = candidate.id === 'makePreview';
    if (!own) {
      const installed = install(candidate);
      const formats = JSON.parse(
        runChild(process.execPath, ['--formats', candidate.id, JSON.stringify(samples)]),
      ) as Record<string, boolean>;
      let on22 = '-';
      if (other) {
        try {
          const again = JSON.parse(runChild(other, ['--formats', candidate.id, JSON.stringify(samples)])) as Record<
            string,
            boolean
          >;
          on22 = JSON.stringify(again) === JSON.stringify(formats) ? 'yes' : `differs ${JSON.stringify(again)}`;
        } catch (error) {
          on22 = `no: ${(error as Error).message.slice(0, 60)}`;
        }
      }
      const native = nativeAddons(path.join(installed, 'node_modules'));
      libraries.push([
        candidate.label,
        `${fixed(diskMb(path.join(installed, 'node_modules')))} MB`,
        Object.entries(formats)
          .filter(([, ok]) => ok)
          .map(([f]) => f)
          .join(' ') || 'none',
        native.length ? `native: ${native.join(' ')}` : 'none',
        on22,
      ]);
    }
    for (const input of inputs) {
      process.stderr.write(`${candidate.id}: ${input.name} …\n`);
      try {
        const r = JSON.parse(
          runChild(process.execPath, ['--run', candidate.id, input.file, input.type, String(runs), String(budget)]),
        ) as ChildResult;
        const quality = await psnr(readFileSync(input.file), readFileSync(r.preview));
        rows.push([
          candidate.id,
          input.name,
          `${fixed(readFileSync(input.file).length / MiB, 2)} MB`,
          fixed(r.firstMs, 0),
          fixed(r.medianMs, 0),
          fixed(r.peakRssMb, 0),
          `${r.width}×${r.height}`,
          `q${r.quality}`,
          String(r.size),
          fixed(quality, 1),
        ]);
      } catch (error) {
        rows.push([candidate.id, input.name, '', 'failed', (error as Error).message.slice(0, 80)]);
      }
    }
  }

  console.log(
    `\nNode ${process.version}, ${process.platform}/${process.arch}; budget ${budget} bytes; median of ${runs} runs after a first one.\n`,
  );
  console.log(
    table(['library', 'installed', 'decodes', 'native code', `Node 22${other ? '' : ' (--node22)'}`], libraries),
  );
  console.log(
    '\nfirst ms: load + WASM compile + one preview, in a fresh process. PSNR: preview and original both scaled to the full preview size (≤1568 px), so lost detail counts.',
  );
  console.log(
    'Candidates run the same search (q85/70/55/40, then ×0.8 at q40); makePreview runs its own (q85, q40, interpolated; then smaller).\n',
  );
  console.log(
    table(
      ['library', 'input', 'bytes', 'first ms', 'median ms', 'peak RSS MB', 'preview', 'quality', 'bytes', 'PSNR dB'],
      rows,
    ),
  );
}

if (process.argv[2] === '--child') {
  await child(process.argv.slice(3));
} else {
  await main();
}
