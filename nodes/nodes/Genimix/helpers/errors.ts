import { GenimixApiError, GenimixError, GenimixValidationError } from '@genimix/core';
import { type IExecuteFunctions, type JsonObject, NodeApiError, NodeOperationError } from 'n8n-workflow';

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

/**
 * The n8n error for a failure of item `itemIndex`: bad input is a NodeOperationError naming the
 * parameter; an API failure is a NodeApiError with the HTTP status, the server's message and the
 * request id; n8n's own errors keep their kind and gain the item index.
 */
export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
  const node = ctx.getNode();
  if (error instanceof NodeApiError || error instanceof NodeOperationError) {
    error.context.itemIndex ??= itemIndex;
    return error;
  }
  if (error instanceof GenimixValidationError) {
    const parameter = PARAMETERS[error.field] ?? error.field;
    const detail = error.field === 'data' || error.field === 'contentType' ? 'the input binary' : `the "${parameter}" parameter`;
    return new NodeOperationError(node, `Invalid ${parameter} in item ${itemIndex}: ${error.message}`, {
      itemIndex,
      description: `Fix ${detail} of item ${itemIndex}; nothing was sent to Genimix.`,
    });
  }
  if (error instanceof GenimixApiError) {
    const message = error.serverMessage ?? error.message;
    return new NodeApiError(node, { message, status: error.status } as JsonObject, {
      itemIndex,
      httpCode: String(error.status),
      message,
      description: describe(error),
    });
  }
  if (error instanceof GenimixError) {
    return new NodeApiError(node, { message: error.message } as JsonObject, {
      itemIndex,
      message: error.message,
      ...(error.status === undefined ? {} : { httpCode: String(error.status) }),
      description: describe(error),
    });
  }
  return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}

/** The core's full message (status, server message, hint, request id), and what to do with the id. */
function describe(error: GenimixError): string {
  return error.requestId ? `${error.message} Quote the request id to Genimix support.` : error.message;
}
