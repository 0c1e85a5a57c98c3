/**
 * Scale, measured (issue 10): `genimix-mcp --http` as one process, and as three processes behind
 * nginx, under 100 concurrent MCP clients; then one of the three stopped mid-run, with SIGTERM
 * (it drains) and with SIGKILL (it dies).
 *
 *   pnpm bench:http [--clients 100] [--seconds 20] [--latency-ms 400] [--progress]
 *
 * Pieces, all on 127.0.0.1:
 * - the emulator (`createEmulator`, placeholder profile: 1024×1024 PNGs of 50–150 KB drawn in
 *   35–45 ms of CPU) in a process of its own, with a Generate latency of `--latency-ms` (default
 *   400 ms) for the default model, so that a generation waits as a real one does (a few hundred
 *   ms here instead of 10–20 s, to keep the run short) and throughput is not loopback speed;
 * - three `node mcp-server/dist/cli.js --http --port N` (`pnpm bench:http` builds them first),
 *   with a bearer token in GENIMIX_MCP_TOKENS, the emulator's URL and a key, the largest preview
 *   budget (images are shown as they are, see PREVIEW_MAX_BYTES) and a drain of 120 s;
 * - nginx (Debian's; installed with apt-get when missing) in front of them: round-robin, no
 *   affinity, no buffering of the SSE answers, and no retry of a POST that reached a server
 *   (bench/nginx.ts has the configuration and the reasons);
 * - `--clients` MCP clients in this process (the SDK's Client and StreamableHTTPClientTransport,
 *   a bearer token), each calling generate_image with a new imageId, then get_image of it, one
 *   call at a time with no pause: the servers are saturated, so p50 ≈ clients ÷ calls/s.
 *   `--progress` makes them ask for progress, as Claude Code does (answers are then SSE).
 *
 * Phases, `--seconds` each, then the calls in progress are finished (a short warm-up first):
 *   (a) every client straight to one process;   (b) every client through nginx to three;
 *   (c) through nginx to three, one stopped mid-run with SIGTERM, once the load is steady (every
 *       client has finished a call: the calls in flight are of every age) and at least half a
 *       phase in, the clients going on half a phase more; it is restarted, then
 *   (d) the same with SIGKILL (another one).
 *
 * Reading the output: calls/s counts the tool calls that succeeded (generate and get alike) per
 * second, from the phase's start to its last call's end; p50/p99 are per call, as the client saw
 * them; "3 / 1" compares (b) with (a); server CPU per call is the servers' CPU time (all threads)
 * over the calls, the figure least moved by other load on the machine. For (c) and (d): "in
 * flight on it" are the calls running on the stopped process at the signal, or sent to it
 * between a SIGKILL and its death (nginx's X-Upstream-Addr header tells which process served a
 * call); each must finish or fail with a clean error (nginx's 502), not hang (no answer within
 * 150 s). Every call started after the stop must succeed, and so must every call on the other
 * processes. A generate_image answering "pending" (its generation outlasted GENIMIX_MAX_WAIT_MS,
 * as on an overloaded machine) is a success, counted in the Generates line. The Generates the emulator
 * received are counted per phase: never two for one imageId (nginx must not replay a billed
 * Generate), and in (a) and (b) exactly one per generate_image call.
 *
 * Exit code 1 on any unexpected error or hang, a replayed Generate, or a count that does not add
 * up. The figures are the machine's: on 2 cores the clients, servers, nginx and emulator share
 * them (their CPU shares are printed), and other load moves them (the load average is printed).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type CountingEmulator, type GenerateRecord, startCountingEmulator } from './counting-emulator.js';
import { fixed, quantile, runBench, table } from './lib.js';
import { type CallLoopOptions, type CallLoopResult, type CallRecord, runCallLoop } from './mcp-call-loop.js';
import { type Ending, type McpHttpProcess, startMcpHttpProcess } from './mcp-http-process.js';
import { ensureNginx, freePort, type NginxProcess, nginxVersion, startNginx } from './nginx.js';
import { CpuMeter, type Metered } from './process-cpu.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    'latency-ms': { type: 'string', default: '400' },
    progress: { type: 'boolean', default: false },
  },
});
const CLIENTS = wholeArg('clients', 1);
const SECONDS = wholeArg('seconds', 4);
const LATENCY_MS = wholeArg('latency-ms', 0);
const SERVERS = 3;
const WARMUP_SECONDS = 4;
const WARMUP_CLIENTS = 12;
/**
 * A call running longer than this is a hang, not a clean error: longer than any call waits in a
 * queue here (p99 under a minute even on a loaded 2-core machine), shorter than nginx's 300 s.
 */
