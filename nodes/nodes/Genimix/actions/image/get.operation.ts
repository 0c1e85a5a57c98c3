import type { GenimixClient } from '@genimix/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { fileNameFor, toBinary } from '../../helpers/binary';
import { isToolMode, outputBinaryProperty, projectOverride, requiredImageIdProperty, textParameter } from './shared';

export const description: INodeProperties[] = [
  requiredImageIdProperty('get', 'fetch'),
  // A tool's output reaches the agent as JSON only: no binary field to name.
  outputBinaryProperty({ show: { resource: ['image'], operation: ['get'] }, hide: { '@tool': [true] } }),
];

/**
 * Get: the core's `getImage` into a binary field with its MIME type and a file name.
 * Output JSON, whole without the binary (what an AI Agent sees): imageId, projectId, imageUrl,
 * mimeType, size (bytes), width and height (pixels, when the header is readable), fileName.
 * As a tool, no binary is attached: the agent could not see it.
 */
export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  client: GenimixClient,
): Promise<INodeExecutionData[]> {
  const imageId = textParameter(this, 'imageId', 'Image ID', itemIndex);
  const projectId = projectOverride(this, itemIndex);
  const image = await client.getImage({ imageId, projectId }, { signal: this.getExecutionCancelSignal() });
  const json = {
    imageId,
    projectId: projectId ?? client.projectId,
    imageUrl: client.imageUrl({ imageId, projectId }),
    mimeType: image.contentType,
    size: image.size,
    ...(image.width === undefined ? {} : { width: image.width, height: image.height }),
    fileName: fileNameFor(imageId, image.contentType),
  };
  if (isToolMode(this)) return [{ json }];
  const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
  return [
    {
      json,
      binary: {
        [binaryPropertyName]: await toBinary(
          this,
          image.data,
          imageId,
          image.contentType,
          itemIndex,
          binaryPropertyName,
        ),
      },
    },
  ];
}
