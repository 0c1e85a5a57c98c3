/**
 * Workflows as a scenario declares them (built in code, or a JSON file as users import it) made
 * ready for this harness's n8n: the node typed as the staged package is, the credential pointed at
 * the scenario's emulator, and in queue mode the manual trigger made into a webhook on the main
 * instance (`n8n execute` would run the workflow in its own process, not through the queue).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Workflow, WorkflowNode } from './execution.js';
import { readJson } from './install.js';
import { root } from './package.js';

/** A workflow object, or the path of a workflow JSON file (relative to the repository's root). */
export type WorkflowSource = Workflow | string;

/** The package's node types as users have them (`n8n-nodes-genimix.genimix`, `…genimixTool`). */
const PUBLISHED_PREFIX = 'n8n-nodes-genimix.';
/** The same node loaded through `N8N_CUSTOM_EXTENSIONS`. */
const CUSTOM_PREFIX = 'CUSTOM.';
export const CREDENTIAL_TYPE = 'genimixApi';
export const MANUAL_TRIGGER = 'n8n-nodes-base.manualTrigger';
export const WEBHOOK = 'n8n-nodes-base.webhook';
/** n8n's MCP Server Trigger: it serves its workflow's tools to MCP clients at `/mcp/<path>`. */
export const MCP_TRIGGER = '@n8n/n8n-nodes-langchain.mcpTrigger';

/**
 * A workflow that is served rather than run (an MCP Server Trigger's): published, the main
 * instance started, and the scenario's `check` drives it (e.g. with an MCP client).
 */
export const isServed = (workflow: Workflow): boolean => workflow.nodes.some((n) => n.type === MCP_TRIGGER);

/** The credential every Genimix node of a scenario's workflows uses. */
export interface CredentialRef {
  id: string;
  name: string;
}

/** Loads a workflow file (a deep copy either way). */
export async function loadWorkflow(source: WorkflowSource): Promise<Workflow> {
  if (typeof source === 'string') return readJson<Workflow>(path.resolve(root, source));
  return structuredClone(source);
}

/** `n8n-nodes-genimix.genimix` → `CUSTOM.genimix`; other types unchanged. */
export const customType = (type: string): string =>
  type.startsWith(PUBLISHED_PREFIX) ? CUSTOM_PREFIX + type.slice(PUBLISHED_PREFIX.length) : type;

/** True for the package's nodes, published or custom type. */
export const isGenimixNode = (node: WorkflowNode): boolean =>
  node.type.startsWith(PUBLISHED_PREFIX) || node.type.startsWith(`${CUSTOM_PREFIX}genimix`);

/** The webhook path a queue-mode run of this workflow posts to. */
export const webhookPathOf = (workflow: Workflow): string | undefined => {
  const hook = workflow.nodes.find((n) => n.type === WEBHOOK);
  return hook ? String(hook.parameters.path) : undefined;
};

/**
 * The workflow as this harness imports it (a copy): custom node types (published ones with
 * `keepTypes`, for an installed package), the credential, and with `webhookTrigger` its manual
 * trigger replaced by a POST webhook of the same name (so connections hold) at path
 * `genimix-<workflow id>`, answering at once.
 */
export function adaptWorkflow(
  workflow: Workflow,
  credential: CredentialRef,
  webhookTrigger: boolean,
  keepTypes = false,
): Workflow {
  const copy = structuredClone(workflow);
  copy.nodes = copy.nodes.map((node) => {
    const n = { ...node, type: keepTypes ? node.type : customType(node.type) };
    if (n.credentials?.[CREDENTIAL_TYPE]) n.credentials = { ...n.credentials, [CREDENTIAL_TYPE]: { ...credential } };
    if (webhookTrigger && node.type === MANUAL_TRIGGER) {
      return {
        ...n,
        type: WEBHOOK,
        typeVersion: 2,
        webhookId: randomUUID(),
        parameters: {
          httpMethod: 'POST',
          path: `genimix-${workflow.id.toLowerCase()}`,
          responseMode: 'onReceived',
          options: {},
        },
      };
    }
    return n;
  });
  return copy;
}

/**
 * The start of a batch workflow: a manual trigger "Start" and a Code node `name` that returns `count`
 * items, each `{ json: <itemJs> }` where `itemJs` is a JavaScript expression of the index `i`
 * (e.g. `{ imageId: 'batch-' + i }`). Connect `name` to the next node.
 */
export function batchStart(
  count: number,
  itemJs: string,
  name = 'Items',
): { nodes: WorkflowNode[]; connections: Workflow['connections'] } {
  return {
    nodes: [
      { name: 'Start', type: MANUAL_TRIGGER, typeVersion: 1, position: [0, 0], parameters: {} },
      {
        name,
        type: 'n8n-nodes-base.code',
        typeVersion: 2,
        position: [200, 0],
        parameters: { jsCode: `return Array.from({ length: ${count} }, (_, i) => ({ json: ${itemJs} }));` },
      },
    ],
    connections: { Start: { main: [[{ node: name, type: 'main', index: 0 }]] } },
  };
}

/**
 * A Genimix node (published type, typeVersion 1, the `genimixApi` credential the harness points at
 * the emulator), resource `image`, with `parameters` (operation, ids, options…) at `x` on the canvas.
 */
export function genimixNode(name: string, x: number, parameters: Record<string, unknown>): WorkflowNode {
  return {
    name,
    type: `${PUBLISHED_PREFIX}genimix`,
    typeVersion: 1,
    position: [x, 0],
    parameters: { resource: 'image', options: {}, ...parameters },
    credentials: { [CREDENTIAL_TYPE]: { id: 'genimixApiCredential', name: 'Genimix account' } },
  };
}
