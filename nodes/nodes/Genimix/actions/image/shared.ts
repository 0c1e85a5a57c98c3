import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/** Shows a property for some operations of the Image resource. */
export function showFor(...operation: string[]): INodeProperties['displayOptions'] {
  return { show: { resource: ['image'], operation } };
}

/** The per-node project override of the "Options" collection, or undefined for the credential's. */
export function projectOverride(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
  const options = ctx.getNodeParameter('options', itemIndex, {}) as { projectId?: string };
  return options.projectId?.trim() ? options.projectId : undefined;
}

/** The Image ID parameter, or undefined when left empty (a fresh id is then made). */
export function optionalImageId(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
  const value = ctx.getNodeParameter('imageId', itemIndex, '') as string;
  return value.trim() === '' ? undefined : value;
}

/** The "Image ID" parameter of Get and Delete, which need one. */
export function requiredImageIdProperty(operation: string, verb: string): INodeProperties {
  return {
    displayName: 'Image ID',
    name: 'imageId',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'e.g. img-0b6c…',
    description: `The ID of the image to ${verb}, as Generate or Upload returned it`,
    displayOptions: showFor(operation),
  };
}
