import { IMAGE_EXTENSIONS, type ImageMimeType, isImageMimeType, type ReopenableBody } from '@genimix/core';
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

/** An image's file name: `<imageId>.<extension of its type>`. */
export function fileNameFor(imageId: string, mimeType: string): string {
  const extension = isImageMimeType(mimeType) ? IMAGE_EXTENSIONS[mimeType as ImageMimeType] : 'bin';
  return `${imageId}.${extension}`;
}

/** n8n binary data for image bytes, with its MIME type and file name (n8n#5894: never text/plain, never nameless). */
export async function toBinary(ctx: IExecuteFunctions, data: Uint8Array, imageId: string, mimeType: string): Promise<IBinaryData> {
  return ctx.helpers.prepareBinaryData(Buffer.from(data.buffer, data.byteOffset, data.byteLength), fileNameFor(imageId, mimeType), mimeType);
}

/**
 * An item's binary as an upload body the core opens afresh for each attempt, so that a retry
 * never needs the file held in memory: in filesystem and database mode (the binary has an id) a
 * new `getBinaryStream` per attempt; in memory mode the buffer. Its size is n8n's: the binary's
 * `bytes`, else the `fileSize` n8n keeps in the binary's metadata (older binaries), else none
 * (the core then counts the bytes, reading no further than its size cap).
 */
export async function binaryUploadBody(ctx: IExecuteFunctions, itemIndex: number, propertyName: string, binary: IBinaryData): Promise<ReopenableBody> {
  const id = binary.id;
  if (!id) return { ...sizeOf(binary.bytes), open: async () => await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName) };
  const size = binary.bytes ?? (await ctx.helpers.getBinaryMetadata(id)).fileSize;
  return { ...sizeOf(size), open: async () => await ctx.helpers.getBinaryStream(id) };
}

function sizeOf(size: unknown): { size?: number } {
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? { size } : {};
}
