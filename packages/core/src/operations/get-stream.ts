import { requestIdOf } from '../error-mapping.js';
import { GenimixConnectionError, GenimixError, GenimixResponseError } from '../errors.js';
import { type ImageMimeType, normalizeMimeType, SNIFF_BYTES, sniffImageType } from '../image-type.js';
import { concat } from '../request-body.js';
import { DEFAULT_MAX_IMAGE_BYTES, type GetImageOptions } from '../request-options.js';
import type { TransportResponse } from '../transport.js';
import { type ImageRef, type OperationContext, resolveImageRef } from './context.js';

/** Input of {@link getImageStream}. */
export type GetImageStreamParams = ImageRef;

/** An image as a stream, for images too large to hold in memory. */
export interface GetImageStreamResult {
  /**
   * The image's bytes, read from the network as the consumer pulls them. Cancel it to stop the
   * download early. It errors with {@link GenimixConnectionError} if the connection breaks or
   * the body ends short of its `Content-Length`, and with {@link GenimixResponseError} (its
   * `limitBytes` set) once more than `maxBytes` arrived.
   */
  body: ReadableStream<Uint8Array>;
  /** Sniffed from the first bytes: `image/png`, `image/jpeg`, `image/webp` or `image/gif`. */
  contentType: ImageMimeType;
  /** The size in bytes from `Content-Length`, when the server sent one. */
  contentLength: number | undefined;
}

/**
 * `GET /v1/:projectId/image/:imageId` as a stream: resolves once the first bytes arrived and
 * were checked to be an image. Retries apply until then (as for Get), not once the stream is
 * handed over. The stream stops at `options.maxBytes` (default {@link DEFAULT_MAX_IMAGE_BYTES},
 * the largest image Genimix stores): a broken server or proxy that sends a body without end
 * would otherwise fill a disk, since a time-out bounds each wait for bytes, not the whole body.
 *
 * @throws {GenimixNotFoundError} and the other errors of {@link getImage}, before the stream starts;
 *   {@link GenimixResponseError} with `limitBytes` when `Content-Length` is over `maxBytes`
 */
export async function getImageStream(
  ctx: OperationContext,
  params: GetImageStreamParams,
  options: GetImageOptions = {},
): Promise<GetImageStreamResult> {
  const { projectId, imageId } = resolveImageRef(ctx, params);
  const action = `get image "${imageId}"`;
  return ctx.requester.call(
    {
      method: 'GET',
      projectId,
      kind: 'image',
      imageId,
      action,
      retryClass: 'idempotent',
      maxRetries: options.maxRetries ?? ctx.maxRetries,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
    },
    (response) => openStream(ctx, response, action, options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES),
  );
}

async function openStream(
  ctx: OperationContext,
  response: TransportResponse,
  action: string,
  maxBytes: number,
): Promise<GetImageStreamResult> {
  const details = { status: response.status, requestId: requestIdOf(response.headers) };
  const declaredLength = response.headers['content-length'];
  const contentLength =
    declaredLength !== undefined && /^\d+$/.test(declaredLength) ? Number(declaredLength) : undefined;
  const tooLarge = () =>
    new GenimixResponseError(
      `${action} failed: the response is more than ${maxBytes} bytes, more than any image Genimix stores.`,
      { ...details, limitBytes: maxBytes },
    );
  if (contentLength !== undefined && contentLength > maxBytes) {
    await discard(response);
    throw tooLarge();
  }
  const iterator = response.body[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let received = 0;
  let ended = false;
  const broken = (error: unknown) =>
    error instanceof GenimixError
      ? error
      : new GenimixConnectionError(`${action} failed: the connection broke while the body was read.`, {
          ...details,
          cause: error,
        });
  try {
    while (received < SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      received += next.value.length;
    }
  } catch (error) {
    await discard(response);
    throw broken(error);
  }
  const first = concat(head, received);
  const contentType = sniffImageType(first);
  if (!contentType) {
    await discard(response);
    const declared = normalizeMimeType(response.headers['content-type'] ?? '') || 'an untyped body';
    throw new GenimixResponseError(
      `${action}: the server answered ${response.status} with ${declared} that is no PNG, JPEG, WebP or GIF image: ${ctx.requester.excerpt(first, response)}`,
      details,
    );
  }
  if (received > maxBytes) {
    await discard(response);
    throw tooLarge();
  }
  let pending: Uint8Array | undefined = first.length > 0 ? first : undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = undefined;
        if (!ended) return;
      }
      try {
        const next = ended ? { done: true as const, value: undefined } : await iterator.next();
        if (!next.done) {
          received += next.value.length;
          if (received > maxBytes) {
            await discard(response);
            throw tooLarge();
          }
          controller.enqueue(next.value);
          return;
        }
        if (contentLength !== undefined && received !== contentLength) {
          throw new GenimixConnectionError(
            `${action} failed: the response was cut off (${received} of ${contentLength} bytes arrived).`,
            details,
          );
        }
        controller.close();
      } catch (error) {
        controller.error(broken(error));
      }
    },
    async cancel() {
      // Not iterator.return() alone: it would wait behind a read pending on a stalled connection.
      await discard(response);
      void Promise.resolve(iterator.return?.()).catch(() => {});
    },
  });
  return { body, contentType, contentLength };
}

/**
 * Lets go of a body whose first chunks were read through its iterator. Not `dump()` alone: the
 * undici body, paused behind that iterator, would wait forever for a long body without a length
 * to flow (and Node would exit with code 13, the command never told why).
 */
async function discard(response: TransportResponse): Promise<void> {
  if (response.destroy) response.destroy();
  else await response.dump().catch(() => {});
}
