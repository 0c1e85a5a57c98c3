import os from 'node:os';
import path from 'node:path';
import { checkApiKey, checkProjectId, DEFAULT_BASE_URL, GenimixError, normalizeBaseUrl, Redactor } from '@genimix/core';
import { expandHome } from './folders.js';
import { DEFAULT_PREVIEW_MAX_BYTES } from './preview.js';

/** The server's settings, read from its environment. */
export interface ServerConfig {
  /** `GENIMIX_API_KEY`: the project's secret key. Never logged or returned to the model. */
  apiKey: string;
  /**
   * Where the user sets the key, for messages: `GENIMIX_API_KEY` in the server's configuration,
   * or, for a request that brought its own over HTTP, its `X-Genimix-Api-Key` header.
   */
  keySetting: string;
  /** `GENIMIX_PROJECT_ID`: the default project of every tool. */
  projectId: string;
  /** `GENIMIX_BASE_URL`: the API's base URL (default `https://api.genimix.dev`). */
  baseUrl: string;
  /**
   * `GENIMIX_OUTPUT_DIR`: where full images larger than their preview are written (default
   * `~/.cache/genimix-mcp`: private to the user, unlike a shared temporary folder). The model
   * cannot choose another folder. `undefined` over HTTP: a remote client gets the full image with
   * `resources/read`, and nothing is written to the server's disk for it.
   */
  outputDir: string | undefined;
  /**
   * True over HTTP (`--http`): the client is on another machine, so the server's files are not
   * its files. No image is written for it and `upload_image` takes no `path`.
   */
  remote: boolean;
  /**
   * `GENIMIX_ALLOWED_DIRS` (separated by the platform's path delimiter, `:` or `;`): the only
   * folders `upload_image` may read a `path` from. Default: the working directory, unless that is
   * a filesystem root (as under some desktop hosts), in which case none until configured. A
   * leading `~` is the home folder.
   */
  allowedDirs: string[];
  /** `GENIMIX_PREVIEW_MAX_BYTES`: the largest image shown to the model inline, in bytes; larger ones are shown as a preview. */
  previewMaxBytes: number;
  /**
   * `GENIMIX_MAX_WAIT_MS`: how long a tool call waits on a generation before it answers that the
   * image is still being generated, in ms (default 45,000: hosts drop calls after about 60 s).
   */
  maxWaitMs: number;
  /** `GENIMIX_PROGRESS_INTERVAL_MS`: the time between progress notifications while a call waits, in ms (default 2,500). */
  progressIntervalMs: number;
}

/** Default of `GENIMIX_MAX_WAIT_MS`: under the 60 s after which Claude Desktop drops a call. */
export const DEFAULT_MAX_WAIT_MS = 45_000;

/** Default of `GENIMIX_PROGRESS_INTERVAL_MS`: well inside the 5 s hosts wait between signs of life. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 2_500;

/**
 * The smallest preview budget accepted, in bytes: a 512 px JPEG of a photograph needs about this
 * much, and the model needs that many pixels to judge an image.
 */
export const MIN_PREVIEW_MAX_BYTES = 16 * 1024;

/**
 * The largest preview budget accepted, in bytes: its base64 (about 933,000 characters) and the
 * result's text stay under Claude Desktop's 1 MiB limit on a tool result.
 */
export const MAX_PREVIEW_MAX_BYTES = 700_000;

/**
 * How a user sets the upload folders, for messages: the variable, the command's arguments and
 * the Claude Desktop extension's setting (its title in manifest.json), for extension users have
 * settings, not variables.
 */
export const UPLOAD_FOLDERS_SETTING =
  "GENIMIX_ALLOWED_DIRS or the folder arguments (the Claude Desktop extension's 'Folders to upload from' setting)";

/** How a user sets the folder for large images, for messages: the variable and the extension's setting. */
export const OUTPUT_FOLDER_SETTING =
  "GENIMIX_OUTPUT_DIR (the Claude Desktop extension's 'Folder for large images' setting)";

/** One environment variable of the server, as `--help` lists it. */
export interface Setting {
  name: string;
  required: boolean;
  description: string;
}

/** Every environment variable the server reads, in the order `--help` shows them. */
export const SETTINGS: readonly Setting[] = [
  {
    name: 'GENIMIX_API_KEY',
    required: true,
    description: "the project's API key (Genimix dashboard → API Keys); never shown or logged",
  },
  {
    name: 'GENIMIX_PROJECT_ID',
    required: true,
    description: 'the default project of every tool (dashboard → Settings)',
  },
  { name: 'GENIMIX_BASE_URL', required: false, description: `the API's base URL (default ${DEFAULT_BASE_URL})` },
  {
    name: 'GENIMIX_OUTPUT_DIR',
    required: false,
    description:
      'where full images larger than their preview are written (default ~/.cache/genimix-mcp, created private)',
  },
  {
    name: 'GENIMIX_ALLOWED_DIRS',
    required: false,
    description: `folders upload_image may read a path from, separated by "${path.delimiter}" (default: the working directory, or none when that is a filesystem root)`,
  },
  {
    name: 'GENIMIX_PREVIEW_MAX_BYTES',
    required: false,
    description: `largest image shown to the model as it is, in bytes; larger ones are shown as a JPEG preview of at most this size (default ${DEFAULT_PREVIEW_MAX_BYTES}, under 100,000 base64 characters; ${MIN_PREVIEW_MAX_BYTES} to ${MAX_PREVIEW_MAX_BYTES})`,
  },
  {
    name: 'GENIMIX_MAX_WAIT_MS',
    required: false,
    description: `how long a call waits on a generation before answering that it is still running, in ms (default ${DEFAULT_MAX_WAIT_MS}; hosts drop calls after about 60 s)`,
  },
  {
    name: 'GENIMIX_PROGRESS_INTERVAL_MS',
    required: false,
    description: `time between progress notifications while a call waits, in ms (default ${DEFAULT_PROGRESS_INTERVAL_MS})`,
  },
  {
    name: 'GENIMIX_LOG',
    required: false,
    description: 'set to "debug" to log every HTTP attempt to stderr (never the key)',
  },
];

