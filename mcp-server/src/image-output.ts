import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, type ImageMimeType, isImageMimeType } from '@genimix/core';
import { isInside } from './paths.js';

/**
 * The largest image returned inline as an `image` content block, in bytes (700 KiB). Base64 makes
 * it about 933 KiB, under Claude Desktop's 1 MiB limit on a tool result with room for the text.
 */
export const MAX_INLINE_IMAGE_BYTES = 700 * 1024;

/**
 * Writes an image to `<outputDir>/<projectId>/<imageId>.<ext>` and returns the file's path.
 * Written to a temporary name first and renamed, so a reader never sees half a file.
 * `projectId` and `imageId` must be valid ids (the core checked them), so they cannot climb out.
 */
export async function writeImageFile(outputDir: string, projectId: string, imageId: string, contentType: string, data: Uint8Array): Promise<string> {
  const ext = isImageMimeType(contentType) ? IMAGE_EXTENSIONS[contentType as ImageMimeType] : 'bin';
  const dir = path.join(outputDir, projectId);
  const file = path.join(dir, `${imageId}.${ext}`);
  // Defence in depth: ids are validated upstream, but never write outside the output folder.
  if (!isInside(file, outputDir)) throw new Error(`refusing to write outside ${outputDir}`);
  // Private: the images are the user's, and the folder may sit where other accounts can look.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A unique temporary name: parallel calls for the same image must not share one.
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, data, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return file;
}

/** A size for people: `532 B`, `116.2 KB`, `2.4 MB` (1 KB = 1,024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}
