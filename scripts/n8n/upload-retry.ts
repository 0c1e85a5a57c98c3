/**
 * The upload-retry scenarios (issue 8, must-show 2), one page per binary data mode: Get downloads a
 * real PNG from the emulator into a binary, Upload sends that binary under another id while the
 * emulator answers its first upload 503 with `Retry-After: 1`. Checked: the item succeeded, two
 * PUTs went out, each with `Content-Length` equal to the image's size (a proxy in front of the
 * emulator records what came over the wire, since the emulator's log keeps no headers), the second
 * arrived whole, and the stored copy is the input's bytes. A second workflow reads a 60 MB file
 * from disk (Read/Write Files) and uploads it: refused before any request, naming the binary
 * field, its size and the 50 MiB cap, in the same words in every mode.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderPhoto } from '@genimix/emulator';
import { startUploadTap, type UploadTap } from '../../test/helpers/upload-tap.js';
import type { Checks } from './checks.js';
import { sha } from './emulator.js';
import { outputsOf, type Workflow } from './execution.js';
import type { BinaryMode, CollectedRun } from './instance.js';
import { onCleanup } from './processes.js';
import { API_KEY, CREDENTIAL, checkRunSucceeded, PROJECT_ID, type Scenario, type ScenarioResult } from './scenario.js';
import { CREDENTIAL_TYPE } from './workflows.js';

const SOURCE_ID = 'upload-source';
const COPY_ID = 'upload-copy';
const WORKFLOW_ID = 'GenimixUploadRetry';
const CAP_WORKFLOW_ID = 'GenimixUploadCap';
const HUGE_ID = 'upload-huge';
const HUGE_BYTES = 60_000_000;
const credentials = { genimixApi: { id: 'genimixApiCredential', name: 'Genimix account' } };

/** A node of a chain: its name, type and parameters; Genimix nodes get the credential. */
type ChainNode = { name: string; type: string; parameters: Record<string, unknown>; onError?: string };

