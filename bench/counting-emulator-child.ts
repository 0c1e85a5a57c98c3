/**
 * The child side of bench/counting-emulator.ts: an in-process emulator (`createEmulator`) in a
 * process of its own, answering the parent's questions over the IPC channel. Not run by hand.
 *
 * argv[2]: the JSON of {@link ChildOptions}. Messages: see counting-emulator.ts.
 */
import { createEmulator, type RequestRecord } from '@genimix/emulator';
import type { ChildOptions, GenerateRecord, ParentMessage } from './counting-emulator.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const emulator = await createEmulator({
  port: 0,
  apiKeys: [options.apiKey],
  profile: options.profile,
  latencyMs: options.latencyMs,
});

// emulator.requests keeps the last 10,000 requests: the Generates are copied out of it twice a
// second, by request id (a record's status changes from 'pending' to its outcome), so that a
// long phase loses none.
const generates = new Map<string, RequestRecord>();
const collect = () => {
  for (const record of emulator.requests.list())
    if (record.route === 'generate') generates.set(record.requestId, record);
};
const collector = setInterval(collect, 500);

/** Every Generate since the last take, once none is pending any more (at most 15 s later). */
async function take(): Promise<GenerateRecord[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    collect();
    const pending = [...generates.values()].some((r) => r.status === 'pending');
    if (!pending || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const taken = [...generates.values()].map((r) => ({ imageId: r.imageId ?? '', status: r.status }));
  generates.clear();
  emulator.requests.clear();
  return taken;
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'take') {
    void take().then((records) => process.send!({ type: 'taken', id: message.id, records }));
  } else if (message.type === 'close') {
    clearInterval(collector);
    void emulator.close().then(() => process.exit(0));
  }
});
// The parent is gone (killed): nothing more to serve.
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', url: emulator.url });
