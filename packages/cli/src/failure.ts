/**
 * How a failure is told: its exit code (1 for Genimix and the network, 2 for usage and input),
 * and a message that says what happened and what to do about it, in the command's own terms
 * (flags and variables, not the core's parameter names).
 */
import {
  GenimixAuthenticationError,
  GenimixConnectionError,
  GenimixError,
  GenimixNotFoundError,
  GenimixPermissionError,
  GenimixRateLimitError,
  GenimixResponseError,
  GenimixServerError,
  GenimixTimeoutError,
  GenimixValidationError,
} from '@genimix/core';
import { CommanderError } from 'commander';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';

/** What the command was doing, so that the fix can name it. */
export interface FailureContext {
  /** The project in use. */
  projectId?: string;
  /** The `--timeout` in force, in seconds; undefined for the defaults. */
  timeoutSeconds?: number | undefined;
  /** Leave the usual fix out: a note says what to do instead. */
  withoutFix?: boolean;
}

/** A failure as the command reports it. */
export interface Failure {
  exitCode: ExitCode;
  /** One or two sentences: what happened, then what to do. Never holds the API key (the core redacts what servers say). */
  message: string;
  /** The error's class (`GenimixNotFoundError`, `UsageError`, `Error`...). */
  name: string;
  /** HTTP status, when Genimix answered. */
  status?: number;
  /** The server's request id, for Genimix support. */
  requestId?: string;
  /** The flag, argument or variable at fault, for bad input. */
  setting?: string;
}

/** The core's parameter names as this command's flags and arguments. */
const SETTING_OF_FIELD: Readonly<Record<string, string>> = {
  imageId: '--id',
  projectId: '--project',
  provider: '--model',
  modelId: '--model',
  prompt: 'PROMPT',
  path: 'FILE',
  data: 'FILE',
  contentType: 'FILE',
  timeoutMs: '--timeout',
  baseUrl: '--base-url',
};

/**
 * An error and what it means for the command's work, in a sentence that takes the place of the
 * usual fix: where an image may have been billed, "run the command again" would pay twice, so
 * the note says what to do instead. The exit code stays the error's.
 */
export class NotedError extends Error {
  override name = 'NotedError';
  readonly note: string;
  constructor(error: unknown, note: string) {
    super(note, { cause: error });
    this.note = note;
  }
}

/** The failure `error` amounts to. */
export function describeFailure(error: unknown, context: FailureContext = {}): Failure {
  if (error instanceof NotedError) {
    const failure = describeFailure(error.cause, { ...context, withoutFix: true });
    return { ...failure, message: `${failure.message} ${error.note}` };
  }
  if (error instanceof UsageError) {
    return { exitCode: EXIT.usage, message: error.message, name: error.name, setting: error.setting };
  }
  if (error instanceof CommanderError) {
    return { exitCode: EXIT.usage, message: error.message.replace(/^error: /, ''), name: 'UsageError' };
  }
  if (error instanceof GenimixValidationError) {
    const setting = SETTING_OF_FIELD[error.field] ?? error.field;
    return { exitCode: EXIT.usage, message: error.message, name: error.name, setting };
  }
  if (error instanceof GenimixError) {
    const fix = context.withoutFix ? '' : fixFor(error, context);
    return {
      exitCode: EXIT.failure,
      message: fix ? `${error.message} ${fix}` : error.message,
      name: error.name,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.failure, message, name: error instanceof Error ? error.name : 'Error' };
}

/** What to do about a Genimix failure, as a sentence; empty when the core's message says it all. */
function fixFor(error: GenimixError, context: FailureContext): string {
  const project = context.projectId === undefined ? 'the project' : `project "${context.projectId}"`;
  if (error instanceof GenimixAuthenticationError) {
    return 'Set GENIMIX_API_KEY to a valid key: copy it again from the Genimix dashboard (API Keys).';
  }
  if (error instanceof GenimixPermissionError) {
    return `The key may not use ${project}: check --project (or GENIMIX_PROJECT_ID), or use a key of that project.`;
  }
  if (error instanceof GenimixNotFoundError) {
    return `Check the id and the project (${project}; --project or GENIMIX_PROJECT_ID).`;
  }
  if (error instanceof GenimixRateLimitError) {
    const wait = error.retryAfterMs === undefined ? 'a while' : `${Math.ceil(error.retryAfterMs / 1000)} s`;
    return error.status === 402
      ? "Top up the plan's quota in the Genimix dashboard, then run the command again."
      : `Wait ${wait}, then run the command again (for a batch, lower --concurrency).`;
  }
  if (error instanceof GenimixServerError) return 'Genimix failed: try again in a minute.';
  if (error instanceof GenimixTimeoutError) {
    const now = context.timeoutSeconds === undefined ? 'the default' : `${context.timeoutSeconds} s`;
    return `Raise --timeout (now ${now}) or run the command again.`;
  }
  if (error instanceof GenimixConnectionError) {
    return 'Check the network and --base-url (or GENIMIX_BASE_URL), then run the command again.';
  }
  // The API never redirects: a proxy or a wrong address does (http:// where the API is https://).
  if (error.status !== undefined && error.status >= 300 && error.status < 400) {
    return 'Genimix never redirects: check --base-url (or GENIMIX_BASE_URL): https://, the right host, no extra path.';
  }
  if (error instanceof GenimixResponseError) {
    return 'The answer was not what Genimix sends: check --base-url (or GENIMIX_BASE_URL) and any proxy in between.';
  }
  return '';
}
