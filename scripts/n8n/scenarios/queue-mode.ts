/**
 * Queue mode, the way n8n scales: a main instance that takes the webhooks, two `n8n worker`s that
 * run the executions, Redis and PostgreSQL, binary data in the database (n8n's default there). The
 * example workflow passes the same checks as in regular mode; a batch of 50 Generates (with
 * download) feeds an Upload of each generated binary.
 */
import { sha } from '../emulator.js';
import { outputsOf, type Workflow } from '../execution.js';
import { checkRoundTrip, EXAMPLE_WORKFLOW, isPng } from '../round-trip.js';
import { checkRunSucceeded, type Scenario } from '../scenario.js';
import { batchStart, genimixNode } from '../workflows.js';

const BATCH = 50;
const BATCH_ID = 'GenimixQueueBatch';

/** Manual trigger → Code (50 prompts and image ids) → Generate (download) → Upload of each binary as `<id>-copy`. */
const start = batchStart(BATCH, `{ imageId: 'batch-' + i, prompt: 'A lighthouse, study number ' + i }`, 'Prompts');
const batchWorkflow: Workflow = {
  id: BATCH_ID,
  name: `Genimix: ${BATCH} generations, each uploaded again`,
  nodes: [
    ...start.nodes,
    genimixNode('Generate Image', 400, {
      operation: 'generate',
      model: 'openai/dall-e-2',
      prompt: '={{ $json.prompt }}',
      imageId: '={{ $json.imageId }}',
      download: true,
      binaryPropertyName: 'data',
    }),
    genimixNode('Upload Image', 600, {
      operation: 'upload',
      binaryPropertyName: 'data',
      imageId: '={{ $json.imageId }}-copy',
    }),
  ],
  connections: {
    ...start.connections,
    Prompts: { main: [[{ node: 'Generate Image', type: 'main', index: 0 }]] },
    'Generate Image': { main: [[{ node: 'Upload Image', type: 'main', index: 0 }]] },
  },
  settings: { executionOrder: 'v1' },
};

const pairedIndex = (p: unknown) =>
  Array.isArray(p)
    ? (p[0] as { item?: number })?.item
    : typeof p === 'number'
      ? p
      : (p as { item?: number } | undefined)?.item;

export default {
  name: 'queue-mode',
  title: `queue mode (main + 2 workers, Redis, binaries in the database): the example workflow and a batch of ${BATCH} started by webhook`,
  n8n: { mode: 'queue', workers: 2 },
  workflows: [EXAMPLE_WORKFLOW, batchWorkflow],
  parallel: true,
  async check(ctx, c) {
    const { instance, standIn, projectId } = ctx;
    c.equal(instance.binaryMode, 'database', 'binary data mode');

    // Where each execution ran: enqueued by the main instance, run by a worker, not by the main.
    for (const id of ['GenimixRoundTrip', BATCH_ID]) {
      const run = ctx.run(id);
      const exec = run.executionId ?? '?';
      c.ok(
        new RegExp(`Enqueued execution ${exec} \\(`).test(instance.logOf('main')),
        `${id}: the main instance enqueued execution ${exec} (its log)`,
      );
      c.ok(run.worker, `${id}: a worker ran execution ${exec} (${run.worker ?? 'no worker log says so'})`);
      c.ok(
        !new RegExp(`started execution ${exec} \\(`).test(instance.logOf('main')),
        `${id}: the main instance did not run it`,
      );
      c.equal(run.execution?.mode, 'webhook', `${id}: execution mode`);
    }

    const lines = await checkRoundTrip(ctx, c, 'GenimixRoundTrip', 'queue');

    // The batch: 50 Generates in input order, each binary in the database, each uploaded again.
    const batch = ctx.run(BATCH_ID);
    if (checkRunSucceeded(c, batch, 'batch')) {
      const [generated = [], genErrors = []] = outputsOf(batch.execution, 'Generate Image');
      const [uploaded = [], upErrors = []] = outputsOf(batch.execution, 'Upload Image');
      c.equal(generated.length, BATCH, 'batch: Generate items on the success output');
      c.equal(genErrors.length, 0, 'batch: Generate items on an error output');
      const expectedIds = Array.from({ length: BATCH }, (_, i) => `batch-${i}`);
      c.equal(
        generated.map((it) => it.json.imageId).join(','),
        expectedIds.join(','),
        'batch: Generate output in input order (imageIds)',
      );
      c.ok(
        generated.every((it, i) => pairedIndex(it.pairedItem) === i),
        'batch: each Generate item paired with its input item',
      );
      const inDatabase = generated.filter((it) => it.binary?.data?.id?.startsWith('database:'));
      c.equal(inDatabase.length, BATCH, 'batch: Generate binaries kept in the database (id database:…)');
      let sameBytes = 0;
      for (const it of generated) {
        const bytes = it.binary?.data && (await ctx.readBinary(it.binary.data));
        const stored = await standIn.emulator.store.get(projectId, String(it.json.imageId));
        if (bytes && stored && isPng(bytes) && sha(bytes) === sha(stored.bytes) && bytes.length === it.json.size)
          sameBytes++;
      }
      c.equal(
        sameBytes,
        BATCH,
        "batch: binaries read back from n8n's database that are the emulator's PNG, of json.size bytes",
      );
      c.equal(uploaded.length, BATCH, 'batch: Upload items on the success output');
      c.equal(upErrors.length, 0, 'batch: Upload items on an error output');
      c.equal(
        uploaded.map((it) => it.json.imageId).join(','),
        expectedIds.map((id) => `${id}-copy`).join(','),
        'batch: Upload output in input order (imageIds)',
      );
      let copies = 0;
      for (const id of expectedIds) {
        const [original, copy] = await Promise.all([
          standIn.emulator.store.get(projectId, id),
          standIn.emulator.store.get(projectId, `${id}-copy`),
        ]);
        if (original && copy && sha(original.bytes) === sha(copy.bytes) && copy.contentType === 'image/png') copies++;
      }
      c.equal(copies, BATCH, 'batch: uploads the emulator holds, byte for byte the generated image');
      lines.push(
        `Batch: ${generated.length} generated, ${uploaded.length} uploaded, in ${batch.execution?.startedAt && batch.execution.stoppedAt ? Date.parse(batch.execution.stoppedAt) - Date.parse(batch.execution.startedAt) : '?'} ms, on ${batch.worker ?? '?'}`,
      );
    }

    const failed = standIn.requests.filter((r) => r.aborted || r.status >= 300);
    c.equal(
      failed.length,
      0,
      `emulator requests that failed (${failed.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')})`,
    );
    const workers = new Set([ctx.run('GenimixRoundTrip').worker, batch.worker]);
    lines.push(`Executions ran on: ${[...workers].filter(Boolean).join(' and ')}`);
    return lines;
  },
} satisfies Scenario;
