import type { GenimixClient } from '@genimix/core';
import type { ServerConfig } from '../config.js';
import type { Generations } from '../generations.js';

/** What every tool and resource is built with. */
export interface ToolDeps {
  client: GenimixClient;
  config: ServerConfig;
  /** Generations this server started that a later call may still wait for. */
  generations: Generations;
}

/** The `projectId` argument, shared by every tool. */
export function projectIdDescription(config: ServerConfig): string {
  return `Genimix project to work in. Omit it to use the configured project "${config.projectId}"; set it only when the user names another project.`;
}
