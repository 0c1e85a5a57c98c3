import { GenimixClient, GenimixError, GenimixValidationError } from '@genimix/core';
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { credentialFieldProblem, type GenimixCredentials } from '../helpers/client';
import { legacyRequestTransport } from '../transport/legacy-request';

/**
 * `genimixApiTest`: the core's credential check (two probes of an image that cannot exist: one
 * without the key, which Genimix must refuse with 401, then one with it, which must get Genimix's
 * JSON 404). Anything else says which of the two looked wrong: "this URL does not look like the
 * Genimix API" or "the key was refused".
 */
export async function genimixApiTest(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const data = (credential.data ?? {}) as Partial<GenimixCredentials>;
  try {
    const client = new GenimixClient({
      apiKey: data.apiKey ?? '',
      projectId: data.projectId ?? '',
      ...(data.baseUrl ? { baseUrl: data.baseUrl } : {}),
      transport: legacyRequestTransport(this),
    });
    const check = await client.checkCredentials();
    return { status: check.ok ? 'OK' : 'Error', message: check.message };
  } catch (error) {
    // Only a bad field of the credential gets here (the check itself reports every answer).
    if (error instanceof GenimixValidationError) {
      const problem = credentialFieldProblem(error);
      return { status: 'Error', message: `${problem.message}: ${problem.description}` };
    }
    return { status: 'Error', message: error instanceof GenimixError ? error.message : String(error) };
  }
}
