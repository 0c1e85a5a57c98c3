#!/usr/bin/env node
/**
 * genimix-emulator: runs the emulator until SIGINT or SIGTERM. One line on stdout once it
 * listens (where, how many keys, where images live); one line per request on stderr.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createEmulator, DEFAULT_API_KEY, DEFAULT_MAX_UPLOAD_BYTES, type Emulator } from './emulator.js';
import { describeFault, FaultSpecError, parseFaultSpec } from './faults/spec.js';
import type { Fault } from './faults/types.js';
import { parseLatencySpec } from './latency.js';
import { DEFAULT_PROFILE, PROFILE_NAMES, type ProfileName } from './profiles.js';
import { type ImageSize, REALISTIC_MODELS } from './realistic/models.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

interface CliOptions {
  port: number;
  host: string;
  apiKey?: string[];
  dataDir?: string;
  maxUploadBytes: number;
  log: boolean;
  fault?: Fault[];
  profile: ProfileName;
  latencyScale?: number;
  latency?: Record<string, number>;
}

const FAULT_HELP = `
Faults (--fault, repeatable; for testing clients):
  --fault <operation>:<fault>[,<option>=<value>]...
    operation  generate | upload | get | delete | any
    fault      latency=<ms>            wait, then handle the request normally
               status=<code>           answer this status instead (nothing changes)
               drop=before-processing  cut the connection before handling (nothing changes)
               drop=after-processing   handle, then cut before any response byte (the work is done)
               drop=mid-body           handle, send the headers and half the body, then cut
               slow-body=<bytes>/<ms>  handle, then send the body in pieces with a wait between
               malformed=<body>        answer 200 with json, broken-json, html, text or empty
                                       instead (nothing changes)
    options    times=<n>|inf           how many matching requests (default 1)
               project=<id>, image=<id>  only requests for this project or image
               retry-after=<value>     status: Retry-After, seconds or a quoted HTTP date
               body=<text>, content-type=<type>|none   status, malformed: the body to send
               status=<2xx>            malformed: the success status (default 200)
    Values with a comma go in double quotes. Faults apply in the order given; a request
    takes the first that matches and has times left.

Examples:
  genimix-emulator --fault get:status=503,times=2,retry-after=1
  genimix-emulator --fault upload:drop=mid-body --fault any:latency=200,times=inf
  genimix-emulator --fault get:slow-body=1024/50,image=big
  genimix-emulator --fault 'generate:status=429,retry-after="Wed, 21 Oct 2026 07:28:00 GMT"'
  genimix-emulator --fault 'get:status=502,body="<html><body>Bad gateway</body></html>",content-type=text/html'
`;

const PROFILE_HELP = `
Profiles (--profile):
  placeholder  Generate draws a 1024×1024 PNG of some 100 KB, flat colours, at once (the default)
  realistic    Generate answers as the real models do: photo-like PNGs of 1–4 MB in their
               sizes, after their latency:
${REALISTIC_MODELS.map((m) => `    ${`${m.provider}/${m.modelId}`.padEnd(50)}${`${m.latencyMs / 1000} s`.padStart(4)}  ${sizeList(m.sizes)}`).join('\n')}
  --latency-scale <factor>   multiplies every latency: 0.01 turns 20 s into 200 ms; 0 removes them
  --latency <model>=<ms>     one model's latency before the scale, repeatable; with the placeholder
                             profile too (its latency is 0 otherwise)

Examples:
  genimix-emulator --profile realistic --latency-scale 0.1
  genimix-emulator --profile realistic --latency openai/dall-e-3=70000
  genimix-emulator --latency google/imagen-3.0-generate-002=3000     # placeholder images, 3 s late
`;

const program = new Command()
  .name('genimix-emulator')
  .description("A local, stateful Genimix API emulator: the API's routes on this machine, no account needed.")
  .version(version)
  .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parseWhole('port', 0, 65535), 8787)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option(
    '-k, --api-key <key>',
    `an accepted x-api-key, repeatable (default: "${DEFAULT_API_KEY}")`,
    (key: string, keys: string[] = []) => [...keys, key],
  )
  .option('-d, --data-dir <dir>', 'keep images in this folder across restarts (default: in memory)')
  .addOption(
    new Option('--max-upload-bytes <bytes>', 'largest upload accepted, in bytes')
      .argParser(parseWhole('max-upload-bytes', 1, Number.MAX_SAFE_INTEGER))
      .default(DEFAULT_MAX_UPLOAD_BYTES, `${DEFAULT_MAX_UPLOAD_BYTES}, 50 MiB`),
  )
  .option('--no-log', 'do not log requests to stderr')
  .option('--fault <spec>', 'inject a fault, repeatable: see "Faults" below', collectFault)
  .addOption(
    new Option(
      '--profile <name>',
      'how Generate behaves: small images at once, or the real models\' sizes and latencies; see "Profiles" below',
    )
      .choices(PROFILE_NAMES)
      .default(DEFAULT_PROFILE),
  )
  .option(
    '--latency-scale <factor>',
    'multiply every Generate latency by this (0.01: a hundredth, 0: none; default 1)',
    parseScale,
  )
  .option(
    '--latency <model=ms>',
    "a model's Generate latency in ms, repeatable: e.g. openai/dall-e-3=70000",
    collectLatency,
  )
  .addHelpText('after', FAULT_HELP + PROFILE_HELP)
  .showHelpAfterError('(genimix-emulator --help lists the options, with --fault examples)');

program.parse();
const options = program.opts<CliOptions>();
await main(options);

async function main(opts: CliOptions): Promise<void> {
  const apiKeys = opts.apiKey ?? [DEFAULT_API_KEY];
  const dataDir = opts.dataDir === undefined ? undefined : resolve(opts.dataDir);
  let emulator: Emulator;
  try {
    emulator = await createEmulator({
      port: opts.port,
      host: opts.host,
      apiKeys,
      dataDir,
      maxUploadBytes: opts.maxUploadBytes,
      faults: opts.fault ?? [],
      profile: opts.profile,
      latencyScale: opts.latencyScale,
      latencyMs: opts.latency,
      onRequest: opts.log
        ? (e) =>
            process.stderr.write(
              `${e.method} ${e.path} ${e.aborted ? 'aborted' : e.status} ${e.durationMs}ms${e.fault ? ` (fault: ${e.fault})` : ''}\n`,
            )
        : undefined,
    });
  } catch (err) {
    process.stderr.write(`genimix-emulator: ${startError(err, opts)}\n`);
    process.exit(1);
  }

  const keyCount = new Set(apiKeys).size;
  const where = dataDir === undefined ? 'images in memory' : `images in ${dataDir}`;
  const faults = opts.fault?.length ? `; faults: ${opts.fault.map(describeFault).join('; ')}` : '';
  process.stdout.write(
    `Genimix emulator listening on ${emulator.url} (${keyCount} API key${keyCount === 1 ? '' : 's'}; ${where}${describeGenerate(opts)}${faults})\n`,
  );
  // The default key is no secret (it is in the docs): say it, so a first user knows what to set.
  if (opts.apiKey === undefined) {
    process.stdout.write(
      `Point a client at it with GENIMIX_BASE_URL=${emulator.url} GENIMIX_API_KEY=${DEFAULT_API_KEY} (any project id).\n`,
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": skip waiting for open requests.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`genimix-emulator: error while closing: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function startError(err: unknown, opts: CliOptions): string {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  if (syscall === 'listen' && code === 'EADDRINUSE')
    return `port ${opts.port} on ${opts.host} is already in use; choose another with --port.`;
  if (syscall === 'listen' && code === 'EACCES')
    return `not allowed to listen on port ${opts.port} on ${opts.host}; choose another with --port.`;
  if (syscall === 'listen' && code === 'EADDRNOTAVAIL')
    return `cannot listen on ${opts.host}: no such address on this machine.`;
  if (opts.dataDir !== undefined && (code === 'EEXIST' || code === 'ENOTDIR'))
    return `--data-dir ${opts.dataDir} is a file, not a folder: name a folder (it is created if missing).`;
  if (opts.dataDir !== undefined && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS'))
    return `--data-dir ${opts.dataDir} cannot be written: name a folder you may write to.`;
  // The library names its options; here they were flags.
  if (err instanceof TypeError && err.message.startsWith('latencyScale'))
    return `--latency-scale${err.message.slice('latencyScale'.length)}`;
  return err instanceof Error ? err.message : String(err);
}

/** The start line's part about Generate: the profile and latencies, when not the defaults; else nothing. */
function describeGenerate(opts: CliOptions): string {
  const parts: string[] = [];
  if (opts.profile !== DEFAULT_PROFILE) parts.push(`${opts.profile} profile`);
  if (opts.latencyScale !== undefined) parts.push(`latencies ×${opts.latencyScale}`);
  for (const [model, ms] of Object.entries(opts.latency ?? {})) parts.push(`${model} ${ms} ms`);
  return parts.length ? `; ${parts.join(', ')}` : '';
}

