import type { GenimixClient } from '@genimix/core';
import type { ServerConfig } from '../config.js';
import type { Generations } from '../generations.js';

/** What every tool and resource is built with. */
export interface ToolDeps {
  client: GenimixClient;
  config: ServerConfig;
  /** Generations this server started that a later call may still wait for. */
  generations: Generations;
  /**
   * Aborted when the process is about to exit (SIGTERM over HTTP): a call waiting on a generation
   * answers at once that it is still running, rather than be cut off without an answer.
   */
  shutdown?: AbortSignal;
}

/** What a call waits on a generation until: the client's cancellation, or the process's shutdown. */
export function waitSignal(request: AbortSignal, shutdown: AbortSignal | undefined): AbortSignal {
  return shutdown ? AbortSignal.any([request, shutdown]) : request;
}

/** The `projectId` argument, shared by every tool. */
export function projectIdDescription(config: ServerConfig): string {
  return `Genimix project to work in. Omit it to use the configured project "${config.projectId}"; set it only when the user names another project.`;
}