/** A workflow whose nodes run one after another, from a manual trigger named Start. */
function chain(id: string, name: string, steps: ChainNode[]): Workflow {
  const all: ChainNode[] = [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {} }, ...steps];
  return {
    id,
    name,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: all.map((node, i) => ({
      ...node,
      id: `c5e0a1b2-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      typeVersion: 1,
      position: [220 * i, 0] as [number, number],
      ...(node.type === GENIMIX ? { credentials } : {}),
    })),
    connections: Object.fromEntries(
      all.slice(0, -1).map((node, i) => [node.name, { main: [[{ node: all[i + 1]!.name, type: 'main', index: 0 }]] }]),
    ),
  };
}

const GENIMIX = 'n8n-nodes-genimix.genimix';
const upload = (imageId: string) => ({
  resource: 'image',
  operation: 'upload',
  binaryPropertyName: 'data',
  imageId,
  options: {},
});

const workflow = chain(WORKFLOW_ID, "Genimix: upload of an earlier node's binary, retried", [
  {
    name: 'Get Source',
    type: GENIMIX,
    parameters: { resource: 'image', operation: 'get', imageId: SOURCE_ID, binaryPropertyName: 'data', options: {} },
  },
  { name: 'Upload Copy', type: GENIMIX, parameters: upload(COPY_ID) },
]);

/** Read/Write Files reads a file over the cap from `file`; Upload continues on its error output. */
const capWorkflow = (file: string): Workflow =>
  chain(CAP_WORKFLOW_ID, 'Genimix: upload of a file over the size cap', [
    {
      name: 'Read Huge File',
      type: 'n8n-nodes-base.readWriteFile',
      parameters: { operation: 'read', fileSelector: file, options: {} },
    },
    { name: 'Upload Huge', type: GENIMIX, parameters: upload(HUGE_ID), onError: 'continueErrorOutput' },
  ]);

/** How each mode's binary id starts (memory mode: the binary has none). */
const ID_PREFIX: Record<BinaryMode, string | undefined> = {
  default: undefined,
  filesystem: 'filesystem',
  database: 'database',
};

/** The scenario for one of n8n's binary data modes (`N8N_DEFAULT_BINARY_DATA_MODE`). */
export function uploadRetryScenario(binaryMode: BinaryMode): Scenario {
  let tap: UploadTap | undefined;
  let image: Buffer | undefined;
  const name = `upload-retry-${binaryMode === 'default' ? 'memory' : binaryMode}`;
  // Known before n8n starts, since n8n may read files only from folders it is told of.
  const hugeDir = path.join(os.tmpdir(), `genimix-${name}-${process.pid}`);
  const hugeFile = path.join(hugeDir, 'huge.png');
  return {
    name,
    title: `Upload of an earlier node's binary, 503 + Retry-After on the first attempt, binaries in ${binaryMode === 'default' ? 'memory' : `the ${binaryMode === 'database' ? 'database' : 'file system'}`} (regular mode)`,
    n8n: { binaryMode, env: { N8N_RESTRICT_FILE_ACCESS_TO: hugeDir } },
    workflows: [workflow, capWorkflow(hugeFile)],
    async prepare({ standIn, instance }) {
      await mkdir(hugeDir, { recursive: true });
      onCleanup(() => rm(hugeDir, { recursive: true, force: true }));
      const huge = Buffer.alloc(HUGE_BYTES);
      renderPngSignature(huge);
      await writeFile(hugeFile, huge);
      // A real PNG of a few MB: many chunks on the wire, and Get's width and height can be read.
      image = await renderPhoto({ width: 1600, height: 1200, seed: 8 });
      const put = await fetch(`${standIn.url}/v1/${PROJECT_ID}/image/${SOURCE_ID}`, {
        method: 'PUT',
        headers: { 'x-api-key': API_KEY, 'content-type': 'image/png' },
        body: image,
      });
      if (!put.ok) throw new Error(`seeding the source image: ${put.status} ${await put.text()}`);
      standIn.emulator.faults.add({
        kind: 'status',
        status: 503,
        retryAfter: '1',
        route: 'upload',
        imageId: COPY_ID,
        times: 1,
      });
      const started = await startUploadTap(standIn.url);
      tap = started;
      onCleanup(() => started.close());
      // The same credential, now through the proxy, so that the checks see each request's headers.
      await instance.importCredentials([
        {
          ...CREDENTIAL,
          type: CREDENTIAL_TYPE,
          data: { apiKey: API_KEY, projectId: PROJECT_ID, baseUrl: started.url },
        },
      ]);
    },
    async check(ctx, c) {
      const retried = await collected(ctx, WORKFLOW_ID);
      const capped = await collected(ctx, CAP_WORKFLOW_ID);
      return [
        ...(await checkUploadRetry(ctx, c, binaryMode, tap!, image!, retried)),
        ...checkUploadCap(ctx, c, tap!, capped),
      ];
    },
  };
}

/**
 * The run of `workflowId`, its execution read from the database when `n8n execute`'s printout of it
 * was cut short: in memory mode it holds every binary as base64 (megabytes), and n8n exits before
 * a busy pipe has taken all of it.
 */
async function collected(ctx: ScenarioResult, workflowId: string): Promise<CollectedRun> {
  const run = ctx.run(workflowId);
  if (run.execution) return run;
  const last = (await ctx.instance.executionsOf(workflowId)).at(-1);
  return last ? { ...run, executionId: last.id, execution: await ctx.instance.readExecution(last.id) } : run;
}

async function checkUploadRetry(
  ctx: ScenarioResult,
  c: Checks,
  binaryMode: BinaryMode,
  tap: UploadTap,
  image: Buffer,
  run: CollectedRun,
): Promise<string[]> {
  if (!checkRunSucceeded(c, run, 'upload-retry')) return [];
  const [source] = outputsOf(run.execution, 'Get Source')[0] ?? [];
  const binary = source?.binary?.data;
  if (c.ok(binary, 'Get Source put out a binary "data"')) {
    const prefix = ID_PREFIX[binaryMode];
    c.ok(
      prefix === undefined ? binary!.id === undefined : binary!.id?.startsWith(`${prefix}`),
      `the binary is kept in ${binaryMode} mode (id ${JSON.stringify(binary!.id)})`,
    );
  }
  const [success = [], errors = []] = outputsOf(run.execution, 'Upload Copy');
  c.equal(success.length, 1, 'Upload Copy: one item on the success output');
  c.equal(errors.length, 0, 'Upload Copy: no item on the error output');
  const json = success[0]?.json ?? {};
  c.equal(json.imageId, COPY_ID, 'Upload Copy: json.imageId');
  c.equal(json.size, image.length, "Upload Copy: json.size is the image's size");

  const puts = tap.requests.filter((r) => r.method === 'PUT' && r.path === `/v1/${PROJECT_ID}/image/${COPY_ID}`);
  c.equal(puts.length, 2, 'two uploads went out (the 503, then the retry)');
  puts.forEach((put, i) => {
    c.equal(put.contentLength, image.length, `upload ${i + 1}: Content-Length is the image's size`);
    c.equal(put.transferEncoding, undefined, `upload ${i + 1}: not chunked`);
  });
  c.ok(
    puts[1]?.complete && puts[1].bytes === image.length,
    `upload 2 arrived whole (${puts[1]?.bytes} of ${image.length} bytes)`,
  );
  const statuses = ctx.standIn.requests
    .filter((r) => r.method === 'PUT' && r.path.endsWith(`/image/${COPY_ID}`))
    .map((r) => r.status);
  c.equal(JSON.stringify(statuses), JSON.stringify([503, 200]), 'the emulator answered 503, then 200');
  const stored = await ctx.standIn.emulator.store.get(PROJECT_ID, COPY_ID);
  c.ok(
    stored && sha(stored.bytes) === sha(image),
    `the stored copy is the input's bytes (sha256 ${stored ? sha(stored.bytes).slice(0, 12) : 'none'}… vs ${sha(image).slice(0, 12)}…)`,
  );
  return [
    `Uploads of ${COPY_ID}: ${puts.map((p) => `Content-Length ${p.contentLength}, ${p.bytes} bytes received`).join('; ')}; emulator ${statuses.join(' → ')}`,
  ];
}

/** The PNG signature at the start of `bytes`: a "PNG" by its magic bytes, which is all a type check reads. */
function renderPngSignature(bytes: Buffer): void {
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
}

/** The same refusal in every mode, on the error output, before any request. */
function checkUploadCap(ctx: ScenarioResult, c: Checks, tap: UploadTap, run: CollectedRun): string[] {
  if (!checkRunSucceeded(c, run, 'upload-cap')) return [];
  const [read] = outputsOf(run.execution, 'Read Huge File')[0] ?? [];
  c.ok(read?.binary?.data, `Read Huge File put out a binary "data" (id ${JSON.stringify(read?.binary?.data?.id)})`);
  const [success = [], errors = []] = outputsOf(run.execution, 'Upload Huge');
  c.equal(success.length, 0, 'Upload Huge: no item on the success output');
  c.equal(errors.length, 1, 'Upload Huge: one item on the error output');
  const text = JSON.stringify(errors[0]?.json ?? {});
  const expected = `The binary field \\"data\\" of item 0 is ${HUGE_BYTES} bytes (57.2 MiB), more than the 52428800 bytes (50 MiB) Genimix accepts for an upload`;
  c.ok(text.includes(expected), `the error names the binary field, its size and the cap: ${text.slice(0, 300)}`);
  c.ok(/Nothing was sent to Genimix/.test(text), 'the error says nothing was sent, and what to do');
  const sent =
    tap.requests.filter((r) => r.path.endsWith(`/image/${HUGE_ID}`)).length +
    ctx.standIn.requests.filter((r) => r.path.endsWith(`/image/${HUGE_ID}`)).length;
  c.equal(sent, 0, 'no request for the file over the cap reached the proxy or the emulator');
  return [];
}