/** "1024×1024", or "1024×1024, 1792×1024 or 1024×1792 (the prompt picks)". */
function sizeList(sizes: readonly ImageSize[]): string {
  const names = sizes.map((s) => `${s.width}×${s.height}`);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)} (the prompt picks)`;
}

/** Commander's parser of --latency-scale: a finite number ≥ 0. */
function parseScale(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(
      `--latency-scale must be a number ≥ 0 (0.01: a hundredth, 0: no latency); got "${value}".`,
    );
  }
  return n;
}

/** Commander's parser of a repeated --latency: the last one for a model wins. */
function collectLatency(spec: string, latencies: Record<string, number> = {}): Record<string, number> {
  try {
    const [model, ms] = parseLatencySpec(spec);
    return { ...latencies, [model]: ms };
  } catch (err) {
    throw new InvalidArgumentError(`--latency ${(err as Error).message}`);
  }
}

/** Commander's parser of a repeated --fault: the spec's own message names the bad part. */
function collectFault(spec: string, faults: Fault[] = []): Fault[] {
  try {
    return [...faults, parseFaultSpec(spec)];
  } catch (err) {
    throw new InvalidArgumentError(err instanceof FaultSpecError ? err.detail : (err as Error).message);
  }
}

function parseWhole(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`--${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}
