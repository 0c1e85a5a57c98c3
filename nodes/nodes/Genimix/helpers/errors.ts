import {
  GenimixAbortError,
  GenimixApiError,
  GenimixConnectionError,
  GenimixError,
  GenimixTimeoutError,
  GenimixValidationError,
  mayHaveBeenBilled,
  statusText,
} from '@genimix/core';
import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type JsonObject,
  NodeApiError,
  NodeOperationError,
} from 'n8n-workflow';

/** The node parameter each core input field comes from, by display name. */
const PARAMETERS: Record<string, string> = {
  imageId: 'Image ID',
  projectId: 'Project ID',
  prompt: 'Prompt',
  provider: 'Provider',
  modelId: 'Model ID',
  data: 'Input Binary Field',
  contentType: 'Input Binary Field',
};

/** The operations' names as the node shows them. */
const OPERATION_NAMES: Record<string, string> = {
  generate: 'Generate',
  upload: 'Upload',
  get: 'Get',
  delete: 'Delete',
};

/**
 * The `details` of a failed item (see {@link toErrorItem}); keys without a value are left out.
 * `status` is the HTTP status as a number; `timeoutSeconds` the time allowed per attempt.
 */
export interface FailureDetails extends IDataObject {
  operation?: string;
  imageId?: string;
  projectId?: string;
  status?: number;
  requestId?: string;
  attempts?: number;
  timeoutSeconds?: number;
  /** The wait Genimix asked for (`Retry-After`), in seconds, when it asked for one. */
  retryAfterSeconds?: number;
  /** Set on a Generate that may have reached Genimix, and so may have made and billed the image. */
  mayHaveBeenBilled?: boolean;
  /** The parameter at fault, for bad input. */
  parameter?: string;
  itemIndex?: number;
  /** What to do. */
  description?: string;
}

/** What an error item says beyond the n8n error: the server's (or the core's) message and the details. */
interface Failure {
  message: string;
  details: FailureDetails;
}

const failures = new WeakMap<NodeApiError | NodeOperationError, Failure>();

/**
 * The n8n error for a failure of item `itemIndex`, worded by the node: bad input is a
 * NodeOperationError naming the parameter; an API failure a NodeApiError whose message says which
 * operation on which image failed and how (status and server message, or time-out with attempts),
 * whose description says what to do (for a Generate that may have reached Genimix: check with Get
 * before generating again) and quotes the request id. n8n's own errors keep their kind and gain
 * the item index. The message is set after construction: n8n replaces messages that mention some
 * error codes (ECONNRESET, ETIMEDOUT, …) with generic ones, which would hide the node's.
 */
export function toNodeError(
  ctx: IExecuteFunctions,
  error: unknown,
  itemIndex: number,
): NodeApiError | NodeOperationError {
  const node = ctx.getNode();
  const operation = operationOf(ctx, itemIndex);
  if (error instanceof NodeApiError || error instanceof NodeOperationError) {
    error.context.itemIndex ??= itemIndex;
    if (error.message.trim() === '')
      error.message = `${OPERATION_NAMES[operation ?? ''] ?? 'The operation'} failed in item ${itemIndex}: ${reasonOf(error)}`;
    if (!failures.has(error)) failures.set(error, { message: error.message, details: compact({ operation }) });
    return error;
  }
  if (error instanceof GenimixValidationError) {
    const parameter = PARAMETERS[error.field] ?? error.field;
    const detail =
      error.field === 'data' || error.field === 'contentType' ? 'the input binary' : `the "${parameter}" parameter`;
    const nodeError = new NodeOperationError(node, error.message, {
      itemIndex,
      description: `Fix ${detail} of item ${itemIndex}; nothing was sent to Genimix.`,
    });
    return record(nodeError, `Invalid ${parameter} in item ${itemIndex}: ${error.message}`, {
      message: error.message,
      details: compact({ operation, parameter }),
    });
  }
  if (error instanceof GenimixError) return fromGenimixError(ctx, error, itemIndex, operation);
  // Anything else (n8n's helpers may throw anything, even an empty error): the item must still
  // say what failed, and n8n routes an item to the error output only when its `error` is not empty.
  const title = `${OPERATION_NAMES[operation ?? ''] ?? 'The operation'} failed in item ${itemIndex}: ${reasonOf(error)}`;
  const nodeError = new NodeOperationError(node, error instanceof Error ? error : title, { itemIndex });
  return record(nodeError, nodeError.message.trim() === '' ? title : nodeError.message, {
    message: reasonOf(error),
    details: compact({ operation }),
  });
}

/**
 * A failed item as n8n's error output takes it: JSON with only the keys `error` (what failed,
 * the n8n error's message), `message` (Genimix's own message, else the client's) and `details`
 * ({@link FailureDetails}), and the item's `pairedItem`. n8n routes an item to the error output
 * only when its JSON keys are all among these three (an item with `item.error` set would have
 * its JSON replaced by `{ error }`, losing the status and request id).
 */
export function toErrorItem(nodeError: NodeApiError | NodeOperationError, itemIndex: number): INodeExecutionData {
  const failure = failures.get(nodeError);
  const details: FailureDetails = compact({
    ...failure?.details,
    itemIndex,
    description: nodeError.description ?? undefined,
  });
  return {
    json: { error: nodeError.message, message: failure?.message ?? nodeError.message, details },
    pairedItem: { item: itemIndex },
  };
}

