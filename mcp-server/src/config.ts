import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BASE_URL, GenimixError, checkApiKey, checkId, normalizeBaseUrl } from '@genimix/core';

/** The server's settings, read from its environment. */
export interface ServerConfig {
  /** `GENIMIX_API_KEY`: the project's secret key. Never logged or returned to the model. */
  apiKey: string;
  /** `GENIMIX_PROJECT_ID`: the default project of every tool. */
  projectId: string;
  /** `GENIMIX_BASE_URL`: the API's base URL (default `https://api.genimix.dev`). */
  baseUrl: string;
  /**
   * `GENIMIX_OUTPUT_DIR`: where images too large to return inline are written (default
   * `~/.cache/genimix-mcp`: private to the user, unlike a shared temporary folder). The model
   * cannot choose another folder.
   */
  outputDir: string;
  /**
   * `GENIMIX_ALLOWED_DIRS` (separated by the platform's path delimiter, `:` or `;`): the only
   * folders `upload_image` may read a `path` from. Default: the working directory, unless that is
   * a filesystem root (as under some desktop hosts), in which case none until configured.
   */
  allowedDirs: string[];
}

/** A configuration problem, reported as one line on stderr by the CLI. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the configuration from environment variables.
 * @throws {ConfigError} naming the variable to set or fix
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ServerConfig {
  const apiKey = env.GENIMIX_API_KEY;
  if (!apiKey?.trim()) throw new ConfigError('GENIMIX_API_KEY is not set: set it to your Genimix project\'s API key (dashboard → API Keys).');
  const projectId = env.GENIMIX_PROJECT_ID?.trim();
  if (!projectId) throw new ConfigError('GENIMIX_PROJECT_ID is not set: set it to your Genimix project id (dashboard → Settings).');
  let baseUrl: string;
  try {
    checkApiKey(apiKey, 'GENIMIX_API_KEY');
    checkId('GENIMIX_PROJECT_ID', projectId);
    baseUrl = normalizeBaseUrl(env.GENIMIX_BASE_URL?.trim() || DEFAULT_BASE_URL);
  } catch (error) {
    const message = error instanceof GenimixError ? error.message.replace(/\bbaseUrl\b/g, 'GENIMIX_BASE_URL') : String(error);
    throw new ConfigError(message);
  }
  const outputDir = path.resolve(cwd, env.GENIMIX_OUTPUT_DIR?.trim() || path.join(os.homedir(), '.cache', 'genimix-mcp'));
  const listed = env.GENIMIX_ALLOWED_DIRS?.split(path.delimiter).map((d) => d.trim()).filter(Boolean);
  // A filesystem root as the default would let the model read any image on the machine.
  const defaults = path.parse(cwd).root === path.resolve(cwd) ? [] : [cwd];
  const allowedDirs = (listed && listed.length > 0 ? listed : defaults).map((d) => path.resolve(cwd, d));
  return { apiKey, projectId, baseUrl, outputDir, allowedDirs };
}
