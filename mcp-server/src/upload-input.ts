import { DEFAULT_MAX_IMAGE_BYTES, GenimixValidationError } from '@genimix/core';
import { type OpenStrategy, openInsideFolders } from './paths.js';
import { quote } from './text.js';

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
      throw new GenimixValidationError(
        'data',
        'data is a data: URI without ";base64": pass it as data:image/png;base64,<base64 bytes>, or plain base64.',
      );
    }
    declaredType = match[1] || undefined;
    payload = match[3] ?? '';
  }
  const compact = payload.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new GenimixValidationError(
      'data',
      "data is not valid base64: pass the image file's bytes encoded as base64 (or a data:image/...;base64, URI), or use path for a local file.",
    );
  }
  return {
    data: new Uint8Array(Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64')),
    ...(declaredType ? { declaredType } : {}),
  };
}

/** Options of {@link readPathArgument}. */
export interface ReadPathOptions {
  /** The largest file accepted, in bytes. Default {@link DEFAULT_MAX_IMAGE_BYTES} (50 MiB). */
  maxBytes?: number;
  /** How the opened file's real path is found; tests choose one. Default `auto`. */
  strategy?: OpenStrategy;
}

/**
 * Reads `upload_image`'s `path`: a regular file inside the allowed folders, at most 50 MiB.
 *
 * Security: the file is opened once and the opened file is checked (real path inside an allowed
 * folder, regular file, size) before a byte is read; see {@link openInsideFolders}. The read is
 * bounded by the size checked, so a file that grows meanwhile, or a kernel file that claims to
 * be empty (such as /proc/self/environ), is refused rather than read without limit.
 *
 * @throws {PathAccessError} no folder allowed, outside the allowed folders, missing or
 *   unreadable; {@link GenimixValidationError} field `path` when it is no regular file, too large,
 *   or changed while being read
 */
export async function readPathArgument(
  requested: string,
  allowedDirs: readonly string[],
  options: ReadPathOptions = {},
): Promise<UploadBytes> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const quoted = `path ${quote(requested, 200)}`;
  const { handle, size } = await openInsideFolders(requested, allowedDirs, {
    field: 'path',
    ...(options.strategy ? { strategy: options.strategy } : {}),
  });
  try {
    if (size > maxBytes) {
      throw new GenimixValidationError(
        'path',
        `${quoted} is ${size} bytes, more than the ${maxBytes} bytes accepted: upload a smaller image.`,
      );
    }
    // One byte more than the size checked: reading it means the file is not what was checked.
    const buffer = Buffer.alloc(size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > size) {
      throw new GenimixValidationError(
        'path',
        `${quoted} changed while it was read (it is longer than its size said): give a complete image file that nothing is writing to.`,
      );
    }
    return { data: new Uint8Array(buffer.buffer, buffer.byteOffset, filled) };
  } finally {
    await handle.close();
  }
}
