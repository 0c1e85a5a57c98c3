import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The real photograph shipped in fixtures/ (JPEG). */
export const PHOTO_PATH = path.join(root, 'fixtures', 'stm32f3-discovery.jpg');

/** The photograph's size in pixels (fixtures/README.md). */
export const PHOTO_WIDTH = 720;
export const PHOTO_HEIGHT = 477;

/** The photograph's bytes. */
export function readPhoto(): Promise<Buffer> {
  return readFile(PHOTO_PATH);
}

/** The smallest valid PNG (1×1, transparent). */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** The PNG signature, the first 8 bytes of every PNG. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A "PNG" of `size` bytes: the signature, then a pattern (the contract checks types by magic bytes only). */
export function pngOfSize(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
  PNG_SIGNATURE.copy(bytes);
  return bytes;
}
