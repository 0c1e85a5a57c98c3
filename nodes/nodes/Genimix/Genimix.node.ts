import {
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
} from 'n8n-workflow';
import { description as imageDescription, type ImageOperation, operations } from './actions/image';
import { createClient } from './helpers/client';
import { toNodeError } from './helpers/errors';
import { genimixApiTest } from './methods/credentialTest';

/**
 * The Genimix node: generate, upload, get and delete images of a Genimix project. A thin
 * adapter: each operation's logic is the core client's (`@genimix/core`), which speaks HTTP
 * through n8n's own helpers.
 */
export class Genimix implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Genimix',
    name: 'genimix',
    icon: { light: 'file:genimix.svg', dark: 'file:genimix.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
    description: 'Generate images with Google, OpenAI and Stability models, and store, fetch and delete them with Genimix',
    defaults: { name: 'Genimix' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    usableAsTool: true,
    credentials: [{ name: 'genimixApi', required: true, testedBy: 'genimixApiTest' }],
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [{ name: 'Image', value: 'image' }],
        default: 'image',
      },
      ...imageDescription,
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          {
            displayName: 'Project ID',
            name: 'projectId',
            type: 'string',
            default: '',
            description: 'Work in this Genimix project instead of the credential\'s',
          },
        ],
      },
    ],
  };

  methods = { credentialTest: { genimixApiTest } };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    let client;
    try {
      client = await createClient(this);
    } catch (error) {
      // A bad credential fails every item alike: with "Continue", say so on each of them.
      const nodeError = toNodeError(this, error, 0);
      if (!this.continueOnFail()) throw nodeError;
      const { message, description } = nodeError;
      return [items.map((_, itemIndex) => ({ json: { error: message, ...(description ? { description } : {}) }, pairedItem: { item: itemIndex } }))];
    }
    const returnData: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      try {
        const operation = this.getNodeParameter('operation', itemIndex) as ImageOperation;
        const results = await operations[operation].execute.call(this, itemIndex, client);
        for (const result of results) returnData.push({ ...result, pairedItem: { item: itemIndex } });
      } catch (error) {
        const nodeError = toNodeError(this, error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        returnData.push({ json: { error: nodeError.message, ...(nodeError.description ? { description: nodeError.description } : {}) }, pairedItem: { item: itemIndex } });
      }
    }
    return [returnData];
  }
}
