/**
 * Failed items in real n8n, by the Genimix node's Settings → On Error: with "Continue (using error
 * output)" every failed item leaves on output 2 only, with its pairedItem and its JSON's
 * `{ error, message, details }`, and the error branch's node actually runs on it; with "Continue
 * (using regular output)" it stays on output 1; without Continue the run stops on it with the
 * node's words. For a Genimix error (404, and a 500 on Generate), bad input and bad credentials.
 */
import {
  checkFailedItem,
  checkRouted,
  generateById as generate,
  getById as get,
  NODE,
  ON_SUCCESS,
  pairedIndex,
  errorWorkflow as workflow,
} from '../error-workflows.js';
import { outputsOf, runsOf } from '../execution.js';
import { API_KEY, checkRunSucceeded, PROJECT_ID, type Scenario } from '../scenario.js';

const WRONG_KEY_CREDENTIAL = { id: 'GenimixWrongKey', name: 'Genimix (wrong key)' };
const BAD_URL_CREDENTIAL = { id: 'GenimixBadUrl', name: 'Genimix (bad Base URL)' };

const WORKFLOWS = [
  workflow('ErrGenimix', 'continueErrorOutput', ['eo-existing', 'eo-missing', 'eo-existing'], get),
  workflow('ErrGenerate500', 'continueErrorOutput', ['eo-gen-ok', 'eo-gen-500'], generate),
  workflow('ErrValidation', 'continueErrorOutput', ['eo-existing', 'bad id!'], get),
  workflow('ErrWrongKey', 'continueErrorOutput', ['eo-existing', 'eo-existing'], get),
  workflow('ErrBadUrl', 'continueErrorOutput', ['eo-existing', 'eo-existing'], get),
  workflow('ErrRegular', 'continueRegularOutput', ['eo-existing', 'eo-missing', 'eo-existing'], get),
  workflow('ErrStop', 'stopWorkflow', ['eo-existing', 'eo-missing', 'eo-existing'], get),
];

