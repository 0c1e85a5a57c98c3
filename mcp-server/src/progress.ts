import type { ServerContext } from '@modelcontextprotocol/server';

/**
 * Sends a progress notification when the client asked for them (a `progressToken` in the
 * request's `_meta`). Hosts such as Claude Desktop drop a call that stays silent for about
 * 60 s; generation can take that long.
 */
export async function reportProgress(ctx: ServerContext, progress: number, total: number, message: string): Promise<void> {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return;
  await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } }).catch(() => {});
}
