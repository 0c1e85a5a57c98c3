import { DEFAULT_GENERATE_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from '@genimix/core';
import { type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

/** Items in flight at once when Options → Concurrency is not set. */
export const DEFAULT_CONCURRENCY = 5;
/** The most items in flight the node allows: more would only queue in n8n's HTTP agent. */
export const MAX_CONCURRENCY = 50;
/** The longest Timeout accepted, in seconds (one hour): past that a run looks hung. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** The "Concurrency" and "Timeout" entries of the node's Options collection. */
export const runOptionProperties: INodeProperties[] = [
  {
    displayName: 'Concurrency',
    name: 'concurrency',
    type: 'number',
    default: DEFAULT_CONCURRENCY,
    typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY, numberPrecision: 0 },
    description: `How many items to process at once (1 to ${MAX_CONCURRENCY}). Results keep the input order. Your Genimix plan's rate limit still applies: on a 429 each item waits as Genimix asks. An expression is read for the first item.`,
  },
  {
    displayName: 'Timeout',
    name: 'timeout',
    type: 'number',
    default: 0,
    typeOptions: { minValue: 0, maxValue: MAX_TIMEOUT_SECONDS },
    description: `Seconds to wait for Genimix on each attempt of a request (Get, Upload and Delete are tried up to 3 times, Generate once unless Genimix refused it). 0: ${DEFAULT_TIMEOUT_MS / 1000} s, and ${DEFAULT_GENERATE_TIMEOUT_MS / 1000} s for Generate, whose model draws before Genimix answers. An expression is read for the first item.`,
  },
];

/** How the node runs its items, from Options (read once per run, from the first item). */
export interface RunOptions {
  /** Items in flight at once, 1 to {@link MAX_CONCURRENCY}. */
  concurrency: number;
  /** Time allowed per attempt of every request, in ms; undefined for the core's defaults per operation. */
  timeoutMs: number | undefined;
}

/**
 * Options → Concurrency and Timeout. They describe the run, not an item, so an expression is
 * evaluated for the first item only.
 * @throws {NodeOperationError} naming the option when it is not a number in its range
 */
export function readRunOptions(ctx: IExecuteFunctions): RunOptions {
  const options = ctx.getNodeParameter('options', 0, {}) as { concurrency?: unknown; timeout?: unknown };
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (
    typeof concurrency !== 'number' ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    concurrency > MAX_CONCURRENCY
  ) {
    throw invalid(ctx, 'Concurrency', concurrency, `a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
  const timeout = options.timeout ?? 0;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMEOUT_SECONDS) {
    throw invalid(ctx, 'Timeout', timeout, `a number of seconds up to ${MAX_TIMEOUT_SECONDS} (0 for the defaults)`);
  }
  if (timeout === 0) return { concurrency, timeoutMs: undefined };
  return { concurrency, timeoutMs: Math.max(1, Math.round(timeout * 1000)) };
}

function invalid(ctx: IExecuteFunctions, option: string, value: unknown, expected: string): NodeOperationError {
  const shown = typeof value === 'string' ? `"${value}"` : String(value);
  return new NodeOperationError(ctx.getNode(), `Invalid ${option} option: ${shown}`, {
    description: `Set Options → ${option} to ${expected}; nothing was sent to Genimix.`,
  });
}
