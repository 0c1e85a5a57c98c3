import type { ServerResponse } from 'node:http';
import type { Reply } from '../respond.js';
import { malformedReply, statusReply } from './replies.js';
import { pause, sendCut, sendSlowly } from './send.js';
import type { Fault } from './types.js';

/**
 * One request as a fault sees it: the response, the means to handle the request as usual, and to
 * answer it. The server builds it (see server.ts); faults only decide when and how much is sent.
 */
export interface Exchange {
  readonly res: ServerResponse;
  /**
   * Aborted once the connection ends: the client went away, or `close()` ended every connection.
   * Every wait a fault makes stops on it, clearing its timer.
   */
  readonly signal: AbortSignal;
  /**
   * Handles the request exactly as without faults (store changes included) and resolves to the
   * reply that would be sent, or `undefined` when the client went away meanwhile (the connection
   * is then already destroyed). Call it at most once.
   */
  handle(): Promise<Reply | undefined>;
  /** Sends `reply` whole, as without faults. */
  send(reply: Reply): void;
  /**
   * Sets what the request log says about this request before any byte (or the cut) goes out, so a
   * client that has seen the outcome finds the log already saying so.
   */
  mark(status: number | 'dropped'): void;
}

/** Answers `ex` as without faults. */
export async function respond(ex: Exchange): Promise<void> {
  const reply = await ex.handle();
  if (reply) ex.send(reply);
}

/**
 * Answers `ex` under `fault`. Resolves when the answer is sent or the connection destroyed; never
 * rejects. No fault leaves a timer behind once the connection ends.
 */
export async function applyFault(fault: Fault, ex: Exchange): Promise<void> {
  switch (fault.kind) {
    case 'latency':
      // The request is held before it is handled, as a slow network or a queue would hold it; if
      // the connection ends meanwhile it is never handled, so nothing changes.
      if (await pause(fault.ms, ex.signal)) return respond(ex);
      return drop(ex);
    case 'status':
      // Instead of handling: nothing in the store changes.
      return ex.send(statusReply(fault));
    case 'malformed':
      // Instead of handling, too: a body that breaks the contract, and nothing changed behind it.
      return ex.send(malformedReply(fault));
    case 'drop': {
      if (fault.when === 'before-processing') return drop(ex);
      const reply = await ex.handle();
      if (!reply) return;
      if (fault.when === 'after-processing') return drop(ex);
      ex.mark('dropped');
      return sendCut(ex.res, reply);
    }
    case 'slow-body': {
      const reply = await ex.handle();
      if (!reply) return;
      ex.mark(reply.status);
      return sendSlowly(ex.res, reply, fault.chunkBytes, fault.delayMs, ex.signal);
    }
  }
}

/** Destroys the connection without a response byte. */
function drop(ex: Exchange): void {
  ex.mark('dropped');
  ex.res.destroy();
}
