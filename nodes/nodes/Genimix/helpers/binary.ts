import { IMAGE_EXTENSIONS, type ImageMimeType, isImageMimeType } from '@genimix/core';
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
