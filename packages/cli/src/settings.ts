/**
 * The settings every command shares: the global flags, and the environment variables the MCP
 * server reads too (GENIMIX_API_KEY, GENIMIX_PROJECT_ID, GENIMIX_BASE_URL). The key comes from
 * the environment only: a flag would leave it in shell history and in `ps` output.
 */
import {
  checkApiKey,
  checkProjectId,
  DEFAULT_BASE_URL,
  GenimixClient,
  GenimixValidationError,
  normalizeBaseUrl,
  Redactor,
} from '@genimix/core';
import { UsageError } from './exit-codes.js';

/** The global flags, as commander parses them. */
export interface GlobalOptions {
  /** `--project`: overrides GENIMIX_PROJECT_ID. */
  project?: string;
  /** `--base-url`: overrides GENIMIX_BASE_URL. */
  baseUrl?: string;
  /** `--json`: one JSON object per result on stdout. */
  json?: boolean;
  /** `--timeout`: seconds allowed for each request attempt. */
  timeout?: number;
  /** `--quiet`: no progress and no informational messages on stderr. */
  quiet?: boolean;
}

/** How a command reports, from the global flags and where stderr goes. */
export interface OutputMode {
  json: boolean;
  quiet: boolean;
  /** A spinner or bar on stderr: only on a terminal, and neither with `--quiet` nor `--json`. */
  progress: boolean;
}

/** The output mode for `options`; `stderrIsTty` is whether stderr is a terminal. */
export function outputMode(options: GlobalOptions, stderrIsTty: boolean): OutputMode {
  const json = options.json === true;
  const quiet = options.quiet === true;
  return { json, quiet, progress: stderrIsTty && !json && !quiet };
}

/** A client for the project the flags and variables name, and that project. */
export interface Connection {
  client: GenimixClient;
  projectId: string;
  /** The `--timeout` in force, in seconds, for messages; undefined for the defaults. */
  timeoutSeconds: number | undefined;
}

/**
 * Builds the client from the environment and the global flags.
 * @throws {UsageError} naming the variable or flag to set or fix: no key, no project, a bad
 *   project id or base URL, a project id that is the key, a base URL that carries it
 */
export function connect(options: GlobalOptions, env: NodeJS.ProcessEnv): Connection {
  const apiKey = env.GENIMIX_API_KEY ?? '';
  if (apiKey.trim() === '') {
    throw new UsageError(
      'GENIMIX_API_KEY',
      "GENIMIX_API_KEY is not set: export it with your project's API key (Genimix dashboard → API Keys). The key is read from the environment only, never from a flag.",
    );
  }
  const projectSource = options.project !== undefined ? '--project' : 'GENIMIX_PROJECT_ID';
  const projectId = (options.project ?? env.GENIMIX_PROJECT_ID ?? '').trim();
  if (projectId === '') {
    throw new UsageError(
      'GENIMIX_PROJECT_ID',
      'No project: pass --project ID or set GENIMIX_PROJECT_ID to your Genimix project id (dashboard → Settings).',
    );
  }
  const urlSource = options.baseUrl !== undefined ? '--base-url' : 'GENIMIX_BASE_URL';
  const rawUrl = (options.baseUrl ?? env.GENIMIX_BASE_URL ?? '').trim() || DEFAULT_BASE_URL;
  let baseUrl: string;
  try {
    checkApiKey(apiKey, 'GENIMIX_API_KEY');
    checkProjectId(projectSource, projectId, apiKey, 'GENIMIX_API_KEY');
    baseUrl = normalizeBaseUrl(rawUrl);
  } catch (error) {
    if (!(error instanceof GenimixValidationError)) throw error;
    const setting = error.field === 'baseUrl' ? urlSource : error.field;
    throw new UsageError(setting, error.message.replace(/\bbaseUrl\b/g, urlSource));
  }
  // The base URL goes into messages: it must not carry the key (a gateway that routes by key).
  if (new Redactor(apiKey).occursInAnyCase(baseUrl)) {
    throw new UsageError(
      urlSource,
      `${urlSource} contains the API key: give the key only in GENIMIX_API_KEY (it is sent as the x-api-key header) and the API's address without it in ${urlSource}.`,
    );
  }
  const timeoutMs = options.timeout === undefined ? undefined : Math.round(options.timeout * 1000);
  const client = new GenimixClient({
    apiKey,
    projectId,
    baseUrl,
    ...(timeoutMs === undefined ? {} : { timeoutMs, generateTimeoutMs: timeoutMs }),
  });
  return { client, projectId, timeoutSeconds: options.timeout };
}
