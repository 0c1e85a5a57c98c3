import { createImageId, type GenimixClient, normalizeMimeType } from '@genimix/core';
import { type IExecuteFunctions, type INodeExecutionData, type INodeProperties, NodeOperationError } from 'n8n-workflow';
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
 * Upload: the item's binary through the core's `uploadImage`. A binary n8n keeps outside memory
 * (it has an id) is streamed from n8n's binary store, not copied whole. The type comes from the
 * bytes, checked against the binary's MIME type when that names an image type (n8n labels
 * unknown files `application/octet-stream` or, at times, `text/plain`).
 * Output JSON: imageId, projectId, imageUrl, mimeType, size (bytes, when n8n knows it).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, client: GenimixClient): Promise<INodeExecutionData[]> {
  if (isToolMode(this)) {
    // Not offered to agents (the tool's Operation list leaves it out); a workflow saved otherwise still gets a clear answer.
    throw new NodeOperationError(this.getNode(), 'Upload is not available as an AI Agent tool', {
      itemIndex,
      description: 'An agent cannot pass binary data to a tool. Use Generate (its JSON names the image), or upload in a workflow: a node that outputs the file, then Genimix → Upload.',
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
      description: present.length > 0 ? `Its binary fields are: ${present.map((n) => `"${n}"`).join(', ')}. Set "Input Binary Field" to one of them.` : 'It has no binary data at all: connect a node that outputs a file (e.g. Read/Write Files, HTTP Request with a file response).',
    });
  }
  const data = binary.id ? await this.helpers.getBinaryStream(binary.id) : await this.helpers.getBinaryDataBuffer(itemIndex, binaryPropertyName);
  const declared = normalizeMimeType(binary.mimeType ?? '');
  const imageId = optionalImageId(this, itemIndex) ?? createImageId();
  const projectId = projectOverride(this, itemIndex);
  const result = await client.uploadImage(
    { imageId, data, projectId, ...(declared.startsWith('image/') ? { contentType: declared } : {}) },
    { signal: this.getExecutionCancelSignal() },
  );
  const size = data instanceof Uint8Array ? data.length : binary.bytes;
  return [{ json: { imageId, projectId: projectId ?? client.projectId, imageUrl: result.imageUrl, mimeType: result.contentType, ...(size === undefined ? {} : { size }) } }];
}
