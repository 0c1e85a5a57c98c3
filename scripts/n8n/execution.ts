/**
 * n8n's workflows and executions as this harness reads them: the JSON of a workflow file, and the
 * execution's `data.resultData` (as `n8n execute --rawOutput` prints it and the database keeps it).
 */

export interface WorkflowNode {
  id?: string;
  name: string;
  type: string;
  typeVersion?: number;
  position?: [number, number];
  parameters: Record<string, unknown>;
  credentials?: Record<string, { id: string; name: string }>;
  /** `continueRegularOutput` / `continueErrorOutput` / `stopWorkflow`. */
  onError?: string;
  webhookId?: string;
  [key: string]: unknown;
}

export interface Workflow {
  id: string;
  name: string;
  nodes: WorkflowNode[];
  connections: Record<string, { main?: Array<Array<{ node: string; type: string; index: number }> | null> }>;
  active?: boolean;
  settings?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A binary property's metadata on an item (the bytes are in n8n's binary data store, see `id`). */
export interface BinaryMeta {
  mimeType?: string;
  fileName?: string;
  fileExtension?: string;
  fileSize?: string;
  /** `filesystem-v2:…` or `database:…` when stored out of memory; absent in memory mode. */
  id?: string;
  /** base64 bytes, in memory mode only. */
  data?: string;
}

export interface Item {
  json: Record<string, unknown>;
  binary?: Record<string, BinaryMeta>;
  pairedItem?: { item: number; input?: number } | Array<{ item: number; input?: number }> | number;
  error?: unknown;
}

export interface NodeRun {
  executionStatus?: string;
  executionTime?: number;
  startTime?: number;
  error?: { message?: string; description?: string };
  /** Per output index, the items that left on it (`main[0]` success, `main[1]` an error output). */
  data?: { main?: Array<Item[] | null> };
}

export interface Execution {
  id?: string;
  status?: string;
  finished?: boolean;
  mode?: string;
  startedAt?: string;
  stoppedAt?: string;
  data?: {
    resultData?: {
      error?: { message?: string; description?: string; node?: { name?: string } };
      runData?: Record<string, NodeRun[]>;
      lastNodeExecuted?: string;
    };
  };
}

/** The execution JSON in n8n's stdout: the last top-level `{ … }` that parses, whatever is printed around it. */
export function findExecutionJson(stdout: string): Execution | undefined {
  const lines = stdout.split('\n');
  for (let end = lines.length - 1; end >= 0; end--) {
    if (lines[end]!.trimEnd() !== '}') continue;
    for (let start = end; start >= 0; start--) {
      if (lines[start]!.trimEnd() !== '{' && !lines[start]!.endsWith(' {')) continue;
      const text = [lines[start]!.slice(lines[start]!.lastIndexOf('{')), ...lines.slice(start + 1, end + 1)].join('\n');
      try {
        const value = JSON.parse(text) as Execution;
        if (value && typeof value === 'object' && 'data' in value) return value;
      } catch {
        /* not this one */
      }
    }
  }
  return undefined;
}

/** The runs of node `name` (one per time it ran; `[]` when it never ran). */
export function runsOf(execution: Execution | undefined, name: string): NodeRun[] {
  return execution?.data?.resultData?.runData?.[name] ?? [];
}

/**
 * The items node `name` put out in run `runIndex`, per output index: `[0]` the success output,
 * `[1]` the error output of "Continue (using error output)". Missing outputs are `[]`.
 */
export function outputsOf(execution: Execution | undefined, name: string, runIndex = 0): Item[][] {
  return (runsOf(execution, name)[runIndex]?.data?.main ?? []).map((items) => items ?? []);
}

/** Execution time from `startedAt` to `stoppedAt`, in ms (NaN when either is missing). */
export function durationOf(execution: Execution | undefined): number {
  return execution?.startedAt && execution.stoppedAt
    ? Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt)
    : NaN;
}
