import { GenimixClient, GenimixValidationError } from '@genimix/core';
import { type IExecuteFunctions, NodeOperationError, sleep } from 'n8n-workflow';
import { CREDENTIAL_TYPE, httpRequestTransport } from '../transport/http-request';

/** The `genimixApi` credential's data. */
export interface GenimixCredentials {
  apiKey: string;
  projectId: string;
  baseUrl?: string;
}

const CREDENTIAL_FIELDS: Record<string, string> = { apiKey: 'API Key', projectId: 'Project ID', baseUrl: 'Base URL' };

/** How the node's Options shape the client. */
export interface ClientSettings {
  /** Time allowed per attempt of every call, in ms; undefined for the core's defaults per operation. */
  timeoutMs?: number | undefined;
}

/**
 * The core client for one node run, over n8n's HTTP helpers.
 * @throws {NodeOperationError} when the credential's project id or base URL is invalid
 */
export async function createClient(ctx: IExecuteFunctions, settings: ClientSettings = {}): Promise<GenimixClient> {
  const credentials = await ctx.getCredentials<GenimixCredentials>(CREDENTIAL_TYPE);
  try {
    return new GenimixClient({
      apiKey: credentials.apiKey,
      projectId: credentials.projectId,
      ...(credentials.baseUrl ? { baseUrl: credentials.baseUrl } : {}),
      transport: httpRequestTransport(ctx),
      ...(settings.timeoutMs === undefined
        ? {}
        : { timeoutMs: settings.timeoutMs, generateTimeoutMs: settings.timeoutMs }),
      // n8n Cloud forbids timers in community nodes: waits between retries use n8n's own.
      sleep: (ms, signal) => sleep(ms, signal),
      logger: { debug: (message) => ctx.logger.debug(message) },
    });
  } catch (error) {
    if (error instanceof GenimixValidationError) {
      const problem = credentialFieldProblem(error);
      throw new NodeOperationError(ctx.getNode(), problem.message, { description: problem.description });
    }
    throw new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error));
  }
}

/**
 * A bad field of the Genimix API credential in the credential's own words: `message` names the
 * field as n8n shows it ("API Key", "Project ID", "Base URL"), `description` is the core's
 * explanation with the field so named. Used by node runs and the credential test alike.
 */
export function credentialFieldProblem(error: GenimixValidationError): { message: string; description: string } {
  const field = CREDENTIAL_FIELDS[error.field] ?? error.field;
  const description = error.message.startsWith(`${error.field} `)
    ? `${field}${error.message.slice(error.field.length)}`
    : error.message;
  return { message: `The Genimix API credential's ${field} is invalid`, description };
}
