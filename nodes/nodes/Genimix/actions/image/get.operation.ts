import type { GenimixClient } from '@genimix/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { fileNameFor, toBinary } from '../../helpers/binary';
import { outputBinaryProperty, projectOverride, requiredImageIdProperty, showFor, textParameter } from './shared';

export const description: INodeProperties[] = [
  requiredImageIdProperty('get', 'fetch'),
  outputBinaryProperty(showFor('get')),
];

/**
 * Get: the core's `getImage` into a binary field with its MIME type and a file name.
 * Output JSON: imageId, projectId, mimeType, size (bytes), fileName.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, client: GenimixClient): Promise<INodeExecutionData[]> {
  const imageId = textParameter(this, 'imageId', 'Image ID', itemIndex);
  const projectId = projectOverride(this, itemIndex);
  const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
  const image = await client.getImage({ imageId, projectId }, { signal: this.getExecutionCancelSignal() });
  return [
    {
      json: { imageId, projectId: projectId ?? client.projectId, mimeType: image.contentType, size: image.size, fileName: fileNameFor(imageId, image.contentType) },
      binary: { [binaryPropertyName]: await toBinary(this, image.data, imageId, image.contentType) },
    },
  ];
}
