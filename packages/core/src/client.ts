import { defaultLogger, defaultSleep, defaultTransport, openFile } from '#runtime';
import { checkApiKey, checkProjectId } from './api-key.js';
import { GenimixValidationError } from './errors.js';
import { type CredentialCheck, checkCredentials } from './operations/check-credentials.js';
import { type ImageRef, type OperationContext, resolveImageRef } from './operations/context.js';
import { type DeleteImageParams, type DeleteImageResult, deleteImage } from './operations/delete.js';
import { type GenerateImageParams, type GenerateImageResult, generateImage } from './operations/generate.js';
import { type GetImageParams, type GetImageResult, getImage } from './operations/get.js';
import { type GetImageStreamParams, type GetImageStreamResult, getImageStream } from './operations/get-stream.js';
import { type UploadImageParams, type UploadImageResult, uploadImage } from './operations/upload.js';
import {
  DEFAULT_GENERATE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  type GetImageOptions,
  type RequestOptions,
} from './request-options.js';
import { Requester } from './requester.js';
import { DEFAULT_MAX_RETRIES } from './retry-policy.js';
import type { GenimixLogger, Sleep } from './runtime/types.js';
import type { Transport } from './transport.js';
import { buildUrl, DEFAULT_BASE_URL, normalizeBaseUrl } from './url.js';

/** Options of {@link GenimixClient}. */
export interface GenimixClientOptions {
  /** The project's secret API key, sent as `x-api-key` to the base URL's origin only. */
  apiKey: string;
  /** The project to work in (dashboard → Settings or API Keys); each call may override it. */
  projectId: string;
  /** The API's base URL. Default `https://api.genimix.dev`; the emulator runs on loopback. */
  baseUrl?: string;
  /** How requests are sent. Default under Node: undici with a shared keep-alive pool. */
  transport?: Transport;
  /** Time allowed for each attempt of a Get, Upload or Delete call, in ms (default 60,000). */
  timeoutMs?: number;
  /** Time allowed for each attempt of a Generate call, in ms (default 180,000: the model renders before the server answers). */
  generateTimeoutMs?: number;
  /**
   * Retries after a failed attempt (default 2): Get, Upload and Delete on connection errors,
   * timeouts, 408, 429 and 5xx; Generate only where the request surely never reached the server,
   * or on 429/503 with `Retry-After`. 0 turns retries off.
   */
  maxRetries?: number;
  /**
   * How to wait between attempts, in ms, cancelled by the call's signal. Default under Node: a
   * timer. Hosts that forbid timers pass their own (n8n: `sleep` from n8n-workflow).
   */
  sleep?: Sleep;
  /**
   * Receives one debug line per attempt and retry: method, path, status, attempt, duration,
   * request id; never the key. Default: stderr when `GENIMIX_LOG=debug`, else none.
   */
  logger?: GenimixLogger;
}

/**
 * A client of the Genimix image API (genimix-api.md): generate, upload, get and delete images
 * of a project. Every input is checked before a request is sent; every response is checked
 * against the contract; every failure is a typed {@link GenimixError}.
 *
 * ```ts
 * const client = new GenimixClient({ apiKey, projectId });
 * await client.generateImage({ imageId: 'cat', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'A cat' });
 * const { data, contentType } = await client.getImage({ imageId: 'cat' });
 * ```
 *
 * The API key lives in a private field: it is not enumerable, not in `util.inspect` or
 * `JSON.stringify` of the client, and redacted from anything a server echoes into an error.
 *
 * @throws {GenimixValidationError} from the constructor: empty key, bad project id or base URL
 */
export class GenimixClient {
  /** The default project of this client's calls. */
  readonly projectId: string;
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly #ctx: OperationContext;

