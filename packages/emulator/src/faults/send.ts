import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as wait } from 'node:timers/promises';
import type { Reply } from '../respond.js';

/**
 * Sends the status line, the headers (with the whole body's `Content-Length`) and the first half
 * of the body (rounded down), then destroys the connection: the client sees a success cut off
 * mid-body. The cut waits until the sent bytes are with the operating system, or destroying the
 * socket would discard them too.
 *
 * Resolves once the connection is cut.
 */
export async function sendCut(res: ServerResponse, reply: Reply): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, reply.headers);
  // Headers go out now even when there is no half to send (a body of 0 or 1 bytes).
  res.flushHeaders();
  const half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
  const socket = res.socket;
  await new Promise<void>((resolve) => {
    const cut = () => {
      res.destroy();
      resolve();
    };
    if (half.length > 0) res.write(half, cut);
    // An empty write on the socket is queued behind the headers, so its callback comes after them.
    else if (socket && !socket.destroyed) socket.write(Buffer.alloc(0), cut);
    else cut();
  });
}

/**
 * Sends the status line and headers at once, then the body in pieces of `chunkBytes` with a
 * `delayMs` wait between two pieces (none before the first), honouring backpressure. When
 * `signal` aborts (the connection ended, or the emulator is closing) the wait stops at once, its
 * timer is cleared, and the connection is destroyed.
 *
 * Resolves once the body is sent or the connection destroyed; never rejects.
 *
 * @param chunkBytes bytes per piece, ≥ 1
 * @param delayMs the wait between two pieces, in ms
 */
export async function sendSlowly(
  res: ServerResponse,
  reply: Reply,
  chunkBytes: number,
  delayMs: number,
  signal: AbortSignal,
): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, reply.headers);
  for (let offset = 0; offset < reply.body.length; offset += chunkBytes) {
    if (offset > 0 && !(await pause(delayMs, signal))) break;
    if (res.destroyed) break;
    if (!res.write(reply.body.subarray(offset, offset + chunkBytes)) && !(await drained(res, signal))) break;
  }
  if (signal.aborted || res.destroyed) {
    // The connection ended or the emulator is closing: nothing more is sent.
    res.destroy();
    return;
  }
  res.end();
}

/** Waits for `res` to take more data: `true` once it does, `false` when `signal` aborts first. */
async function drained(res: ServerResponse, signal: AbortSignal): Promise<boolean> {
  try {
    await once(res, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits `ms` milliseconds, or until `signal` aborts, whichever comes first; the timer is cleared
 * on abort, so nothing is left pending.
 *
 * @returns `true` when the wait ran its course, `false` when it was aborted
 */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await wait(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
