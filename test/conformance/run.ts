/**
 * Runs the conformance suite (suite.ts) in whatever runtime starts it (Node, Bun, Deno), against
 * an emulator another process serves, and prints one line per case:
 *
 *   node --import tsx test/conformance/run.ts --transport=default
 *   bun run run.ts --transport=fetch
 *   deno run --allow-net --allow-read --allow-env --node-modules-dir=manual run.ts
 *
 * Environment: GENIMIX_BASE_URL (the emulator), GENIMIX_API_KEY (one of its keys),
 * GENIMIX_PROJECT_ID (a project of this run alone), GENIMIX_CONFORMANCE_CONTROL (control.ts's
 * server, for faults and the request log). `--transport` is `default` (the client's own choice),
 * `fetch` (createFetchTransport) or `undici` (createUndiciTransport).
 *
 * Before the cases it says which runtime this is, whether the `undici` package can be imported
 * here and whether the core's runtime opens files for uploads from a `path`; after them, how many requests went through the global fetch (counted by wrapping it), so
 * that a caller can tell which transport the default client chose. Exits 1 when a case failed.
 */
import { GenimixClient, GenimixValidationError, type Transport } from '@genimix/core';
import { cases, type EmulatorControl } from './suite.ts';

/** The longest a case may take: a hung case fails instead of holding the run. */
const CASE_LIMIT_MS = 30_000;

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

function required(name: string): string {
  const value = env[name];
  if (!value) {
    console.error(
      `${name} is not set: run.ts needs GENIMIX_BASE_URL, GENIMIX_API_KEY, GENIMIX_PROJECT_ID and GENIMIX_CONFORMANCE_CONTROL.`,
    );
    throw new Error(`${name} is not set`);
  }
  return value;
}

function runtimeName(): string {
  const g = globalThis as {
    Bun?: { version: string };
    Deno?: { version: { deno: string } };
    process?: { version?: string };
  };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return `node ${g.process?.version ?? '?'}`;
}

/** Whether `import('undici')` works from here, and what it finds. */
async function undiciReach(): Promise<string> {
  // A variable, so that no type check or bundler goes looking for the package.
  const name = 'undici';
  let resolved: string | undefined;
  try {
    resolved = import.meta.resolve(name);
  } catch {
    // Resolution alone may fail: the import below says why.
  }
  try {
    await import(name);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return `not importable (${typeof code === 'string' ? code : (error as Error).name})`;
  }
  // Bun answers with a built-in stand-in, resolved to the bare name rather than a file.
  return resolved && !resolved.includes('/') ? `built-in ${resolved} (no package)` : `importable from ${resolved}`;
}

/**
 * Whether the core's runtime opens files: an upload from this very file (no image, so refused
 * before anything is sent) fails on its bytes where files can be read, and on `path` where the
 * runtime has no file system (the one for Workers and browsers).
 */
async function pathUploads(client: GenimixClient): Promise<string> {
  try {
    await client.uploadImage({ imageId: 'path-probe', path: new URL(import.meta.url).pathname });
    return 'sent';
  } catch (error) {
    if (!(error instanceof GenimixValidationError)) throw error;
    return error.field === 'path' ? `refused (${error.message})` : `opened (${error.field} checked)`;
  }
}

/** Counts the requests to `origin` that go through the global fetch. */
function countFetches(origin: string): () => number {
  const original = globalThis.fetch;
  let count = 0;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(origin)) count++;
    return original(input, init);
  }) as typeof fetch;
  return () => count;
}

async function chooseTransport(choice: string): Promise<Transport | undefined> {
  if (choice === 'default') return undefined;
  if (choice === 'fetch') return (await import('@genimix/core/fetch')).createFetchTransport();
  if (choice === 'undici') return (await import('@genimix/core/undici')).createUndiciTransport();
  throw new Error(`--transport must be default, fetch or undici; got ${choice}`);
}

/** suite.ts's emulator control, over control.ts's HTTP API. */
function httpControl(controlUrl: string, projectId: string): EmulatorControl {
  const project = encodeURIComponent(projectId);
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${controlUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  return {
    async addFault(fault) {
      const { id } = (await (await call('POST', `/faults?project=${project}`, fault)).json()) as { id: number };
      return {
        async whenHit() {
          await (await call('POST', `/faults/${id}/hit`)).arrayBuffer();
        },
      };
    },
    async requests(imageId) {
      const image = imageId === undefined ? '' : `&image=${encodeURIComponent(imageId)}`;
      return (await call('GET', `/requests?project=${project}${image}`)).json() as ReturnType<
        EmulatorControl['requests']
      >;
    },
  };
}

function withinLimit<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function main(argv: readonly string[]): Promise<number> {
  const choice = argv.find((a) => a.startsWith('--transport='))?.slice('--transport='.length) ?? 'default';
  const baseUrl = required('GENIMIX_BASE_URL');
  const apiKey = required('GENIMIX_API_KEY');
  const projectId = required('GENIMIX_PROJECT_ID');
  const emulator = httpControl(required('GENIMIX_CONFORMANCE_CONTROL'), projectId);
  console.log(`runtime: ${runtimeName()}`);
  console.log(`undici: ${await undiciReach()}`);
  console.log(`transport: ${choice}`);
  const fetches = countFetches(new URL(baseUrl).origin);
  const transport = await chooseTransport(choice);
  const client = (options = {}) =>
    new GenimixClient({ apiKey, projectId, baseUrl, ...(transport ? { transport } : {}), ...options });
  console.log(`uploads from a path: ${await pathUploads(client())}`);
  let passed = 0;
  let failed = 0;
  for (const test of cases) {
    const started = Date.now();
    try {
      await withinLimit(test.run({ apiKey, projectId, client, emulator }));
      passed++;
      console.log(`ok   ${test.name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      console.log(`FAIL ${test.name}: ${message.replaceAll('\n', ' ')}`);
    }
  }
  await transport?.close?.();
  console.log(`requests through the global fetch: ${fetches()}`);
  // Not "N passed, N failed": CI reads a line of that form as the closing line of a whole run.
  console.log(`cases: ${passed} of ${passed + failed} passed`);
  return failed === 0 ? 0 : 1;
}

const args = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
const code = await main(args.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  return 2;
});
(globalThis as { process?: { exit(code: number): never } }).process?.exit(code);
