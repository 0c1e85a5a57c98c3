import { IMAGE_EXTENSIONS, type ImageMimeType, isImageMimeType, type ReopenableBody } from '@genimix/core';
import { type IBinaryData, type IExecuteFunctions, NodeOperationError } from 'n8n-workflow';
import { reasonOf } from './errors';

/** An image's file name: `<imageId>.<extension of its type>`. */
export function fileNameFor(imageId: string, mimeType: string): string {
  const extension = isImageMimeType(mimeType) ? IMAGE_EXTENSIONS[mimeType as ImageMimeType] : 'bin';
  return `${imageId}.${extension}`;
}

/**
 * n8n binary data for image bytes, with its MIME type and file name (n8n#5894: never text/plain, never nameless).
 * @throws {NodeOperationError} naming the output field when n8n cannot store the bytes (a full disk, a database error)
 */
export async function toBinary(
  ctx: IExecuteFunctions,
  data: Uint8Array,
  imageId: string,
  mimeType: string,
  itemIndex: number,
  propertyName: string,
): Promise<IBinaryData> {
  try {
    return await ctx.helpers.prepareBinaryData(
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      fileNameFor(imageId, mimeType),
      mimeType,
    );
  } catch (error) {
    throw new NodeOperationError(
      ctx.getNode(),
      `n8n could not store image ${imageId} in the binary field "${propertyName}" of item ${itemIndex}: ${reasonOf(error)}`,
      {
        itemIndex,
        description:
          "n8n's binary data storage failed (check its free space, or the database in queue mode). The image is in Genimix: fetch it again with Get.",
      },
    );
  }
}

/**
 * An item's binary as an upload body the core opens afresh for each attempt, so that a retry
 * never needs the file held in memory: in filesystem and database mode (the binary has an id) a
 * new `getBinaryStream` per attempt; in memory mode the buffer. Its size is n8n's: the binary's
 * `bytes`, else the `fileSize` n8n keeps in the binary's metadata (older binaries), else none
 * (the core then counts the bytes, reading no further than its size cap).
 */
export async function binaryUploadBody(
  ctx: IExecuteFunctions,
  itemIndex: number,
  propertyName: string,
  binary: IBinaryData,
): Promise<ReopenableBody> {
  // n8n's own failures (a file deleted or pruned between attempts, a database error) name the field and item here.
  const reading = async <T>(read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      throw unreadable(ctx, itemIndex, propertyName, error);
    }
  };
  const id = binary.id;
  if (!id)
    return {
      ...sizeOf(binary.bytes),
      open: async () => await reading(async () => await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName)),
    };
  const size = binary.bytes ?? (await reading(async () => await ctx.helpers.getBinaryMetadata(id))).fileSize;
  return { ...sizeOf(size), open: async () => await reading(async () => await ctx.helpers.getBinaryStream(id)) };
}

function unreadable(
  ctx: IExecuteFunctions,
  itemIndex: number,
  propertyName: string,
  error: unknown,
): NodeOperationError {
  return new NodeOperationError(
    ctx.getNode(),
    `n8n could not read the binary field "${propertyName}" of item ${itemIndex}: ${reasonOf(error)}`,
    {
      itemIndex,
      description:
        'n8n no longer has this file (deleted, or pruned with its execution data) or its binary data storage failed. The upload did not complete: run the node that produced the file again, then upload.',
    },
  );
}

function sizeOf(size: unknown): { size?: number } {
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? { size } : {};
}
