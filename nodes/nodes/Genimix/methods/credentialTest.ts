import { GenimixAuthenticationError, GenimixClient, GenimixError, GenimixNotFoundError, GenimixPermissionError } from '@genimix/core';
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import type { GenimixCredentials } from '../helpers/client';
import { legacyRequestTransport } from '../transport/legacy-request';

/** An image id that no project has: asking for it tells a right key (404) from a wrong one (401/403). */
export const PROBE_IMAGE_ID = 'n8n-credential-test-probe-that-does-not-exist';

/**
 * `genimixApiTest`: the Genimix API has no "who am I" endpoint, so the test asks for an image
 * that cannot exist. 404 means the key and project were accepted; 401/403 mean a wrong API key
 * (or one without access to the project); anything else is reported as it is.
 */
export async function genimixApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
  const data = (credential.data ?? {}) as Partial<GenimixCredentials>;
  let client: GenimixClient;
  try {
    client = new GenimixClient({
      apiKey: data.apiKey ?? '',
      projectId: data.projectId ?? '',
      ...(data.baseUrl ? { baseUrl: data.baseUrl } : {}),
      transport: legacyRequestTransport(this),
      timeoutMs: 15_000,
      // A test should answer at once: no waiting to retry.
      maxRetries: 0,
    });
    await client.getImage({ imageId: PROBE_IMAGE_ID });
    return { status: 'OK', message: 'Connection successful' };
  } catch (error) {
    if (error instanceof GenimixNotFoundError) return { status: 'OK', message: 'Connection successful' };
    if (error instanceof GenimixAuthenticationError) return { status: 'Error', message: 'Wrong API key: Genimix refused it (401). Copy the key again from the Genimix dashboard.' };
    if (error instanceof GenimixPermissionError) return { status: 'Error', message: `Wrong API key for this project: Genimix refused access to project "${data.projectId}" (403).` };
    return { status: 'Error', message: error instanceof GenimixError ? error.message : String(error) };
  }
}
