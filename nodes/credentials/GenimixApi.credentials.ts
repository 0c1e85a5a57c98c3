import type { IAuthenticateGeneric, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * The Genimix API key, project and base URL. The key travels as the `x-api-key` header
 * (Genimix API docs, "Authentication"). Tested by the Genimix node's `genimixApiTest`, since the
 * API has no "who am I" endpoint.
 */
export class GenimixApi implements ICredentialType {
  name = 'genimixApi';

  displayName = 'Genimix API';

  icon: Icon = { light: 'file:genimix.svg', dark: 'file:genimix.dark.svg' };

  documentationUrl = 'https://github.com/genimix/genimix-integrations/tree/main/nodes#credentials';

  properties: INodeProperties[] = [
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      required: true,
      default: '',
      description: 'The secret key of your Genimix project (Genimix dashboard → API Keys)',
    },
    {
      displayName: 'Project ID',
      name: 'projectId',
      type: 'string',
      required: true,
      default: '',
      description: 'Your Genimix project (Genimix dashboard → Settings). Nodes can override it per node.',
    },
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'https://api.genimix.dev',
      description:
        'Where the Genimix API is served. Change it only for a proxy or the local Genimix emulator (e.g. http://127.0.0.1:8787).',
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        'x-api-key': '={{$credentials.apiKey}}',
      },
    },
  };
}
