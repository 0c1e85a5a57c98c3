/** The example workflow users import, run with `n8n execute` in regular mode (binary data on the file system). */
import { checkRoundTrip, EXAMPLE_WORKFLOW } from '../round-trip.js';
import type { Scenario } from '../scenario.js';

export default {
  name: 'example-workflow',
  title: 'the example workflow (Generate → Get → Upload → Delete), regular mode, binaries on the file system',
  workflows: [EXAMPLE_WORKFLOW],
  async check(ctx, c) {
    const lines = await checkRoundTrip(ctx, c, 'GenimixRoundTrip');
    const failed = ctx.standIn.requests.filter((r) => r.aborted || r.status >= 300);
    c.equal(
      failed.length,
      0,
      `emulator requests that failed (${failed.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')})`,
    );
    return [
      ...lines,
      'Emulator requests:',
      ...ctx.standIn.requests.map(
        (r) => `  ${r.method.padEnd(6)} ${r.path} → ${r.aborted ? 'aborted' : r.status} (${r.durationMs} ms)`,
      ),
    ];
  },
} satisfies Scenario;
