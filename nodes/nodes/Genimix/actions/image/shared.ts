import { type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

/**
 * Whether the node runs as an AI Agent's tool (its `…genimixTool` variant): n8n's own test for
 * the `@tool` display option is the node type's name ending in `Tool`. A tool's caller sees JSON
 * only: binary data does not cross the agent boundary (n8n#38357).
 */
export function isToolMode(ctx: IExecuteFunctions): boolean {
  return ctx.getNode().type.endsWith('Tool');
}

/** Shows a property for some operations of the Image resource. */
export function showFor(...operation: string[]): INodeProperties['displayOptions'] {
  return { show: { resource: ['image'], operation } };
}

/**
 * A text parameter as a string: an expression may well give a number (`{{ $json.id }}`), which is
 * a valid id once written out; anything else is refused naming the parameter.
 */
export function textParameter(
  ctx: IExecuteFunctions,
  name: string,
  displayName: string,
  itemIndex: number,
  fallback?: string,
): string {
  const value =
    fallback === undefined ? ctx.getNodeParameter(name, itemIndex) : ctx.getNodeParameter(name, itemIndex, fallback);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new NodeOperationError(
    ctx.getNode(),
    `Invalid ${displayName} in item ${itemIndex}: expected text, got ${value === null ? 'null' : typeof value}`,
    {
      itemIndex,
      description: `Set "${displayName}" to text, or make its expression return text.`,
    },
  );
}

/** The per-node project override of the "Options" collection, or undefined for the credential's. */
export function projectOverride(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
  const options = ctx.getNodeParameter('options', itemIndex, {}) as { projectId?: unknown };
  if (options.projectId === undefined || options.projectId === '') return undefined;
  const value = typeof options.projectId === 'number' ? String(options.projectId) : options.projectId;
  if (typeof value !== 'string') {
    throw new NodeOperationError(
      ctx.getNode(),
      `Invalid Project ID in item ${itemIndex}: expected text, got ${typeof value}`,
      { itemIndex },
    );
  }
  return value.trim() ? value : undefined;
}

/** The Image ID parameter, or undefined when left empty (a fresh id is then made). */
export function optionalImageId(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
  const value = textParameter(ctx, 'imageId', 'Image ID', itemIndex, '');
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

/** The "Image ID" parameter of Generate and Upload, which make a fresh id when it is empty. */
export function newImageIdProperty(operation: string): INodeProperties {
  return {
    displayName: 'Image ID',
    name: 'imageId',
    type: 'string',
    default: '',
    placeholder: 'Leave empty for a fresh unique ID',
    description:
      'The ID to store the image under: letters, digits, ".", "_" and "-", up to 128. An image with this ID is replaced. Empty: a fresh unique ID.',
    displayOptions: showFor(operation),
  };
}

/** The output binary field of Generate (with Download Image on) and Get. */
export function outputBinaryProperty(displayOptions: INodeProperties['displayOptions']): INodeProperties {
  return {
    displayName: 'Put Output File in Field',
    name: 'binaryPropertyName',
    type: 'string',
    required: true,
    default: 'data',
    hint: 'The name of the output binary field to put the image in',
    displayOptions,
  };
}