/** How {@link loadConfig} reads: for stdio (the default) or for `--http`. */
export interface LoadMode {
  /** Serving remote clients over HTTP: no output folder, no upload folders. */
  remote?: boolean;
  /**
   * `GENIMIX_CLIENT_KEYS=allow`: requests may bring their own key, so the server's own
   * `GENIMIX_API_KEY` and `GENIMIX_PROJECT_ID` may both be left unset (then `apiKey` and
   * `projectId` are empty, and a request without its own key is refused).
   */
  clientKeys?: boolean;
}

/** A configuration problem, reported as one line on stderr by the CLI. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the configuration from environment variables; `folders` (the command line's arguments)
 * are allowed to `upload_image` beside those of `GENIMIX_ALLOWED_DIRS`; `mode` says whether it is
 * for stdio or for `--http`.
 * @throws {ConfigError} naming the variable to set or fix
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  folders: readonly string[] = [],
  mode: LoadMode = {},
): ServerConfig {
  const apiKey = env.GENIMIX_API_KEY ?? '';
  const projectId = env.GENIMIX_PROJECT_ID?.trim() ?? '';
  // With client keys, a server without a key of its own serves only requests that bring one.
  const optional = mode.clientKeys === true && !apiKey.trim() && !projectId;
  if (!apiKey.trim() && !optional)
    throw new ConfigError(
      `GENIMIX_API_KEY is not set: set it to your Genimix project's API key (dashboard → API Keys)${mode.clientKeys ? ', or unset GENIMIX_PROJECT_ID too so that every request must bring its own key and project' : mode.remote ? ', or set GENIMIX_CLIENT_KEYS=allow so that each client brings its own (X-Genimix-Api-Key and X-Genimix-Project-Id headers)' : ''}.`,
    );
  if (!projectId && !optional)
    throw new ConfigError('GENIMIX_PROJECT_ID is not set: set it to your Genimix project id (dashboard → Settings).');
  let baseUrl: string;
  try {
    if (!optional) {
      checkApiKey(apiKey, 'GENIMIX_API_KEY');
      checkProjectId('GENIMIX_PROJECT_ID', projectId, apiKey, 'GENIMIX_API_KEY');
    }
    baseUrl = normalizeBaseUrl(env.GENIMIX_BASE_URL?.trim() || DEFAULT_BASE_URL);
  } catch (error) {
    const message =
      error instanceof GenimixError ? error.message.replace(/\bbaseUrl\b/g, 'GENIMIX_BASE_URL') : String(error);
    throw new ConfigError(message);
  }
  // The base URL goes into messages and logs: it must not carry the key (a gateway routing by key).
  if (apiKey && new Redactor(apiKey).occursInAnyCase(baseUrl)) {
    throw new ConfigError(
      "GENIMIX_BASE_URL contains the API key: give the key only in GENIMIX_API_KEY (it is sent as the x-api-key header) and the API's address without it in GENIMIX_BASE_URL.",
    );
  }
  const outputDir = mode.remote
    ? undefined
    : path.resolve(cwd, expandHome(env.GENIMIX_OUTPUT_DIR?.trim() || path.join(os.homedir(), '.cache', 'genimix-mcp')));
  const listed = [...(env.GENIMIX_ALLOWED_DIRS?.split(path.delimiter) ?? []), ...folders]
    .map((d) => d.trim())
    .filter(Boolean);
  // A filesystem root as the default would let the model read any image on the machine.
  const defaults = path.parse(cwd).root === path.resolve(cwd) ? [] : [cwd];
  // A remote client's paths name files on its own machine, not on this one.
  const allowedDirs = mode.remote
    ? []
    : (listed.length > 0 ? listed : defaults).map((d) => path.resolve(cwd, expandHome(d)));
  return {
    apiKey,
    keySetting: "GENIMIX_API_KEY in this MCP server's configuration",
    projectId,
    baseUrl,
    outputDir,
    remote: mode.remote === true,
    allowedDirs,
    previewMaxBytes: wholeNumber(
      env,
      'GENIMIX_PREVIEW_MAX_BYTES',
      DEFAULT_PREVIEW_MAX_BYTES,
      MIN_PREVIEW_MAX_BYTES,
      'bytes',
      MAX_PREVIEW_MAX_BYTES,
    ),
    maxWaitMs: wholeNumber(env, 'GENIMIX_MAX_WAIT_MS', DEFAULT_MAX_WAIT_MS, 1, 'milliseconds'),
    progressIntervalMs: wholeNumber(
      env,
      'GENIMIX_PROGRESS_INTERVAL_MS',
      DEFAULT_PROGRESS_INTERVAL_MS,
      1,
      'milliseconds',
    ),
  };
}

/** The longest timer Node can set, in ms (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  unit: string,
  max = MAX_TIMER_MS,
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number of ${unit} from ${min} to ${max}; got ${JSON.stringify(raw.slice(0, 40))}. Remove it to use the default (${fallback}).`,
    );
  }
  return value;
}