  constructor(options: GenimixClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new GenimixValidationError('options', 'GenimixClient needs options: { apiKey, projectId, baseUrl? }.');
    }
    const apiKey = checkApiKey(options.apiKey);
    this.projectId = checkProjectId('projectId', options.projectId, apiKey);
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.#ctx = {
      requester: new Requester({
        baseUrl: this.baseUrl,
        apiKey,
        transport: options.transport ?? defaultTransport(),
        sleep: options.sleep ?? defaultSleep,
        logger: options.logger ?? defaultLogger(),
      }),
      projectId: this.projectId,
      timeoutMs: checkTimeout('timeoutMs', options.timeoutMs) ?? DEFAULT_TIMEOUT_MS,
      generateTimeoutMs: checkTimeout('generateTimeoutMs', options.generateTimeoutMs) ?? DEFAULT_GENERATE_TIMEOUT_MS,
      maxRetries: checkMaxRetries(options.maxRetries) ?? DEFAULT_MAX_RETRIES,
      openFile,
    };
  }

  /** Generates an image from a prompt and stores it under `imageId`. See {@link generateImage}. */
  async generateImage(params: GenerateImageParams, options?: RequestOptions): Promise<GenerateImageResult> {
    return generateImage(this.#ctx, params, checkOptions(options));
  }

  /** Uploads image bytes under `imageId`, replacing any image there. See {@link uploadImage}. */
  async uploadImage(params: UploadImageParams, options?: RequestOptions): Promise<UploadImageResult> {
    return uploadImage(this.#ctx, params, checkOptions(options));
  }

  /** Fetches an image's bytes and type. See {@link getImage}. */
  async getImage(params: GetImageParams, options?: GetImageOptions): Promise<GetImageResult> {
    return getImage(this.#ctx, params, checkOptions(options));
  }

  /** Fetches an image as a stream, for images too large to hold whole. See {@link getImageStream}. */
  async getImageStream(params: GetImageStreamParams, options?: GetImageOptions): Promise<GetImageStreamResult> {
    return getImageStream(this.#ctx, params, checkOptions(options));
  }

  /**
   * Checks the base URL, API key and project id with two probes only Genimix passes (see
   * {@link checkCredentials}): a verdict, never an exception for what the server answered.
   */
  async checkCredentials(options?: Pick<RequestOptions, 'signal'>): Promise<CredentialCheck> {
    return checkCredentials(this.#ctx, checkOptions(options));
  }

  /**
   * The URL Genimix serves an image at (`<baseUrl>/v1/:projectId/image/:imageId`, genimix-api.md),
   * which a GET with the API key returns. Nothing is sent.
   * @throws {GenimixValidationError} for a bad id
   */
  imageUrl(ref: ImageRef): string {
    const { projectId, imageId } = resolveImageRef(this.#ctx, ref);
    return buildUrl(this.baseUrl, projectId, 'image', imageId);
  }

  /** Deletes an image. See {@link deleteImage}. */
  async deleteImage(params: DeleteImageParams, options?: RequestOptions): Promise<DeleteImageResult> {
    return deleteImage(this.#ctx, params, checkOptions(options));
  }
}

/** The longest timer Node (and browsers) can set, in ms: about 24.8 days. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function checkTimeout(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new GenimixValidationError(
      field,
      `${field} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}; got ${String(value)}.`,
    );
  }
  return value;
}

function checkMaxRetries(value: unknown): number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 10)) {
    throw new GenimixValidationError(
      'maxRetries',
      `maxRetries must be a whole number from 0 to 10; got ${String(value)}.`,
    );
  }
  return value;
}

function checkMaxBytes(value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)) {
    throw new GenimixValidationError(
      'maxBytes',
      `maxBytes must be a positive whole number of bytes; got ${String(value)}.`,
    );
  }
}

function checkOptions<T extends RequestOptions>(options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null) {
    throw new GenimixValidationError(
      'options',
      'The second argument must be an options object such as { signal, timeoutMs }.',
    );
  }
  checkTimeout('timeoutMs', options.timeoutMs);
  checkMaxRetries(options.maxRetries);
  checkMaxBytes((options as GetImageOptions).maxBytes);
  return options;
}
