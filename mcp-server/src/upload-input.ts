import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { DEFAULT_MAX_IMAGE_BYTES, GenimixValidationError } from '@genimix/core';
import { resolveReadablePath } from './paths.js';

/** Bytes to upload, with the media type a data: URI declared, if any. */
export interface UploadBytes {
  data: Uint8Array;
  declaredType?: string;
}

/**
 * Decodes `upload_image`'s `data`: plain base64 (standard or URL-safe alphabet, whitespace
 * ignored) or a `data:<type>;base64,<data>` URI.
 * @throws {GenimixValidationError} field `data`, saying how to encode it
 */
export function decodeDataArgument(value: string): UploadBytes {
  let payload = value.trim();
  let declaredType: string | undefined;
  if (/^data:/i.test(payload)) {
    const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/is.exec(payload);
    if (!match || !/;base64$/i.test(match[2] ?? '')) {
      throw new GenimixValidationError('data', 'data is a data: URI without ";base64": pass it as data:image/png;base64,<base64 bytes>, or plain base64.');
    }
    declaredType = match[1] || undefined;
    payload = match[3] ?? '';
  }
  const compact = payload.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new GenimixValidationError('data', 'data is not valid base64: pass the image file\'s bytes encoded as base64 (or a data:image/...;base64, URI), or use path for a local file.');
  }
  return { data: new Uint8Array(Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64')), ...(declaredType ? { declaredType } : {}) };
}

/**
 * Reads `upload_image`'s `path`: a file inside the allowed folders, at most 50 MiB.
 * @throws {PathAccessError} outside the allowed folders; {@link GenimixValidationError} field
 *   `path` when it is no regular file or too large
 */
export async function readPathArgument(requested: string, allowedDirs: readonly string[]): Promise<UploadBytes> {
  const real = await resolveReadablePath(requested, allowedDirs);
  const notAFile = () => new GenimixValidationError('path', `path ${JSON.stringify(requested)} is not a regular file: give the path of an image file.`);
  // Opening a FIFO or a device blocks a thread of Node's pool, possibly for ever: look first,
  // and open without blocking so that one swapped in meanwhile cannot hang us either.
  if (!(await stat(real)).isFile()) throw notAFile();
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notAFile();
    if (info.size > DEFAULT_MAX_IMAGE_BYTES) {
      throw new GenimixValidationError('path', `path ${JSON.stringify(requested)} is ${info.size} bytes, more than the ${DEFAULT_MAX_IMAGE_BYTES} bytes accepted: upload a smaller image.`);
    }
    return { data: new Uint8Array(await handle.readFile()) };
  } finally {
    await handle.close();
  }
}
