import type { ServerContext } from '@modelcontextprotocol/server';

/**
 * Sends a progress notification when the client asked for them (a `progressToken` in the
 * request's `_meta`); otherwise does nothing. A notification that cannot be sent is dropped:
 * progress never fails a call.
 */
export async function reportProgress(
  ctx: ServerContext,
  progress: number,
  message: string,
  total?: number,
): Promise<void> {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return;
  const params = { progressToken, progress, message, ...(total === undefined ? {} : { total }) };
  await ctx.mcpReq.notify({ method: 'notifications/progress', params }).catch(() => {});
}

/**
 * Reports progress every `intervalMs` until the returned function is called, so that a client
 * that asked for progress hears from a call that waits on a model for a minute: hosts drop calls
 * that stay silent (Claude Code resets its timeout on each notification). `progress` is the time
 * waited so far in ms, which only grows, as the protocol requires; the total is unknown.
 *
 * @param message the text of each notification, given the time waited so far in ms
 * @returns stops the notifications
 */
export function startHeartbeat(
  ctx: ServerContext,
  intervalMs: number,
  message: (elapsedMs: number) => string,
): () => void {
  if (ctx.mcpReq._meta?.progressToken === undefined) return () => {};
  const started = Date.now();
  let last = 0;
  const beat = () => {
    const elapsed = Date.now() - started;
    // Strictly increasing even if the clock stands still between two beats.
    last = Math.max(last + 1, elapsed);
    void reportProgress(ctx, last, message(elapsed));
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => clearInterval(timer);
}
