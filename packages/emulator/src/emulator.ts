import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiKeys, KeyRing } from './auth.js';
import { checkFault } from './faults/check.js';
import { FaultRegistry } from './faults/registry.js';
import type { Fault, Faults } from './faults/types.js';
import { GenerationRegistry, type Generations } from './generations.js';
import { latencyOf } from './latency.js';
import { type ProfileName, profileNamed } from './profiles.js';
import { type RequestLog, RequestRecorder } from './requests.js';
import { createRequestHandler, type RequestLogEntry } from './server.js';
import { DiskStore } from './store/disk.js';
import { MemoryStore } from './store/memory.js';
import { type EmulatorStore, type ImageStore, readOnlyView } from './store/types.js';

/** The default largest upload: 50 MiB, in bytes. */
export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** The key a default emulator accepts, for every project. */
export const DEFAULT_API_KEY = 'dev-key';

/** Options of {@link createEmulator}; every one is optional. */
export interface EmulatorOptions {
  /** TCP port to listen on; `0` (the default) picks a free one, see {@link Emulator.port}. */
  port?: number;
  /** Address to listen on; default `127.0.0.1`, reachable from this machine only. */
  host?: string;
  /**
   * Accepted `x-api-key` values; default `['dev-key']`. An array: each key may use every project.
   * A record: key -> the project ids it may use; any other project answers 403.
   */
  apiKeys?: ApiKeys;
  /**
   * Folder to keep images in, created when missing; images there survive a restart with the same
   * folder. Absent: images are kept in memory and are gone on close. One emulator per folder at a time.
   */
  dataDir?: string;
  /** Largest upload accepted, in bytes; default {@link DEFAULT_MAX_UPLOAD_BYTES}. Larger ones answer 413. */
  maxUploadBytes?: number;
  /**
   * Called once per request when its response is done: method, path, status, duration. Never sees
   * a header, so never the API key. The CLI prints these lines to stderr.
   */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Faults in place from the first request, as if given to {@link Emulator.faults}`.add` in this
   * order (the CLI's `--fault`). Checked before the emulator listens.
   */
  faults?: readonly Fault[];
  /**
   * How Generate behaves. `'placeholder'` (the default): a 1024×1024 PNG of some 100 KB with flat
   * colours, at once. `'realistic'`: the real models' sizes (`REALISTIC_MODELS`: 1024×1024, or
   * for DALL·E 3 1792×1024 or 1024×1792 as the prompt picks) as photo-like PNGs of 1–4 MB, after
   * each model's latency (8–20 s; see `latencyScale`).
   */
  profile?: ProfileName;
  /**
   * Multiplies every Generate latency (the profile's and `latencyMs`'): `0.01` makes 20 s into
   * 200 ms, `0` removes all latency; default 1. A finite number ≥ 0.
   */
  latencyScale?: number;
  /**
   * A Generate latency per model, in ms before `latencyScale`, replacing the profile's: keys are
   * `"provider/modelId"` of available models, e.g. `{ 'openai/dall-e-3': 70000 }`; values whole
   * numbers from 0 to 2,147,483,647. With the placeholder profile (latency 0) this is the way to
   * add a latency.
   */
  latencyMs?: Readonly<Record<string, number>>;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL to point a Genimix client at, e.g. `http://127.0.0.1:8787`, no trailing slash. */
  readonly url: string;
  /** The port it listens on (the one picked, when the options asked for 0). */
  readonly port: number;
  /** Read-only look at the stored images, per project, for tests. */
  readonly store: EmulatorStore;
  /**
   * Fault injection, for testing clients: latency, error statuses, dropped connections, slow and
   * malformed bodies, per operation, project and image, for the next N requests.
   *
   * ```ts
   * const outage = emulator.faults.add({ kind: 'status', status: 503, retryAfter: '1', route: 'get', times: 2 });
   * // ... a client call that retries ...
   * expect(outage.hits).toBe(2);
   * ```
   */
  readonly faults: Faults;
  /** Every request received, oldest first, with its status and the fault that hit it: for counting a client's attempts. */
  readonly requests: RequestLog;
  /**
   * The Generates waiting out their model latency: to act while one waits, without sleeping, and
   * to end a wait early.
   *
   * ```ts
   * const waiting = await emulator.generations.whenWaiting({ imageId: 'cat' });
   * // ... the image is not stored yet: a Get answers 404 ...
   * waiting.endLatency();  // the Generate stores the image and answers
   * ```
   */
  readonly generations: Generations;
  /**
   * Stops listening, ends every connection (keep-alive ones too, and requests still in progress)
   * and waits until requests being handled have settled, so a `dataDir` is left consistent. Never
   * waits for a fault or a Generate's latency: their waits stop with their connections, clearing
   * their timers (a Generate cut off so stores nothing), and pending `whenHit` and `whenWaiting`
   * promises reject. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Starts a local, stateful Genimix API emulator over HTTP: the contract's routes, statuses and
 * JSON shapes, with images kept per project, in memory or in `dataDir`.
 *
 * @throws {TypeError} for invalid options (a port outside 0–65535, an empty key list, a
 *   non-positive `maxUploadBytes`, an unknown `profile`, a negative `latencyScale`, a `latencyMs`
 *   key that is no available model, ...)
 * @throws the listen error (a Node `ErrnoException`, e.g. `code: 'EADDRINUSE'` for a port in use),
 *   or the file system's error when `dataDir` cannot be created
 */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535 (0 picks a free port); got ${String(port)}.`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new TypeError('host must be a non-empty string, e.g. "127.0.0.1".');
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes <= 0) {
    throw new TypeError(`maxUploadBytes must be a positive whole number of bytes; got ${String(maxUploadBytes)}.`);
  }
  const keys = new KeyRing(options.apiKeys ?? [DEFAULT_API_KEY]);
  const initialFaults = checkFaults(options.faults);
  const profile = profileNamed(options.profile);
  const generations = new GenerationRegistry();
  const generate = { render: profile.render, latencyOf: latencyOf(profile, options), generations };
  const store: ImageStore = options.dataDir === undefined ? new MemoryStore() : await DiskStore.open(options.dataDir);

  const faults = new FaultRegistry();
  for (const fault of initialFaults) faults.add(fault);
  const requests = new RequestRecorder();

  let url = '';
  const handle = createRequestHandler({
    keys,
    store,
    maxUploadBytes,
    baseUrl: () => url,
    faults,
    requests,
    generate,
    onRequest: options.onRequest,
  });
  // Requests being handled, so close() can wait for their store writes to settle.
  const inFlight = new Set<Promise<void>>();
  const track = (req: IncomingMessage, res: ServerResponse) => {
    const done = handle(req, res);
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };
  const server = createServer();
  server.on('request', track);
  // Unhandled, Node would answer "100 Continue" at once; the handler answers it only when it
  // wants the body, so a request refused up front (401, 413, ...) never has to send it.
  server.on('checkContinue', track);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  url = `http://${urlHost(host)}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    store: readOnlyView(store),
    // Only the public side: a test cannot reach the handler's take() or the recorder's open().
    faults: Object.freeze({ add: (fault: Fault) => faults.add(fault), clear: () => faults.clear() }),
    requests: Object.freeze({ list: () => requests.list(), clear: () => requests.clear() }),
    generations: Object.freeze({
      waiting: () => generations.waiting(),
      whenWaiting: (filter?: Parameters<Generations['whenWaiting']>[0]) => generations.whenWaiting(filter),
    }),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        faults.close();
        generations.close();
        // Ends every connection, idle or not; each request's 'close' then stops its fault's waits.
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }).then(async () => {
        await Promise.allSettled([...inFlight]);
      });
      return closing;
    },
  };
}

/** `faults` checked one by one, with the position of a bad one in its message. */
function checkFaults(faults: readonly Fault[] | undefined): Fault[] {
  if (faults === undefined) return [];
  if (!Array.isArray(faults)) throw new TypeError('faults must be an array of faults.');
  return faults.map((fault, i) => {
    try {
      return checkFault(fault);
    } catch (err) {
      throw new TypeError(`faults[${i}]: ${(err as Error).message}`);
    }
  });
}

/** The host part of the emulator's URL: a listen-on-all address becomes loopback, IPv6 goes in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
