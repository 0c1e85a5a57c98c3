import type { GenimixClient } from '@genimix/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { projectOverride, requiredImageIdProperty, textParameter } from './shared';

export const description: INodeProperties[] = [requiredImageIdProperty('delete', 'delete')];

/** Delete: the core's `deleteImage`. Output JSON: `{ deleted: true, imageId, projectId, imageUrl }` (the URL the image had). */
export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  client: GenimixClient,
): Promise<INodeExecutionData[]> {
  const imageId = textParameter(this, 'imageId', 'Image ID', itemIndex);
  const projectId = projectOverride(this, itemIndex);
  await client.deleteImage({ imageId, projectId }, { signal: this.getExecutionCancelSignal() });
  return [
    {
      json: {
        deleted: true,
        imageId,
        projectId: projectId ?? client.projectId,
        imageUrl: client.imageUrl({ imageId, projectId }),
      },
    },
  ];
}
