/**
 * Streams a 512 MiB image up and down through @genimix/core and shows the client process's peak
 * RSS growth stays under 64 MiB in each direction (issue 4, point 3).
 *
 *   npx tsx --expose-gc bench/stream-memory.ts [--size-mib 512] [--disk] [--skip-buffered]
 *
 * The emulator runs in a child process, so its memory (it holds uploads whole) is not counted.
 * It keeps images in memory unless --disk is given: its DiskStore reads and writes an image whole
 * too, so a data dir would not lower its memory, only add 1 GiB of disk writes with fsync.
 *
 * Exit code 1 when either direction grows RSS by 64 MiB or more, or a size or hash disagrees.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { freemem } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { crc32 } from 'node:zlib';
import { GenimixClient } from '@genimix/core';
import {
  describeCore,
  type EmulatorProcess,
  fixed,
  getGc,
  MiB,
  makeTempDir,
  removeTempDir,
  runBench,
  sleep,
  startEmulator,
  table,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '512' },
    disk: { type: 'boolean', default: false },
    'skip-buffered': { type: 'boolean', default: false },
  },
});
const SIZE = Number(args['size-mib']) * MiB;
if (!Number.isSafeInteger(SIZE) || SIZE < MiB) throw new Error('--size-mib must be a whole number ≥ 1');
const LIMIT = 64 * MiB;
const API_KEY = 'bench-key';
const PROJECT = 'bench';
const SAMPLE_MS = 10;
/** Per call: the default 60 s would do on loopback, but a slow disk must not turn into a timeout. */
const CALL = { timeoutMs: 600_000 } as const;

const { gc, how: gcHow } = getGc();
const rss = () => process.memoryUsage.rss();
/** The kernel's high-water mark of this process's RSS (ru_maxrss), in bytes. */
const hwm = () => process.resourceUsage().maxRSS * 1024;
/** Resets that high-water mark to the current RSS (Linux ≥ 4.0: "5" to clear_refs); false where it cannot. */
function resetHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
const mib = (bytes: number) => fixed(bytes / MiB);

let emulator: EmulatorProcess | undefined;
let tmp: string | undefined;

interface Phase {
  label: string;
  baseline: number;
  peak: number;
  /**
   * The kernel's RSS high-water mark over the phase, which no spike between samples escapes:
   * exact when it was reset at the start (Linux) or the phase set a new one; else undefined.
   */
  kernelPeak: number | undefined;
  /** The high-water mark at the start: an upper bound of the peak when kernelPeak is undefined. */
  hwmBefore: number;
  samples: number;
  ms: number;
  bytes: number;
}

/** Forces a full GC (twice, letting finalizers run) and returns the RSS once it has settled. */
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(50);
  }
  return rss();
}

