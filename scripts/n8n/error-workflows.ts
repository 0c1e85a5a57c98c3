/**
 * Workflows for checking where the Genimix node's failed items go: a manual trigger, a Code node
 * making one item per id, the Genimix node with its Settings → On Error, and a NoOp on each of its
 * outputs; and the checks of a run's routing and of a failed item.
 */
import type { Checks } from './checks.js';
import { type Item, outputsOf, runsOf, type Workflow } from './execution.js';
import { checkRunSucceeded, type ScenarioResult } from './scenario.js';

const GENIMIX = 'n8n-nodes-genimix.genimix';
/** The Genimix node's name in these workflows. */
export const NODE = 'Genimix';
/** The NoOp on the success output. */
export const ON_SUCCESS = 'On Success';
/** The NoOp on the error output (with "Continue (using error output)"). */
export const ON_ERROR = 'On Error';

/** Get of the image named by the item's `id`. */
export const getById = {
  resource: 'image',
  operation: 'get',
  imageId: '={{ $json.id }}',
  binaryPropertyName: 'data',
  options: {},
};
/** Generate (no download) under the image id of the item's `id`. */
export const generateById = {
  resource: 'image',
  operation: 'generate',
  model: 'google/imagen-3.0-generate-002',
  prompt: 'A fox',
  imageId: '={{ $json.id }}',
  download: false,
  options: {},
};

/**
 * Manual trigger → a Code node making one item per id → the Genimix node with `onError` and
 * `parameters` → a NoOp on each output ("On Success", and with the error output "On Error").
 */
export function errorWorkflow(
  id: string,
  onError: 'continueErrorOutput' | 'continueRegularOutput' | 'stopWorkflow',
  ids: string[],
  parameters: Record<string, unknown>,
): Workflow {
  const withErrorOutput = onError === 'continueErrorOutput';
  return {
    id,
    name: `Genimix error output: ${id}`,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      {
        id: `${id}-1`,
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: `${id}-2`,
        name: 'Items',
        type: 'n8n-nodes-base.code',
        typeVersion: 2,
        position: [200, 0],
        parameters: { jsCode: `return ${JSON.stringify(ids.map((x) => ({ json: { id: x } })))};` },
      },
      {
        id: `${id}-3`,
        name: NODE,
        type: GENIMIX,
        typeVersion: 1,
        position: [400, 0],
        parameters,
        credentials: { genimixApi: { id: 'genimixApiCredential', name: 'Genimix account' } },
        ...(onError === 'stopWorkflow' ? {} : { onError }),
      },
      {
        id: `${id}-4`,
        name: ON_SUCCESS,
        type: 'n8n-nodes-base.noOp',
        typeVersion: 1,
        position: [600, -100],
        parameters: {},
      },
      ...(withErrorOutput
        ? [
            {
              id: `${id}-5`,
              name: ON_ERROR,
              type: 'n8n-nodes-base.noOp',
              typeVersion: 1,
              position: [600, 100] as [number, number],
              parameters: {},
            },
          ]
        : []),
    ],
    connections: {
      Start: { main: [[{ node: 'Items', type: 'main', index: 0 }]] },
      Items: { main: [[{ node: NODE, type: 'main', index: 0 }]] },
      [NODE]: {
        main: [
          [{ node: ON_SUCCESS, type: 'main', index: 0 }],
          ...(withErrorOutput ? [[{ node: ON_ERROR, type: 'main', index: 0 }]] : []),
        ],
      },
    },
  };
}

/** The input item index an output item is paired with. */
export const pairedIndex = (item: Item | undefined): number | undefined => {
  const paired = item?.pairedItem;
  if (typeof paired === 'number') return paired;
  return Array.isArray(paired) ? paired[0]?.item : paired?.item;
};

/**
 * Checks a failed item as n8n's error output carries it. n8n merges the input item's JSON into an
 * error item (its `id` here), so the node's keys are `error`, `message` and `details` besides it.
 */
export function checkFailedItem(
  c: Checks,
  item: Item | undefined,
  itemIndex: number,
  label: string,
): Record<string, unknown> {
  const json = item?.json ?? {};
  c.equal(pairedIndex(item), itemIndex, `${label}: pairedItem`);
  c.equal(
    Object.keys(json)
      .filter((k) => k !== 'id')
      .sort()
      .join(','),
    'details,error,message',
    `${label}: the node's keys`,
  );
  c.ok(
    typeof json.error === 'string' && json.error.length > 0,
    `${label}: error says what failed: ${String(json.error)}`,
  );
  c.equal(item?.error, undefined, `${label}: no item.error (its JSON would be replaced)`);
  const details = (json.details ?? {}) as Record<string, unknown>;
  c.equal(details.itemIndex, itemIndex, `${label}: details.itemIndex`);
  c.ok(typeof details.description === 'string', `${label}: details.description says what to do`);
  return { ...json, details };
}

/** A run with the error output: the run succeeded, both branches ran with the right items. */
export function checkRouted(
  ctx: ScenarioResult,
  c: Checks,
  workflowId: string,
  successIndexes: number[],
  errorIndexes: number[],
): Item[] {
  const run = ctx.run(workflowId);
  if (!checkRunSucceeded(c, run, workflowId)) return [];
  const [success = [], errors = []] = outputsOf(run.execution, NODE);
  c.equal(
    JSON.stringify(success.map(pairedIndex)),
    JSON.stringify(successIndexes),
    `${workflowId}: items on output 1 (success), by pairedItem`,
  );
  c.equal(
    JSON.stringify(errors.map(pairedIndex)),
    JSON.stringify(errorIndexes),
    `${workflowId}: items on output 2 (error), by pairedItem`,
  );
  const [errorBranch = []] = outputsOf(run.execution, ON_ERROR);
  c.equal(
    runsOf(run.execution, ON_ERROR).length,
    errorIndexes.length > 0 ? 1 : 0,
    `${workflowId}: the error branch's node ran`,
  );
  c.equal(errorBranch.length, errorIndexes.length, `${workflowId}: items the error branch's node received`);
  c.equal(
    runsOf(run.execution, ON_SUCCESS).length,
    successIndexes.length > 0 ? 1 : 0,
    `${workflowId}: the success branch's node ran`,
  );
  return errors;
}
