/**
 * The load of bench/mcp-http-scale.ts: many MCP clients (the SDK's `Client` over
 * `StreamableHTTPClientTransport`), each calling `generate_image` with a new imageId and then
 * `get_image` of it, one call at a time, until a deadline. Every call is recorded.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/** The two tools the load calls. */
export type Tool = 'generate_image' | 'get_image';

/** One tool call as the client saw it. */
export interface CallRecord {
  client: number;
  tool: Tool;
  imageId: string;
  /** `performance.now()` when the call was made and when it ended, in ms. */
  start: number;
  end: number;
  ok: boolean;
  /**
   * A generate_image that answered status "pending": its generation outlasted the server's
   * GENIMIX_MAX_WAIT_MS and goes on, billed once. A success, with no get_image after it.
   */
  pending?: boolean;
  /** Why it failed: the error thrown, or the tool's error result. */
  error?: string;
  /**
   * The `X-Upstream-Addr` header of the call's HTTP response (which server nginx passed it to,
   * `127.0.0.1:<port>`, several comma-separated when nginx tried more than one), when there was a
   * response through nginx.
   */
  upstream?: string;
}

/** Options of {@link runCallLoop}. */
export interface CallLoopOptions {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`. */
  url: string;
  /** How many clients, each with one call at a time. */
  clients: number;
  /**
   * How long the clients keep starting new calls, from when they are all connected, in ms; or a
   * function that says, before each new call, whether to go on.
   */
  duration: number | (() => boolean);
  /** Prefix of the image ids, unique per run: ids are `<prefix>-<client>-<n>`. */
  idPrefix: string;
  /** The bearer token every request carries. */
  token: string;
  /** A call that has not ended after this many ms fails as hung (SdkError RequestTimeout). */
  callTimeoutMs: number;
  /**
   * Ask for progress notifications (a `progressToken`, as Claude Code does): the server then
   * answers a call that waits with an SSE stream of progress before its result, instead of one
   * JSON body at the end.
   */
  progress?: boolean;
  /** Called once when every client is connected and the calls start (at `performance.now()` `startedAt`). */
  onStart?: (startedAt: number) => void;
  /** Called as each call ends. */
  onCall?: (call: CallRecord) => void;
}

/** What {@link runCallLoop} measured. */
export interface CallLoopResult {
  calls: CallRecord[];
  /** `performance.now()` when the calls started and when the last one ended, in ms. */
  startedAt: number;
  endedAt: number;
  /** Connecting the clients (`initialize` or discovery, through the same URL), in ms. */
  connectMs: number;
}

/**
 * Connects `clients` clients to `url`, then runs the generate/get loop in each until
 * `duration` says stop (the calls in progress then are finished and kept), then closes them.
 * A client whose generate_image fails goes on with a new imageId.
 *
 * @throws {Error} when a client cannot connect
 */
export async function runCallLoop(options: CallLoopOptions): Promise<CallLoopResult> {
  const connectStarted = performance.now();
  const slots = await Promise.all(Array.from({ length: options.clients }, (_, i) => connect(options, i)));
  const connectMs = performance.now() - connectStarted;
  const calls: CallRecord[] = [];
  const startedAt = performance.now();
  options.onStart?.(startedAt);
  const { duration } = options;
  const goOn = typeof duration === 'function' ? duration : () => performance.now() < startedAt + duration;
  const record = (call: CallRecord) => {
    calls.push(call);
    options.onCall?.(call);
    return call;
  };
  try {
    await Promise.all(
      slots.map(async (slot) => {
        for (let n = 0; goOn(); n++) {
          const imageId = `${options.idPrefix}-${slot.index}-${n}`;
          const generated = await call(slot, 'generate_image', imageId, options, {
            imageId,
            prompt: `A lighthouse on a cliff at dusk, ${imageId}`,
          });
          record(generated);
          if (!generated.ok || generated.pending) continue;
          record(await call(slot, 'get_image', imageId, options, { imageId }));
        }
      }),
    );
  } finally {
    await Promise.allSettled(slots.map((slot) => slot.client.close()));
  }
  return { calls, startedAt, endedAt: performance.now(), connectMs };
}

interface Slot {
  index: number;
  client: Client;
  /** The X-Upstream-Addr of the latest response to a POST, reset before each call. */
  upstream: string | undefined;
}

async function connect(options: CallLoopOptions, index: number): Promise<Slot> {
  const slot: Slot = { index, client: new Client({ name: `bench-${index}`, version: '1.0.0' }), upstream: undefined };
  const transport = new StreamableHTTPClientTransport(new URL(options.url), {
    authProvider: { token: async () => options.token },
    // Each client has one call at a time: the upstream of its tools/call POST is its call's (not
    // that of the notifications/cancelled the client sends after a timeout).
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (typeof init?.body === 'string' && init.body.includes('"method":"tools/call"'))
        slot.upstream = response.headers.get('x-upstream-addr') ?? undefined;
      return response;
    },
  });
  await slot.client.connect(transport);
  return slot;
}

async function call(
  slot: Slot,
  tool: Tool,
  imageId: string,
  { callTimeoutMs, progress }: CallLoopOptions,
  args: Record<string, string>,
): Promise<CallRecord> {
  slot.upstream = undefined;
  const start = performance.now();
  let ok = false;
  let pending = false;
  let error: string | undefined;
  try {
    const result = await slot.client.callTool(
      { name: tool, arguments: args },
      { timeout: callTimeoutMs, ...(progress ? { onprogress: () => {} } : {}) },
    );
    const facts = result.structuredContent as { status?: unknown; imageId?: unknown } | undefined;
    pending = tool === 'generate_image' && facts?.status === 'pending';
    if (result.isError) error = `tool error: ${firstText(result.content)}`;
    else if ((facts?.status !== 'ready' && !pending) || facts?.imageId !== imageId)
      error = `unexpected result: ${JSON.stringify(facts).slice(0, 200)}`;
    else ok = true;
  } catch (thrown) {
    error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  }
  const record: CallRecord = { client: slot.index, tool, imageId, start, end: performance.now(), ok };
  if (pending && ok) record.pending = true;
  if (error !== undefined) record.error = error.replace(/\s+/g, ' ').slice(0, 300);
  if (slot.upstream !== undefined) record.upstream = slot.upstream;
  return record;
}

function firstText(content: unknown): string {
  const block = Array.isArray(content) ? content.find((c) => c?.type === 'text') : undefined;
  return typeof block?.text === 'string' ? block.text.slice(0, 200) : JSON.stringify(content).slice(0, 200);
}