/** Runs `fn` while sampling RSS every SAMPLE_MS, from a baseline taken after a GC. */
async function measure(label: string, bytes: number, fn: () => Promise<void>): Promise<Phase> {
  const baseline = await settledRss();
  const reset = resetHwm();
  const hwmBefore = hwm();
  let peak = baseline;
  let samples = 0;
  const timer = setInterval(() => {
    const now = rss();
    samples++;
    if (now > peak) peak = now;
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - started;
  peak = Math.max(peak, rss());
  const hwmAfter = hwm();
  return {
    label,
    baseline,
    peak,
    kernelPeak: reset || hwmAfter > hwmBefore ? hwmAfter : undefined,
    hwmBefore,
    samples,
    ms,
    bytes,
  };
}

/** The phase's peak growth: the sampled peak, or the kernel's when it saw a higher one. */
const growthOf = (p: Phase) => Math.max(p.peak, p.kernelPeak ?? 0) - p.baseline;

/**
 * Writes a `size`-byte PNG container in 1 MiB chunks, never holding it whole: signature, IHDR,
 * one IDAT chunk of pseudo-random filler (each MiB stamped with its index, so a reordered or
 * repeated chunk changes the hash) with a correct CRC, IEND. Returns its SHA-256.
 */
async function writePng(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  try {
    const write = async (bytes: Uint8Array) => {
      hash.update(bytes);
      let offset = 0;
      while (offset < bytes.length) offset += (await handle.write(bytes, offset)).bytesWritten;
    };
    const chunk = (type: string, data: Buffer) => {
      const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const out = Buffer.alloc(12 + data.length);
      out.writeUInt32BE(data.length, 0);
      typed.copy(out, 4);
      out.writeUInt32BE(crc32(typed), 8 + data.length);
      return out;
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(8192, 0); // width
    ihdr.writeUInt32BE(8192, 4); // height
    ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, adaptive filter, no interlace
    const head = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)]);
    const iend = chunk('IEND', Buffer.alloc(0));
    const fillerSize = size - head.length - 12 - iend.length;
    const idatHead = Buffer.alloc(8);
    idatHead.writeUInt32BE(fillerSize, 0);
    idatHead.write('IDAT', 4, 'latin1');
    await write(Buffer.concat([head, idatHead]));
    let crc = crc32(Buffer.from('IDAT', 'latin1'));
    // xorshift filler: cheap, and no two MiB alike.
    const block = Buffer.alloc(MiB);
    let x = 0x9e3779b9;
    for (let written = 0, index = 0; written < fillerSize; index++) {
      for (let i = 0; i < MiB; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        block.writeUInt32LE(x >>> 0, i);
      }
      block.writeUInt32BE(index, 0);
      const part = block.subarray(0, Math.min(MiB, fillerSize - written));
      crc = crc32(part, crc);
      await write(part);
      written += part.length;
    }
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc >>> 0, 0);
    await write(Buffer.concat([tail, iend]));
  } finally {
    await handle.close();
  }
  const { size: actual } = await stat(file);
  if (actual !== size) throw new Error(`wrote ${actual} bytes, meant ${size}`);
  return hash.digest('hex');
}

/** Streams an image to `file` through a hashing pass-through; returns bytes and SHA-256. */
async function download(
  client: GenimixClient,
  imageId: string,
  file: string,
): Promise<{ bytes: number; sha256: string; contentLength: number | undefined; contentType: string }> {
  const { body, contentType, contentLength } = await client.getImageStream({ imageId }, CALL);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), tap, createWriteStream(file));
  return { bytes, sha256: hash.digest('hex'), contentLength, contentType };
}