const CALL_TIMEOUT_MS = 150_000;
const API_KEY = `sk_bench_${randomBytes(12).toString('hex')}`;
const TOKEN = randomBytes(24).toString('base64url');
const PROJECT = 'bench';
const MODEL = 'google/imagen-3.0-generate-002';
/**
 * The largest preview budget the server takes: the emulator's placeholder images (50–150 KB) are
 * then shown as they are. With the default (75 KB) most would get a JPEG preview, made one at a
 * time per process in some 250 ms of CPU (bench/preview-codecs.ts): a process would then serve
 * about 4 image results a second whatever the transport, and this bench would measure the codec.
 */
const PREVIEW_MAX_BYTES = 700_000;
/**
 * How long a SIGTERMed server lets its calls in flight finish: longer than any call waits in a
 * queue here, so that (c) shows a drain that finishes them all. The default, 25 s, is shorter than
 * a saturated process's queue on a loaded 2-core machine; a call still running at its end is cut.
 */
const DRAIN_MS = 120_000;

function wholeArg(name: 'clients' | 'seconds' | 'latency-ms', min: number): number {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return value;
}

let emulator: CountingEmulator | undefined;
let nginx: NginxProcess | undefined;
const servers: McpHttpProcess[] = [];

/** Unexpected outcomes; any makes the exit code 1. */
const problems: string[] = [];

interface Phase {
  name: string;
  run: CallLoopResult;
  generates: GenerateRecord[];
}

const ok = (calls: readonly CallRecord[]) => calls.filter((c) => c.ok);
const callsPerSecond = (p: Phase) => ok(p.run.calls).length / ((p.run.endedAt - p.run.startedAt) / 1000);
function latencies(calls: readonly CallRecord[]): Float64Array {
  return Float64Array.from(calls, (c) => c.end - c.start).sort();
}
const ms = (calls: readonly CallRecord[], p: number) =>
  calls.length ? fixed(quantile(latencies(calls), p / 100), 0) : '-';

/** Runs the load against `url` for `duration` (s, or a function), then takes the emulator's Generates of the phase. */
async function phase(
  name: string,
  url: string,
  duration: number | (() => boolean),
  hooks: Pick<CallLoopOptions, 'onStart' | 'onCall'> = {},
  clients = CLIENTS,
): Promise<Phase> {
  const run = await runCallLoop({
    url,
    clients,
    duration: typeof duration === 'number' ? duration * 1000 : duration,
    idPrefix: name.replace(/\W+/g, '-'),
    token: TOKEN,
    callTimeoutMs: CALL_TIMEOUT_MS,
    progress: args.progress,
    ...hooks,
  });
  return { name, run, generates: await emulator!.takeGenerates() };
}

/**
 * Checks the Generates of a phase against its generate_image calls: never two for one imageId,
 * one with status 200 for each call that succeeded, and (when `everyCallReached`) exactly one per
 * call. Returns a one-line account.
 */
function checkGenerates(p: Phase, everyCallReached: boolean): string {
  const calls = p.run.calls.filter((c) => c.tool === 'generate_image');
  const perId = new Map<string, GenerateRecord[]>();
  for (const record of p.generates) perId.set(record.imageId, [...(perId.get(record.imageId) ?? []), record]);
  const replayed = [...perId.entries()].filter(([, records]) => records.length > 1);
  const called = new Set(calls.map((c) => c.imageId));
  const strangers = [...perId.keys()].filter((id) => !called.has(id));
  // A pending generation may still be running when the phase's Generates are taken.
  const unbilled = calls.filter((c) => c.ok && !c.pending && perId.get(c.imageId)?.[0]?.status !== 200);
  if (replayed.length)
    problems.push(`${p.name}: ${replayed.length} imageId(s) generated more than once, e.g. ${replayed[0]![0]}`);
  if (strangers.length) problems.push(`${p.name}: ${strangers.length} Generate(s) for an imageId no call used`);
  if (unbilled.length) problems.push(`${p.name}: ${unbilled.length} successful generate_image without its Generate`);
  if (everyCallReached && p.generates.length !== calls.length)
    problems.push(
      `${p.name}: ${p.generates.length} Generates at the emulator for ${calls.length} generate_image calls`,
    );
  const byStatus = countBy(p.generates, (r) => String(r.status));
  const pending = calls.filter((c) => c.pending).length;
  return `${p.name}: ${p.generates.length} Generates at the emulator (${byStatus || 'none'}) for ${calls.length} generate_image calls${pending ? ` (${pending} answered "pending": over GENIMIX_MAX_WAIT_MS)` : ''}; imageIds generated twice: ${replayed.length}`;
}

