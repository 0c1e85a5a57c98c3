import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { formatBytes } from '../text.js';

/** The bytes that open a JSON object or array or separate its members: `{`, `[`, `:`, `,`. */
const STRUCTURE_BYTES = [0x7b, 0x5b, 0x3a, 0x2c];

/**
 * The most structure bytes ({@link STRUCTURE_BYTES}) a request body may hold. The SDK's message
 * schemas spend microseconds on each member and element, with the event loop blocked for every
 * other client meanwhile: a 26 MB body of 2 million keys held a process for 58 s (measured). A
 * tool call has a few dozen, a batch of calls some thousands (a prompt is at most 4,000
 * characters), and an image travels as one base64 string, which holds none.
 */
export const MAX_STRUCTURE_BYTES = 20_000;

/** A request body read whole (as the chunks it came in), or why it is refused (a JSON-RPC error's status and message). */
export type MessageBody = { chunks: Buffer[] } | { status: 400 | 413 | 503; message: string };

/**
 * Bodies up to this many bytes take nothing from a {@link BodyBudget}: every message but an
 * `upload_image` of a large image, which must never be refused because uploads are under way.
 */
export const SMALL_BODY_BYTES = 1024 * 1024;

/**
 * The most bytes of large request bodies (over {@link SMALL_BODY_BYTES}) the HTTP server holds at
 * once, process-wide: room for four bodies of the largest size at a time. Without a bound, a
 * client that sends bodies of 71 MiB and keeps back their last byte holds 71 MiB per connection
 * until Node's request time-out (5 min): ten connections held 790 MB (measured), a few dozen
 * exhaust a container's memory and end every other client's calls with it.
 */
export const MAX_HELD_BODY_BYTES = 4 * 72 * 1024 * 1024;

/** One request's share of a {@link BodyBudget}. */
export interface BodyShare {
  /**
   * Takes what a body of `size` bytes needs beyond what this share holds already.
   * @returns false, taking nothing, when the budget has not that much left
   */
  grow(size: number): boolean;
  /** Gives back all this share holds; call once the request's answer is done with its body. */
  release(): void;
  /** The 503 message for a body that does not fit in what is left of the budget. */
  readonly refusal: string;
}

/** The bytes of large request bodies a process may hold at once, shared by its requests. */
export class BodyBudget {
  #free: number;

  /** @param bytes the most bytes held at once ({@link MAX_HELD_BODY_BYTES}) */
  constructor(readonly bytes: number) {
    this.#free = bytes;
  }

  /** A share for one request, holding nothing yet. */
  share(): BodyShare {
    let held = 0;
    return {
      grow: (size) => {
        const need = Math.max(0, size - SMALL_BODY_BYTES) - held;
        if (need <= 0) return true;
        if (need > this.#free) return false;
        this.#free -= need;
        held += need;
        return true;
      },
      release: () => {
        this.#free += held;
        held = 0;
      },
      refusal: `This server is holding as many large requests as it takes at once (${formatBytes(this.bytes)} of them): send the request again in a few seconds.`,
    };
  }
}

/**
 * Reads a request's body, up to `maxBytes` and {@link MAX_STRUCTURE_BYTES} JSON members and
 * elements, and as long as `share` can grow to hold it (else 503). On a body over any of these
 * it stops reading at once (the answer should close the connection: the rest is never read).
 * @returns the body or the refusal; `undefined` when the client went away before sending all of it
 */
export function readMessageBody(
  req: IncomingMessage,
  maxBytes: number,
  share: BodyShare,
): Promise<MessageBody | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let structure = 0;
    const settle = (outcome: MessageBody | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (outcome && 'status' in outcome) req.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      structure += countStructure(chunk, MAX_STRUCTURE_BYTES - structure);
      if (size > maxBytes) return settle({ status: 413, message: tooLargeMessage(undefined, maxBytes) });
      if (!share.grow(size)) return settle({ status: 503, message: share.refusal });
      if (structure > MAX_STRUCTURE_BYTES)
        return settle({
          status: 400,
          message: `The request is a JSON message of more than ${MAX_STRUCTURE_BYTES} members and elements; this server accepts at most ${MAX_STRUCTURE_BYTES}. Send only the arguments the tool takes (an image as one base64 string).`,
        });
      chunks.push(chunk);
    };
    const onEnd = () => settle({ chunks });
    // After 'end', 'close' is the stream's own end; before it, the client went away.
    const onClose = () => settle(undefined);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    // An aborted request also emits 'error' (ECONNRESET): 'close' follows and settles.
    req.on('error', () => {});
  });
}

/**
 * The 413 message for a body over `maxBytes`.
 * @param size the body's size in bytes when known (declared), else `undefined`
 */
export function tooLargeMessage(size: number | undefined, maxBytes: number): string {
  const what = size === undefined ? `more than ${formatBytes(maxBytes)}` : formatBytes(size);
  return `The request body is ${what}; this server accepts at most ${formatBytes(maxBytes)} (${maxBytes} bytes), room for an image of up to 50 MiB as base64. Upload a smaller image.`;
}

/**
 * The request as the SDK's `toNodeHandler` reads it (method, target, headers, the verified
 * caller), with its body from `chunks`, already read, instead of the socket.
 */
export function withBody(
  req: IncomingMessage,
  chunks: Buffer[],
  auth: AuthInfo | undefined,
): {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  auth?: AuthInfo;
  [Symbol.asyncIterator](): AsyncGenerator<Buffer>;
} {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    ...(auth ? { auth } : {}),
    async *[Symbol.asyncIterator]() {
      // Handed over one by one and let go, so the body is not kept beside the SDK's own copy.
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) yield chunk;
    },
  };
}

/** How many structure bytes `chunk` holds, counting no further than just past `limit`. */
function countStructure(chunk: Buffer, limit: number): number {
  let count = 0;
  for (const byte of STRUCTURE_BYTES) {
    for (let at = chunk.indexOf(byte); at >= 0 && count <= limit; at = chunk.indexOf(byte, at + 1)) count++;
  }
  return count;
}
