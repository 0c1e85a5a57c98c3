import type { GenimixClient } from '@genimix/core';
import type { ServerConfig } from '../config.js';

/** What every tool is built with. */
export interface ToolDeps {
  client: GenimixClient;
  config: ServerConfig;
}

/** The `projectId` argument, shared by every tool. */
export function projectIdDescription(config: ServerConfig): string {
  return `Genimix project to work in. Omit it to use the configured project "${config.projectId}"; set it only when the user names another project.`;
}
