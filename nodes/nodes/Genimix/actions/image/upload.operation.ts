import {
  createImageId,
  formatBytes,
  type GenimixClient,
  GenimixTooLargeError,
  GenimixValidationError,
  IMAGE_MIME_TYPES,
  normalizeMimeType,
} from '@genimix/core';
import {
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeProperties,
  NodeOperationError,
} from 'n8n-workflow';
import { binaryUploadBody } from '../../helpers/binary';
import { isToolMode, newImageIdProperty, optionalImageId, projectOverride, showFor } from './shared';

export const description: INodeProperties[] = [
  {
    displayName: 'Input Binary Field',
    name: 'binaryPropertyName',
    type: 'string',
    required: true,
    default: 'data',
    hint: 'The name of the input binary field holding the image (PNG, JPEG, WebP or GIF)',
    displayOptions: showFor('upload'),
  },
  newImageIdProperty('upload'),
];

/**
 * Upload: the item's binary through the core's `uploadImage`, alike in every binary mode: its
 * size checked against the core's cap (50 MiB) before anything is sent, sent with
 * `Content-Length`, and a retry reads the binary again (a new stream from n8n's binary store in
 * filesystem and database mode; never a copy held in memory). The type comes from the bytes,
 * checked against the binary's MIME type when that names an image type (n8n labels unknown files
 * `application/octet-stream` or, at times, `text/plain`).
 * Output JSON: imageId, projectId, imageUrl, mimeType, size (bytes), width and height (pixels,
 * when the image's header is within its first 64 KiB).
 */
export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  client: GenimixClient,
): Promise<INodeExecutionData[]> {
  if (isToolMode(this)) {
    // Not offered to agents (the tool's Operation list leaves it out); a workflow saved otherwise still gets a clear answer.
    throw new NodeOperationError(this.getNode(), 'Upload is not available as an AI Agent tool', {
      itemIndex,
      description:
        'An agent cannot pass binary data to a tool. Use Generate (its JSON names the image), or upload in a workflow: a node that outputs the file, then Genimix → Upload.',
    });
  }
  const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
  const item = this.getInputData()[itemIndex];
  const binary = item?.binary?.[binaryPropertyName];
  if (!binary) {
    // Name what is there: n8n#17717, a generic error on a wrong binary field name.
    const present = Object.keys(item?.binary ?? {});
    throw new NodeOperationError(this.getNode(), `Item ${itemIndex} has no binary field "${binaryPropertyName}"`, {
      itemIndex,
      description:
        present.length > 0
          ? `Its binary fields are: ${present.map((n) => `"${n}"`).join(', ')}. Set "Input Binary Field" to one of them.`
          : 'It has no binary data at all: connect a node that outputs a file (e.g. Read/Write Files, HTTP Request with a file response).',
    });
  }
  const data = await binaryUploadBody(this, itemIndex, binaryPropertyName, binary);
  const declared = normalizeMimeType(binary.mimeType ?? '');
  const imageId = optionalImageId(this, itemIndex) ?? createImageId();
  const projectId = projectOverride(this, itemIndex);
  const result = await client
    .uploadImage(
      { imageId, data, projectId, ...(declared.startsWith('image/') ? { contentType: declared } : {}) },
      { signal: this.getExecutionCancelSignal() },
    )
    .catch((error: unknown) => {
      if (error instanceof GenimixTooLargeError) throw tooLarge(this, itemIndex, binaryPropertyName, error);
      if (error instanceof GenimixValidationError && error.field === 'contentType')
        throw mislabelled(this, itemIndex, binaryPropertyName, binary.mimeType, error);
      throw error;
    });
  const { width, height } = result;
  return [
    {
      json: {
        imageId,
        projectId: projectId ?? client.projectId,
        imageUrl: result.imageUrl,
        mimeType: result.contentType,
        ...(result.size === undefined ? {} : { size: result.size }),
        ...(width === undefined ? {} : { width, height }),
      },
    },
  ];
}

/** The size cap's refusal in n8n's terms: the binary field, its size, the cap, what to do. */
function tooLarge(
  ctx: IExecuteFunctions,
  itemIndex: number,
  binaryPropertyName: string,
  error: GenimixTooLargeError,
): NodeOperationError {
  const size = error.size === undefined ? 'is larger' : `is ${formatBytes(error.size)}`;
  return new NodeOperationError(
    ctx.getNode(),
    `The binary field "${binaryPropertyName}" of item ${itemIndex} ${size}, more than the ${formatBytes(error.limitBytes)} Genimix accepts for an upload`,
    {
      itemIndex,
      description: `Nothing was sent to Genimix. Make the image smaller (resize or recompress it, e.g. with the Edit Image node, or export it as JPEG or WebP) so that it is at most ${formatBytes(error.limitBytes)}.`,
    },
  );
}

/** A binary whose MIME type is not its bytes' (or no type Genimix takes), in n8n's terms: the label, the field, where to fix it. */
function mislabelled(
  ctx: IExecuteFunctions,
  itemIndex: number,
  binaryPropertyName: string,
  mimeType: string,
  error: GenimixValidationError,
): NodeOperationError {
  const accepted = IMAGE_MIME_TYPES.join(', ');
  return new NodeOperationError(
    ctx.getNode(),
    `The binary field "${binaryPropertyName}" of item ${itemIndex} is labelled "${mimeType}", which does not fit its bytes`,
    {
      itemIndex,
      description: `Nothing was sent to Genimix, which takes ${accepted} and checks the label against the bytes (${error.message
        .replace(/^contentType /, 'the label ')
        .replace(/: remove contentType or set it to /, ': label it ')
        .replace(/, or leave it out to detect it from the bytes/, '')
        .replace(
          /\.$/,
          '',
        )}). Set the right MIME type where the file comes from (e.g. the HTTP Request or Read/Write Files node), or convert the file to one of these formats.`,
    },
  );
}
