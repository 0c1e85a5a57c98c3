/**
 * Time-outs and lost answers in real n8n: Options → Timeout per attempt, a time-out that names the
 * operation, the image, the time per attempt and the attempts; a Generate that may have reached
 * Genimix (timed out, or its connection dropped after Genimix made the image) says so and says to
 * check with Get; n8n's generic texts ("You can retry the request immediately", …) never replace
 * the node's message.
 */
import { checkFailedItem, checkRouted, errorWorkflow, generateById, getById } from '../error-workflows.js';
import { PROJECT_ID, type Scenario } from '../scenario.js';

/** n8n's generic replacements for messages that mention an error code (n8n-workflow's NodeError). */
const N8N_GENERIC =
  /retry the request immediately|closed unexpectedly|The connection timed out|The connection was aborted|The service was not able|The service failed/;
const CHECK_WITH_GET = (imageId: string) =>
  `Check with Get (Operation: Get, Image ID "${imageId}") before generating again`;

export default {
  name: 'timeouts',
  title: 'Options → Timeout on a slow Get and Generate, a Generate whose connection drops after the image was made',
  emulator: {
    faults: [
      { kind: 'latency', ms: 5000, route: 'get', imageId: 't-slow', times: 3 },
      { kind: 'latency', ms: 5000, route: 'generate', imageId: 't-gen-slow' },
      { kind: 'drop', when: 'after-processing', route: 'generate', imageId: 't-reset' },
    ],
  },
  workflows: [
    errorWorkflow('TimeoutGet', 'continueErrorOutput', ['t-slow'], { ...getById, options: { timeout: 1 } }),
    errorWorkflow('TimeoutGenerate', 'continueErrorOutput', ['t-gen-slow'], {
      ...generateById,
      options: { timeout: 1 },
    }),
    errorWorkflow('ResetGenerate', 'stopWorkflow', ['t-reset'], generateById),
  ],
  async check(ctx, c) {
    const requestsFor = (imageId: string) => ctx.standIn.requests.filter((r) => r.path.endsWith(`/${imageId}`));

    const [slowGet] = checkRouted(ctx, c, 'TimeoutGet', [], [0]);
    const get = checkFailedItem(c, slowGet, 0, 'TimeoutGet error item');
    c.equal(get.error, 'Get of image t-slow timed out: 3 attempts of 1 s each', 'TimeoutGet: error');
    const getDetails = get.details as Record<string, unknown>;
    c.equal(getDetails.attempts, 3, 'TimeoutGet: details.attempts');
    c.equal(getDetails.timeoutSeconds, 1, 'TimeoutGet: details.timeoutSeconds');
    c.equal(requestsFor('t-slow').length, 3, 'TimeoutGet: requests Genimix got');

    const [slowGenerate] = checkRouted(ctx, c, 'TimeoutGenerate', [], [0]);
    const generate = checkFailedItem(c, slowGenerate, 0, 'TimeoutGenerate error item');
    c.equal(generate.error, 'Generate of image t-gen-slow timed out: 1 attempt of 1 s', 'TimeoutGenerate: error');
    const generateDetails = generate.details as Record<string, unknown>;
    c.equal(generateDetails.mayHaveBeenBilled, true, 'TimeoutGenerate: details.mayHaveBeenBilled');
    c.ok(
      String(generateDetails.description).includes(CHECK_WITH_GET('t-gen-slow')),
      'TimeoutGenerate: says to check with Get before generating again',
    );
    c.equal(requestsFor('t-gen-slow').length, 1, 'TimeoutGenerate: sent once (billed)');

    const reset = ctx.run('ResetGenerate');
    const stopped =
      reset.execution ??
      (await ctx.instance
        .executionsOf('ResetGenerate')
        .then((runs) => (runs[0] ? ctx.instance.readExecution(runs[0].id) : undefined)));
    c.ok(reset.exitCode !== 0, `ResetGenerate: n8n execute failed (exit ${String(reset.exitCode)})`);
    const runError = stopped?.data?.resultData?.error;
    const message = String(runError?.message ?? '');
    c.ok(
      message.startsWith('Generate of image t-reset failed: '),
      `ResetGenerate: the run's error is the node's: ${message}`,
    );
    c.ok(!N8N_GENERIC.test(message), "ResetGenerate: not replaced by n8n's generic text");
    c.ok(
      String(runError?.description ?? '').includes(CHECK_WITH_GET('t-reset')),
      'ResetGenerate: says to check with Get before generating again',
    );
    c.equal(requestsFor('t-reset').length, 1, 'ResetGenerate: sent once (billed)');
    c.ok(
      await ctx.standIn.emulator.store.has(PROJECT_ID, 't-reset'),
      'ResetGenerate: Genimix did make the image (so checking with Get is the right advice)',
    );
    return [
      `time-out: ${String(get.error)}`,
      `Generate time-out: ${String(generate.error)} (${String(generateDetails.description)})`,
      `reset: ${message} (${String(runError?.description)})`,
    ];
  },
} satisfies Scenario;