function fromGenimixError(
  ctx: IExecuteFunctions,
  error: GenimixError,
  itemIndex: number,
  operation: string | undefined,
): NodeApiError {
  const call = error.call;
  const imageId = call?.imageId;
  const subject = `${OPERATION_NAMES[operation ?? ''] ?? 'Request'}${imageId ? ` of image ${imageId}` : ''}`;
  const billed = call?.operation === 'generate' && mayHaveBeenBilled(error);
  const seconds = call ? call.timeoutMs / 1000 : undefined;
  let title: string;
  if (error instanceof GenimixTimeoutError && call) {
    title = `${subject} timed out: ${call.attempts === 1 ? `1 attempt of ${seconds} s` : `${call.attempts} attempts of ${seconds} s each`}`;
  } else if (error instanceof GenimixApiError) {
    title = `${subject} failed: ${error.status} ${statusText(error.status)}${error.serverMessage ? `: ${error.serverMessage}` : ''}`;
  } else if (error instanceof GenimixAbortError) {
    title = `${subject} was cancelled`;
  } else {
    title = `${subject} failed: ${withoutAction(error.message)}`;
  }
  const advice = billed && imageId ? billedAdvice(imageId) : adviceFor(error, call?.projectId, imageId, seconds);
  const retryAfterSeconds =
    error instanceof GenimixApiError && error.retryAfterMs !== undefined
      ? Math.ceil(error.retryAfterMs / 1000)
      : undefined;
  // A wait longer than the client makes (Retry-After over 60 s) is the user's to make: say how long.
  const wait =
    retryAfterSeconds === undefined ? '' : `Genimix asked to wait ${duration(retryAfterSeconds)} before trying again.`;
  const description = [
    advice,
    wait,
    error.requestId ? `Request id ${error.requestId}: quote it to Genimix support.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const nodeError = new NodeApiError(ctx.getNode(), { message: title } as JsonObject, {
    itemIndex,
    message: title,
    description,
    ...(error.status === undefined ? {} : { httpCode: String(error.status) }),
  });
  return record(nodeError, title, {
    message: error.serverMessage ?? error.message,
    details: compact({
      operation,
      imageId,
      projectId: call?.projectId,
      status: error.status,
      requestId: error.requestId,
      attempts: call?.attempts,
      timeoutSeconds: error instanceof GenimixTimeoutError ? seconds : undefined,
      mayHaveBeenBilled: billed || undefined,
      retryAfterSeconds,
    }),
  });
}

/** What the user can do about a failure, by its kind. */
function adviceFor(
  error: GenimixError,
  projectId: string | undefined,
  imageId: string | undefined,
  seconds: number | undefined,
): string {
  if (error instanceof GenimixTimeoutError) {
    return `Genimix did not answer within ${seconds ?? '?'} s. Raise Options → Timeout if it is busy, or try again later.`;
  }
  if (error instanceof GenimixAbortError) return 'The execution was stopped while the request was in flight.';
  if (error instanceof GenimixConnectionError && error.status === undefined) {
    return 'No answer from Genimix: check the Base URL of the Genimix API credential and that Genimix is reachable from n8n.';
  }
  switch (error.status) {
    case 401:
      return 'Genimix refused the API key: check the API Key of the Genimix API credential.';
    case 403:
      return `The API key may not use project "${projectId ?? '?'}" or this model: check the credential's Project ID, Options → Project ID and your plan.`;
    case 404:
      return `Genimix has no image "${imageId ?? '?'}" in project "${projectId ?? '?'}": check the Image ID (as Generate or Upload returned it) and the project.`;
    case 400:
    case 422:
      return 'Genimix refused the request: check the parameters (model, prompt).';
    case 413:
      return 'The image is larger than Genimix accepts: upload a smaller one.';
    case 402:
      return "The Genimix plan's quota is used up.";
    case 429:
      return 'Genimix is rate-limiting this API key: lower Options → Concurrency or try again later.';
    default:
      break;
  }
  if (error.status !== undefined && error.status >= 500)
    return 'Genimix (or a proxy in front of it) failed: try again later.';
  return error.message;
}

/** A wait in words: `45 s`, `17 min`, `12 h`, `11.6 days`. */
function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 8640) / 10} days`;
}

/** For a Generate that may have reached Genimix: never just "retry", which may pay twice. */
function billedAdvice(imageId: string): string {
  return `The request may have reached Genimix, which may have generated image "${imageId}" and billed it. Check with Get (Operation: Get, Image ID "${imageId}") before generating again: another Generate is billed again.`;
}

/** The core's and the transport's messages start with the call ("get image "x" failed: "); the node says which call itself. */
function withoutAction(message: string): string {
  return message.replace(/^(?:[a-z]+ image "[^"]*"|[A-Z]+ \S+)(?: failed)?: /, '');
}

function operationOf(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
  try {
    const operation = ctx.getNodeParameter('operation', itemIndex);
    return typeof operation === 'string' ? operation : undefined;
  } catch {
    return undefined;
  }
}

function record<E extends NodeApiError | NodeOperationError>(nodeError: E, title: string, failure: Failure): E {
  nodeError.message = title;
  failures.set(nodeError, failure);
  return nodeError;
}

function compact(details: FailureDetails): FailureDetails {
  return Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined)) as FailureDetails;
}

/** An error's message for a sentence, whatever was thrown (n8n's helpers may throw anything, even nothing). */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  if (message.trim() !== '') return message.trim();
  return error instanceof Error
    ? `${error.name} without a message`
    : `${error === undefined ? 'undefined' : typeof error} thrown, no message`;
}
