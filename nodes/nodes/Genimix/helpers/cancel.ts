import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * The node's context with another execution cancel signal: the same context in every other
 * respect (its prototype). n8n's helpers take a request's abort signal from
 * `getExecutionCancelSignal()` of the context they are called on (n8n-core's
 * `httpRequestWithAuthentication` overwrites `abortSignal` with it), and the operations pass that
 * signal to every call: so one item's requests can be aborted without cancelling the execution.
 */
export function withCancelSignal(ctx: IExecuteFunctions, signal: AbortSignal): IExecuteFunctions {
  return Object.create(ctx, { getExecutionCancelSignal: { value: () => signal } }) as IExecuteFunctions;
}