async function main(): Promise<number> {
  const problems: string[] = [];
  tmp = makeTempDir('genimix-bench-stream-');
  const dataDir = args.disk ? path.join(tmp, 'emulator-data') : undefined;
  emulator = await startEmulator([
    '--api-key',
    API_KEY,
    '--max-upload-bytes',
    String(SIZE + MiB),
    '--no-log',
    ...(dataDir ? ['--data-dir', dataDir] : []),
  ]);
  console.log(`emulator: pid ${emulator.pid}, ${emulator.banner}`);
  console.log(`core:     ${describeCore()}`);
  console.log(`client:   pid ${process.pid}, Node ${process.version}, gc ${gcHow}, RSS sampled every ${SAMPLE_MS} ms`);

  const client = new GenimixClient({ apiKey: API_KEY, projectId: PROJECT, baseUrl: emulator.url });

  // Warm-up: the same code paths on a small image, so the baseline includes loaded modules, JIT
  // code and the keep-alive socket, not just an idle process.
  const small = path.join(tmp, 'warmup.png');
  const smallHash = await writePng(small, 4 * MiB);
  for (let i = 0; i < 3; i++) {
    await client.uploadImage({ imageId: 'warmup', path: small }, CALL);
    const got = await download(client, 'warmup', path.join(tmp, 'warmup.out'));
    if (got.sha256 !== smallHash) throw new Error('warm-up round trip changed the bytes');
  }
  await client.getImage({ imageId: 'warmup' }, { ...CALL, maxBytes: 8 * MiB });
  await client.deleteImage({ imageId: 'warmup' });

  const big = path.join(tmp, 'big.png');
  const t = performance.now();
  const sourceHash = await writePng(big, SIZE);
  console.log(
    `source:   ${big}, ${mib(SIZE)} MiB PNG written in 1 MiB chunks in ${fixed((performance.now() - t) / 1000, 2)} s, sha256 ${sourceHash.slice(0, 16)}…`,
  );

  const up = await measure('upload (path)', SIZE, async () => {
    const result = await client.uploadImage({ imageId: 'big', path: big }, CALL);
    if (result.contentType !== 'image/png') problems.push(`upload sent ${result.contentType}, not image/png`);
  });

  const out = path.join(tmp, 'big.out.png');
  let got: Awaited<ReturnType<typeof download>> | undefined;
  const down = await measure('download (getImageStream)', SIZE, async () => {
    got = await download(client, 'big', out);
  });
  const { size: onDisk } = await stat(out);
  await unlink(out);
  if (got!.bytes !== SIZE || onDisk !== SIZE)
    problems.push(`download: ${got!.bytes} bytes streamed, ${onDisk} on disk, expected ${SIZE}`);
  if (got!.contentLength !== SIZE)
    problems.push(`download: contentLength ${String(got!.contentLength)}, expected ${SIZE}`);
  if (got!.contentType !== 'image/png') problems.push(`download: contentType ${got!.contentType}`);
  if (got!.sha256 !== sourceHash)
    problems.push(`download: sha256 ${got!.sha256} differs from the source's ${sourceHash}`);

  // For context only: the same download held whole. Needs the image twice over for a moment
  // (chunks, then their concatenation), so only with ample free memory.
  let buffered: Phase | undefined;
  let bufferedNote = '';
  const free = freemem();
  if (args['skip-buffered']) bufferedNote = 'skipped (--skip-buffered)';
  else if (free < 3 * SIZE + 1024 * MiB)
    bufferedNote = `skipped: ${mib(free)} MiB free is too little to hold it safely`;
  else {
    let sha = '';
    buffered = await measure('getImage (buffered, context)', SIZE, async () => {
      const image = await client.getImage({ imageId: 'big' }, { ...CALL, maxBytes: SIZE });
      sha = createHash('sha256').update(image.data).digest('hex');
    });
    if (sha !== sourceHash) problems.push('getImage: sha256 differs from the source');
  }
  await client.deleteImage({ imageId: 'big' });

  const phases = [up, down, ...(buffered ? [buffered] : [])];
  const rows = phases.map((p) => {
    const growth = growthOf(p);
    const limited = p !== buffered;
    return [
      p.label,
      mib(p.baseline),
      mib(Math.max(p.peak, p.kernelPeak ?? 0)),
      mib(growth),
      p.kernelPeak === undefined ? `≤${mib(p.hwmBefore - p.baseline)}` : mib(p.kernelPeak - p.baseline),
      String(p.samples),
      fixed(p.ms / 1000, 2),
      fixed(p.bytes / MiB / (p.ms / 1000), 0),
      limited ? (growth < LIMIT ? 'PASS' : 'FAIL') : 'n/a',
    ];
  });
  console.log('');
  console.log(`Client process RSS, ${mib(SIZE)} MiB image, limit: growth < ${mib(LIMIT)} MiB per direction`);
  console.log(
    table(
      ['phase', 'baseline MiB', 'peak MiB', 'growth MiB', 'kernel HWM growth', 'samples', 'seconds', 'MiB/s', 'result'],
      rows,
    ),
  );
  if (bufferedNote) console.log(`getImage (buffered, context): ${bufferedNote}`);
  console.log('');
  console.log(
    `verified: ${mib(SIZE)} MiB, sha256 ${sourceHash} on both sides${problems.length ? ' — NO, see below' : ''}`,
  );
  console.log(
    resetHwm()
      ? '"kernel HWM growth": the kernel\'s RSS high-water mark (ru_maxrss, reset at each phase\'s start) over the baseline: the exact peak, spikes between samples included.'
      : '"kernel HWM growth": ru_maxrss over the baseline when the phase set a new high (exact), else "≤" the high before it (the high-water mark cannot be reset here).',
  );
  const emulatorPeak = emulator.peakRss();
  if (emulatorPeak !== undefined)
    console.log(`emulator process peak RSS (not counted; it buffers uploads whole): ${mib(emulatorPeak)} MiB`);

  for (const p of [up, down])
    if (growthOf(p) >= LIMIT) problems.push(`${p.label}: RSS grew ${mib(growthOf(p))} MiB, limit ${mib(LIMIT)} MiB`);
  for (const problem of problems) console.log(`FAIL: ${problem}`);
  console.log(problems.length === 0 ? 'PASS' : 'FAIL');
  return problems.length === 0 ? 0 : 1;
}

runBench(main, async () => {
  await emulator?.stop();
  if (tmp) removeTempDir(tmp);
});
