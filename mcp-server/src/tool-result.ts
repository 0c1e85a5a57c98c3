import type { CallToolResult } from '@modelcontextprotocol/server';
import {
  GenimixAbortError,
  GenimixAuthenticationError,
  GenimixBadRequestError,
  GenimixConnectionError,
  GenimixError,
  GenimixNotFoundError,
  GenimixPayloadTooLargeError,
  GenimixPermissionError,
  GenimixRateLimitError,
  GenimixResponseError,
  GenimixServerError,
  GenimixTimeoutError,
  GenimixValidationError,
  surelyNotSent,
} from '@genimix/core';
import { formatBytes, MAX_INLINE_IMAGE_BYTES, writeImageFile } from './image-output.js';
import { logError } from './log.js';
import { PathAccessError } from './paths.js';

/** A tool result of text blocks. */
export function textResult(...texts: string[]): CallToolResult {
  return { content: texts.map((text) => ({ type: 'text' as const, text })) };
}

/**
 * A failed tool call, `isError: true`, whose text tells the model what happened and what to
 * change: the arguments, nothing (wait and retry), or the user's configuration.
 */
export function errorResult(error: unknown, baseUrl: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: explain(error, baseUrl) }] };
}

/**
 * A failed `generate_image` call. Generate is billed per call: where the request may have
 * reached the server (a 5xx, a timeout, a broken connection, a cut-off answer), the model is
 * told to check with `get_image` before it generates again, never simply to retry.
 */
export function generateErrorResult(error: unknown, baseUrl: string, imageId: string): CallToolResult {
  const result = errorResult(error, baseUrl);
  if (mayHaveBeenBilled(error)) {
    const text = explain(error, baseUrl).replace(/ Try again (in a moment|later)\.$/, '');
    result.content = [{ type: 'text', text: `${text} The request may have reached Genimix and been billed: call get_image with imageId "${imageId}" to see whether the image exists before generating it again.` }];
  }
  return result;
}

function mayHaveBeenBilled(error: unknown): boolean {
  if (error instanceof GenimixRateLimitError || error instanceof GenimixValidationError) return false;
  if (error instanceof GenimixServerError) return !(error.status === 503 && error.retryAfterMs !== undefined);
  if (error instanceof GenimixConnectionError) return !surelyNotSent(error);
  return error instanceof GenimixTimeoutError || error instanceof GenimixAbortError || error instanceof GenimixResponseError;
}

/** The text of a one-block result. */
export function errorText(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

function explain(error: unknown, baseUrl: string): string {
  if (error instanceof PathAccessError) return error.message;
  if (!(error instanceof GenimixError)) {
    logError(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return `Unexpected error in the Genimix MCP server: ${error instanceof Error ? error.message : String(error)}.`;
  }
  const m = error.message;
  if (error instanceof GenimixValidationError) return `Invalid argument ${error.field}: ${m} Nothing was sent to Genimix.`;
  if (error instanceof GenimixAuthenticationError) return `Genimix refused the API key: ${m}. The user must set a valid GENIMIX_API_KEY in this MCP server's configuration; retrying will not help.`;
  if (error instanceof GenimixPermissionError) return `Genimix does not allow this: ${m}. Check projectId and the model; the user's plan may not include them.`;
  if (error instanceof GenimixNotFoundError) return `Not found: ${m}. Check imageId and projectId; an image must be generated or uploaded before it can be fetched or deleted.`;
  if (error instanceof GenimixRateLimitError) {
    if (error.status === 402) return `The Genimix plan's quota is used up: ${m}. Waiting will not help: tell the user, who can upgrade the plan.`;
    const wait = error.retryAfterMs === undefined ? 'a minute' : `${Math.ceil(error.retryAfterMs / 1000)} s`;
    return `Genimix rate limit reached: ${m}. Wait ${wait} before trying again.`;
  }
  if (error instanceof GenimixPayloadTooLargeError) return `The image is too large for Genimix: ${m}. Upload a smaller image.`;
  if (error instanceof GenimixBadRequestError) return `Genimix refused the request: ${m}. Change the arguments as the message says.`;
  if (error instanceof GenimixServerError) return `Genimix had a server error: ${m}. Try again in a moment.`;
  if (error instanceof GenimixTimeoutError) return `Genimix did not answer in time: ${m} Try again later.`;
  if (error instanceof GenimixAbortError) return `The call was cancelled: ${m}`;
  if (error instanceof GenimixConnectionError) return `Could not reach the Genimix API at ${baseUrl}: ${m} Check the network, or GENIMIX_BASE_URL in the server's configuration.`;
  if (error instanceof GenimixResponseError) return `Genimix answered with something unexpected: ${m}`;
  return `Genimix error: ${m}`;
}

/** An image fetched from Genimix, with where it belongs. */
export interface FetchedImage {
  projectId: string;
  imageId: string;
  data: Uint8Array;
  contentType: string;
  imageUrl: string;
}

/**
 * The content blocks that show an image to the model: an `image` block when it is at most
 * {@link MAX_INLINE_IMAGE_BYTES}, else the full image written to `outputDir` and a text saying where.
 * `summary` leads the text block.
 */
export async function imageContent(image: FetchedImage, outputDir: string, summary: string): Promise<CallToolResult['content']> {
  const details = { projectId: image.projectId, imageId: image.imageId, imageUrl: image.imageUrl, contentType: image.contentType, size: image.data.length };
  if (image.data.length <= MAX_INLINE_IMAGE_BYTES) {
    return [
      { type: 'text', text: `${summary}\n${JSON.stringify(details)}` },
      { type: 'image', data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length).toString('base64'), mimeType: image.contentType },
    ];
  }
  const file = await writeImageFile(outputDir, image.projectId, image.imageId, image.contentType, image.data);
  const note = `The image is ${formatBytes(image.data.length)}, more than the ${formatBytes(MAX_INLINE_IMAGE_BYTES)} a tool result may carry inline, so it is not shown here; the full image was written to ${file}.`;
  return [{ type: 'text', text: `${summary}\n${note}\n${JSON.stringify({ ...details, savedTo: file })}` }];
}
