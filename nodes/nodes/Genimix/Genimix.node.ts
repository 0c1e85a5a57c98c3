import {
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  NodeConnectionTypes,
  NodeOperationError,
} from 'n8n-workflow';
import { type ImageOperation, description as imageDescription, operations } from './actions/image';
import { runBatch } from './helpers/batch';
import { withCancelSignal } from './helpers/cancel';
import { createClient } from './helpers/client';
import { toErrorItem, toNodeError } from './helpers/errors';
import { readRunOptions, runOptionProperties } from './helpers/options';
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
    description:
      'Generate images with Google, OpenAI and Stability models, and store, fetch and delete them with Genimix',
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
          ...runOptionProperties,
          {
            displayName: 'Project ID',
            name: 'projectId',
            type: 'string',
            default: '',
            description: "Work in this Genimix project instead of the credential's",
          },
        ],
      },
    ],
  };

  methods = { credentialTest: { genimixApiTest } };

  /**
   * Runs the items, up to Options → Concurrency at once, and returns their results in input
   * order, each paired with its item. With "Continue" on, a failed item becomes an error item
   * (see `toErrorItem`, which n8n's error output takes); without it, the run fails with the
   * failure of the lowest-index failed item, and the items after it still in flight are aborted.
   */
  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    let client: Awaited<ReturnType<typeof createClient>>;
    let run: ReturnType<typeof readRunOptions>;
    try {
      run = readRunOptions(this);
      client = await createClient(this, { timeoutMs: run.timeoutMs });
    } catch (error) {
      // A bad credential or option fails every item alike: with "Continue", say so on each of them.
      const nodeError = toNodeError(this, error, 0);
      if (!this.continueOnFail()) throw nodeError;
      return [items.map((_, itemIndex) => toErrorItem(nodeError, itemIndex))];
    }
    const cancel = this.getExecutionCancelSignal();
    const outcomes = await runBatch(
      items.length,
      { concurrency: run.concurrency, stopOnFailure: !this.continueOnFail(), ...(cancel ? { signal: cancel } : {}) },
      async (itemIndex, signal) => {
        const operation = this.getNodeParameter('operation', itemIndex) as ImageOperation;
        // The item's own signal: aborted when the execution is cancelled or the run stops early.
        return await operations[operation].execute.call(withCancelSignal(this, signal), itemIndex, client);
      },
    );
    const returnData: INodeExecutionData[] = [];
    for (const [itemIndex, outcome] of outcomes.entries()) {
      if (outcome === undefined) {
        // Never started: only a cancelled execution leaves items behind without a failure first.
        throw new NodeOperationError(this.getNode(), 'The execution was cancelled before every item was processed', {
          itemIndex,
        });
      }
      if (outcome.status === 'fulfilled') {
        for (const result of outcome.value) returnData.push({ ...result, pairedItem: { item: itemIndex } });
        continue;
      }
      const nodeError = toNodeError(this, outcome.reason, itemIndex);
      if (!this.continueOnFail() || cancel?.aborted) throw nodeError;
      returnData.push(toErrorItem(nodeError, itemIndex));
    }
    return [returnData];
  }
}
