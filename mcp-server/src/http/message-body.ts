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
export type MessageBody = { chunks: Buffer[] } | { status: 400 | 413; message: string };

/**
 * Reads a request's body, up to `maxBytes` and {@link MAX_STRUCTURE_BYTES} JSON members and
 * elements. On a body over either it stops reading at once (the answer should close the
 * connection: the rest is never read).
 * @returns the body or the refusal; `undefined` when the client went away before sending all of it
 */
export function readMessageBody(req: IncomingMessage, maxBytes: number): Promise<MessageBody | undefined> {
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