export default {
  name: 'error-output',
  title:
    'failed items on the error output (Genimix error, 500 on Generate, bad input, wrong key, bad Base URL), regular output, and no Continue',
  workflows: WORKFLOWS,
  // Independent workflows, one `n8n execute` each: at once, they take a third of the time.
  parallel: true,
  async prepare({ standIn, instance, workflows }) {
    const seeded = await fetch(`${standIn.url}/v1/${PROJECT_ID}/generate/eo-existing`, {
      method: 'PUT',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'A fox' }),
    });
    if (seeded.status !== 200) throw new Error(`seeding image eo-existing: ${seeded.status}`);
    standIn.emulator.faults.add({ kind: 'status', status: 500, route: 'generate', imageId: 'eo-gen-500' });
    // Two more credentials, each used by one workflow (the harness pointed every node at its own).
    await instance.importCredentials([
      {
        ...WRONG_KEY_CREDENTIAL,
        type: 'genimixApi',
        data: { apiKey: 'n8n-test-wrong-key', projectId: PROJECT_ID, baseUrl: standIn.url },
      },
      {
        ...BAD_URL_CREDENTIAL,
        type: 'genimixApi',
        data: { apiKey: API_KEY, projectId: PROJECT_ID, baseUrl: 'ftp://example.com' },
      },
    ]);
    const rewired = [
      ['ErrWrongKey', WRONG_KEY_CREDENTIAL],
      ['ErrBadUrl', BAD_URL_CREDENTIAL],
    ] as const;
    for (const [id, credential] of rewired) {
      const w = workflows.find((x) => x.id === id)!;
      w.nodes.find((n) => n.name === NODE)!.credentials = { genimixApi: { ...credential } };
    }
    await instance.importWorkflows(rewired.map(([id]) => workflows.find((x) => x.id === id)!));
  },
  async check(ctx, c) {
    const lines: string[] = [];

    const [missing] = checkRouted(ctx, c, 'ErrGenimix', [0, 2], [1]);
    const failed = checkFailedItem(c, missing, 1, 'ErrGenimix error item');
    const details = failed.details as Record<string, unknown>;
    // The workflows run at once and three of them ask for eo-missing: this item's is one of those.
    const request = ctx.standIn.requests.find(
      (r) => r.path.endsWith('/eo-missing') && r.status === 404 && r.requestId === details.requestId,
    );
    c.ok(
      String(failed.error).startsWith('Get of image eo-missing failed: 404 Not Found'),
      'ErrGenimix: error names the operation, the image and the status',
    );
    c.equal(details.status, 404, 'ErrGenimix: details.status, a number');
    c.equal(details.requestId, request?.requestId, 'ErrGenimix: details.requestId is the request id Genimix sent');
    c.ok(
      typeof failed.message === 'string' && failed.message.length > 0 && !String(failed.message).startsWith('Get of'),
      `ErrGenimix: message is Genimix's own: ${String(failed.message)}`,
    );
    c.equal(failed.id, 'eo-missing', 'ErrGenimix: n8n merged the input item into the error item');
    lines.push(`Genimix error item: ${JSON.stringify(missing?.json)}`);

    const [gen500] = checkRouted(ctx, c, 'ErrGenerate500', [0], [1]);
    const failedGenerate = checkFailedItem(c, gen500, 1, 'ErrGenerate500 error item');
    const generateDetails = failedGenerate.details as Record<string, unknown>;
    c.equal(generateDetails.status, 500, 'ErrGenerate500: details.status');
    c.equal(generateDetails.mayHaveBeenBilled, true, 'ErrGenerate500: details.mayHaveBeenBilled');
    c.ok(
      String(generateDetails.description).includes('Check with Get (Operation: Get, Image ID "eo-gen-500")'),
      'ErrGenerate500: description says to check with Get before generating again',
    );

    const [bad] = checkRouted(ctx, c, 'ErrValidation', [0], [1]);
    const failedInput = checkFailedItem(c, bad, 1, 'ErrValidation error item');
    c.ok(
      String(failedInput.error).startsWith('Invalid Image ID in item 1'),
      `ErrValidation: error names the parameter: ${String(failedInput.error)}`,
    );
    c.equal(
      ctx.standIn.requests.filter((r) => r.path.includes('bad')).length,
      0,
      'ErrValidation: nothing sent for the bad id',
    );

    const wrongKey = checkRouted(ctx, c, 'ErrWrongKey', [], [0, 1]);
    wrongKey.forEach(
      (item, index) =>
        void c.equal(
          (checkFailedItem(c, item, index, `ErrWrongKey error item ${index}`).details as Record<string, unknown>)
            .status,
          401,
          `ErrWrongKey item ${index}: details.status`,
        ),
    );
    lines.push(`wrong key error item: ${JSON.stringify(wrongKey[0]?.json)}`);

    const badUrl = checkRouted(ctx, c, 'ErrBadUrl', [], [0, 1]);
    badUrl.forEach(
      (item, index) =>
        void c.ok(
          String(checkFailedItem(c, item, index, `ErrBadUrl error item ${index}`).error).includes('Base URL'),
          `ErrBadUrl item ${index}: error names the Base URL`,
        ),
    );

    const regular = ctx.run('ErrRegular');
    if (checkRunSucceeded(c, regular, 'ErrRegular')) {
      const outputs = outputsOf(regular.execution, NODE);
      c.equal(outputs.length, 1, 'ErrRegular: one output');
      const [out = []] = outputs;
      c.equal(JSON.stringify(out.map(pairedIndex)), '[0,1,2]', 'ErrRegular: every item on output 1, in order');
      checkFailedItem(c, out[1], 1, 'ErrRegular failed item (kept in place)');
      c.equal(outputsOf(regular.execution, ON_SUCCESS)[0]?.length, 3, 'ErrRegular: the next node got all three');
    }

    const stop = ctx.run('ErrStop');
    const stopped =
      stop.execution ??
      (await ctx.instance
        .executionsOf('ErrStop')
        .then((runs) => (runs[0] ? ctx.instance.readExecution(runs[0].id) : undefined)));
    c.ok(stop.exitCode !== 0, `ErrStop: n8n execute failed (exit ${String(stop.exitCode)})`);
    const runError = stopped?.data?.resultData?.error;
    c.ok(
      String(runError?.message ?? '').startsWith('Get of image eo-missing failed: 404 Not Found'),
      `ErrStop: the run's error is the node's: ${String(runError?.message)}`,
    );
    c.ok(String(runError?.description ?? '').includes('eo-missing'), "ErrStop: with the node's description");
    c.equal(runsOf(stopped, ON_SUCCESS).length, 0, 'ErrStop: the next node did not run');
    lines.push(`no Continue: ${String(runError?.message)} (${String(runError?.description)})`);
    return lines;
  },
} satisfies Scenario;