/** Every failed call of a phase in which nothing was stopped is unexpected. */
function checkNoErrors(p: Phase): void {
  const failed = p.run.calls.filter((c) => !c.ok);
  if (failed.length) problems.push(`${p.name}: ${failed.length} call(s) failed, first: ${failed[0]!.error}`);
}

/**
 * How a failed call ended: a clean error (nginx's 502, or another error the client got at
 * once), or a hang: no answer until the client's timeout. A hang after the response's headers
 * came is an SSE stream cut without its result, which the SDK's client (2.4) does not notice:
 * the request waits for its timeout (typescript-sdk#2739).
 */
function failureKind(c: CallRecord): string {
  const error = c.error ?? '';
  if (/timed? ?out/i.test(error))
    return c.upstream === undefined ? 'hang: no response' : 'hang: SSE stream cut after its headers';
  const status = /status[":\s]+(\d{3})|\b(50\d)\b/.exec(error);
  if (status) return `HTTP ${status[1] ?? status[2]} from nginx`;
  return error.slice(0, 80);
}
const isHang = (c: CallRecord) => failureKind(c).startsWith('hang');

/** Counts by key, as "3× a, 1× b". */
function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n}× ${k}`).join(', ');
}

/**
 * The stop phases: through nginx, `victim` gets `signal` once the load is steady: half the
 * phase has passed and every client has finished a call (so that the calls in flight are of
 * every age, not only first calls); the clients go on for half a phase after it. Checks and
 * returns its rows: the calls in flight on the victim at the signal may fail cleanly; every other
 * call must succeed.
 */
async function stopPhase(
  signal: 'SIGTERM' | 'SIGKILL',
  victim: McpHttpProcess,
): Promise<{ row: string[]; notes: string[] }> {
  let signalledAt = Number.NaN;
  let ending: Promise<Ending> | undefined;
  let halfway = false;
  const finished = new Set<number>();
  const stopWhenSteady = () => {
    if (ending || !halfway || finished.size < CLIENTS) return;
    signalledAt = performance.now();
    ending = victim.stop(signal);
  };
  const halfPhaseMs = (SECONDS * 1000) / 2;
  const p = await phase(
    `(${signal === 'SIGTERM' ? 'c' : 'd'}) ${signal}`,
    `${nginx!.url}/mcp`,
    () => !ending || performance.now() < signalledAt + halfPhaseMs,
    {
      onStart: () =>
        setTimeout(() => {
          halfway = true;
          stopWhenSteady();
        }, halfPhaseMs),
      onCall: (call) => {
        finished.add(call.client);
        stopWhenSteady();
      },
    },
  );
  const ended = await ending!;
  // "After the stop": after the signal for SIGTERM (the listener closes at once, and calls that
  // still reach it are drained); after the exit for SIGKILL, which the kernel does not make at the
  // instant of kill(): a call sent in between may still reach the dying process.
  const stoppedAt = signal === 'SIGTERM' ? signalledAt : signalledAt + ended.ms;
  const victimAddr = `127.0.0.1:${victim.port}`;
  // A call with no response at all (a hang) may have been on any process: counted as on the victim.
  const onVictim = (c: CallRecord) => c.upstream === undefined || c.upstream.split(', ').includes(victimAddr);
  const inFlight = p.run.calls.filter((c) => c.start < stoppedAt && c.end > signalledAt && onVictim(c));
  const after = p.run.calls.filter((c) => c.start >= stoppedAt);
  const others = p.run.calls.filter((c) => !inFlight.includes(c) && !after.includes(c));
  const inFlightFailed = inFlight.filter((c) => !c.ok);
  const hangs = inFlightFailed.filter(isHang);
  const afterFailed = after.filter((c) => !c.ok);
  const othersFailed = others.filter((c) => !c.ok);
  if (hangs.length)
    problems.push(
      `${p.name}: ${hangs.length} call(s) in flight on the stopped process got no answer for ${CALL_TIMEOUT_MS / 1000} s (${countBy(hangs, failureKind)})`,
    );
  if (afterFailed.length)
    problems.push(
      `${p.name}: ${afterFailed.length} call(s) started after the signal failed, first: ${afterFailed[0]!.error}`,
    );
  if (othersFailed.length)
    problems.push(
      `${p.name}: ${othersFailed.length} call(s) not on the stopped process failed, first: ${othersFailed[0]!.error}`,
    );
  if (signal === 'SIGTERM' && ended.signal !== null)
    problems.push(
      `${p.name}: the process did not exit by itself after SIGTERM (${ended.signal} after ${fixed(ended.ms, 0)} ms)`,
    );

  // Where an unexpected failure happened, for the report: relative to the signal, and which server.
  const describe = (c: CallRecord) =>
    `  ${c.tool} started ${fixed((c.start - signalledAt) / 1000, 1)} s and ended ${fixed((c.end - signalledAt) / 1000, 1)} s after the signal, via ${c.upstream ?? 'no response'}: ${c.error}`;
  const unexpected = [...hangs, ...afterFailed, ...othersFailed].slice(0, 5).map(describe);
  const firstCleanError = inFlightFailed.find((c) => !isHang(c))?.error;
  const exit = ended.signal ? `killed (${ended.signal})` : `exit ${ended.code} after ${fixed(ended.ms / 1000, 1)} s`;
  return {
    row: [
      p.name,
      String(p.run.calls.length),
      String(inFlight.length),
      String(inFlight.length - inFlightFailed.length),
      String(inFlightFailed.length - hangs.length),
      String(hangs.length),
      `${after.length - afterFailed.length}/${after.length}`,
      `${others.length - othersFailed.length}/${others.length}`,
      exit,
    ],
    notes: [
      `${p.name}: the calls in flight on it that failed: ${countBy(inFlightFailed, failureKind) || 'none'}`,
      ...(firstCleanError ? [`  e.g. "${firstCleanError.slice(0, 160)}"`] : []),
      checkGenerates(p, false),
      ...unexpected,
    ],
  };
}

async function main(): Promise<number> {
  const say = (line = '') => process.stdout.write(`${line}\n`);
  say(
    `machine before start: load average ${fixed(loadavg()[0]!, 2)} on ${availableParallelism()} CPUs; Node ${process.version}`,
  );
  const nginxBin = ensureNginx((line) => say(line));
  emulator = await startCountingEmulator({
    apiKey: API_KEY,
    profile: 'placeholder',
    latencyMs: { [MODEL]: LATENCY_MS },
  });
  say(
    `emulator: pid ${emulator.pid}, ${emulator.url}, placeholder profile, Generate of ${MODEL} after ${LATENCY_MS} ms`,
  );

  const ports = await Promise.all(Array.from({ length: SERVERS }, () => freePort()));
  // --http writes no file (full images are resources): no GENIMIX_OUTPUT_DIR.
  const env = {
    GENIMIX_API_KEY: API_KEY,
    GENIMIX_PROJECT_ID: PROJECT,
    GENIMIX_BASE_URL: emulator.url,
    GENIMIX_MCP_TOKENS: TOKEN,
    GENIMIX_PREVIEW_MAX_BYTES: String(PREVIEW_MAX_BYTES),
    GENIMIX_MCP_DRAIN_MS: String(DRAIN_MS),
  };
  servers.push(...(await Promise.all(ports.map((port) => startMcpHttpProcess(port, env)))));
  say(`servers:  ${servers.map((s) => `pid ${s.pid} on :${s.port}`).join(', ')} (genimix-mcp --http, a bearer token)`);
  nginx = await startNginx(nginxBin, ports);
  say(
    `nginx:    ${nginxVersion(nginxBin)}, pid ${nginx.pid}, ${nginx.url}, round-robin over the three (${nginx.configPath})`,
  );
  say(
    `clients:  ${CLIENTS} MCP clients (SDK Client + StreamableHTTPClientTransport), each: generate_image, then get_image of it; ${SECONDS} s per phase; ${args.progress ? 'progress requested (SSE answers)' : 'no progress requested (JSON answers)'}`,
  );
  say();

  const lbUrl = `${nginx.url}/mcp`;
  // A few calls on every process first: its first image result loads and compiles the codecs.
  await phase('warm-up', lbUrl, WARMUP_SECONDS, {}, WARMUP_CLIENTS).then((p) => checkNoErrors(p));

  const meterOf = (pids: Metered[]) =>
    new CpuMeter([['clients (this process)', process.pid], ['emulator', emulator!.pid], ...pids]);
  const single = meterOf([['server 1', servers[0]!.pid]]);
  const a = await phase('(a) 1 process, direct', servers[0]!.url, SECONDS, { onStart: () => single.start() });
  const singleCpu = single.read();
  const triple = meterOf([...servers.map((s, i) => [`server ${i + 1}`, s.pid] as const), ['nginx', nginx.pid, true]]);
  const b = await phase(`(b) ${SERVERS} processes, nginx`, lbUrl, SECONDS, { onStart: () => triple.start() });
  const tripleCpu = triple.read();
  for (const p of [a, b]) checkNoErrors(p);

  const row = (p: Phase) => {
    const calls = ok(p.run.calls);
    const of = (tool: string) => calls.filter((c) => c.tool === tool);
    return [
      p.name,
      String(calls.length),
      fixed(callsPerSecond(p), 1),
      ms(calls, 50),
      ms(calls, 99),
      `${ms(of('generate_image'), 50)} / ${ms(of('generate_image'), 99)}`,
      `${ms(of('get_image'), 50)} / ${ms(of('get_image'), 99)}`,
      String(p.run.calls.length - calls.length),
    ];
  };
  say(`${CLIENTS} clients, ${SECONDS} s per phase; ms per call as the client saw it`);
  say(
    table(
      ['setup', 'calls', 'calls/s', 'p50 ms', 'p99 ms', 'generate p50/p99', 'get p50/p99', 'errors'],
      [row(a), row(b)],
    ),
  );
  const p50 = (p: Phase) => quantile(latencies(ok(p.run.calls)), 0.5);
  const p99 = (p: Phase) => quantile(latencies(ok(p.run.calls)), 0.99);
  say(
    `${SERVERS} / 1: throughput ×${fixed(callsPerSecond(b) / callsPerSecond(a), 2)}, p50 ×${fixed(p50(b) / p50(a), 2)}, p99 ×${fixed(p99(b) / p99(a), 2)}`,
  );
  const cpuLine = (cpu: ReturnType<CpuMeter['read']>) => cpu.map((c) => `${c.name} ${fixed(c.percent, 0)}%`).join(', ');
  say(`CPU, % of one core: (a) ${cpuLine(singleCpu)}`);
  say(`                    (b) ${cpuLine(tripleCpu)}`);
  // The cost that decides how many processes a machine can run usefully, less noisy than throughput on a shared machine.
  const serverMsPerCall = (cpu: ReturnType<CpuMeter['read']>, p: Phase) =>
    fixed(cpu.filter((c) => c.name.startsWith('server')).reduce((sum, c) => sum + c.ms, 0) / ok(p.run.calls).length, 0);
  say(
    `server CPU per call (all its threads): (a) ${serverMsPerCall(singleCpu, a)} ms, (b) ${serverMsPerCall(tripleCpu, b)} ms`,
  );
  say(checkGenerates(a, true));
  say(checkGenerates(b, true));
  say();

  // (c) SIGTERM on server 2; it is restarted on its port, and nginx takes it back after its
  // fail_timeout; (d) SIGKILL on server 3.
  const term = await stopPhase('SIGTERM', servers[1]!);
  servers[1] = await startMcpHttpProcess(servers[1]!.port, env);
  const kill = await stopPhase('SIGKILL', servers[2]!);
  say(
    `one of ${SERVERS} stopped mid-run through nginx, once every client had finished a call and at least ${SECONDS / 2} s in, the load going on ${SECONDS / 2} s more; "in flight on it": calls running on it at the signal`,
  );
  say(
    table(
      [
        'phase',
        'calls',
        'in flight on it',
        'finished',
        'clean errors',
        'hangs',
        'later calls ok',
        'other calls ok',
        'stopped process',
      ],
      [term.row, kill.row],
    ),
  );
  for (const line of [...term.notes, ...kill.notes]) say(line);
  say();
  say(
    `machine at the end (this bench included): load average ${fixed(loadavg()[0]!, 2)} on ${availableParallelism()} CPUs`,
  );
  for (const problem of problems) say(`FAIL: ${problem}`);
  say(problems.length === 0 ? 'PASS' : 'FAIL');
  return problems.length === 0 ? 0 : 1;
}

runBench(main, async () => {
  await nginx?.stop();
  await Promise.allSettled(servers.map((s) => s.stop('SIGTERM', 10_000)));
  await emulator?.stop();
});
