/**
 * What a tool result needs to show or save an image: the inline limit, sizes for people, and
 * (from image-files.ts and output-folder.ts) writing a large image to `GENIMIX_OUTPUT_DIR`.
 */
export { imageFileName, safeFileName, type SavedImage, writeImageFile } from './image-files.js';
export { checkOutputFolder, OutputFolderError } from './output-folder.js';

/**
 * The largest image returned inline as an `image` content block, in bytes (700 KiB). Base64 makes
 * it about 933 KiB, under Claude Desktop's 1 MiB limit on a tool result with room for the text.
 */
export const MAX_INLINE_IMAGE_BYTES = 700 * 1024;

/** A size for people: `532 B`, `116.2 KB`, `2.4 MB` (1 KB = 1,024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}
