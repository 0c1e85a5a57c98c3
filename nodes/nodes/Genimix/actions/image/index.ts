import type { INodeProperties } from 'n8n-workflow';
import * as del from './delete.operation';
import * as generate from './generate.operation';
import * as get from './get.operation';
import * as upload from './upload.operation';

/** The Image resource's operations, by the `operation` parameter's value. */
export const operations = { generate, upload, get, delete: del };

/** The operation names the node offers, as n8n's `Operation` type. */
export type ImageOperation = keyof typeof operations;

const OPERATIONS = [
  { name: 'Delete', value: 'delete', action: 'Delete an image', description: 'Delete a stored image' },
  {
    name: 'Generate',
    value: 'generate',
    action: 'Generate an image',
    description: 'Generate an image from a prompt with a model of your choice',
  },
  { name: 'Get', value: 'get', action: 'Get an image', description: 'Download a stored image as binary data' },
  { name: 'Upload', value: 'upload', action: 'Upload an image', description: 'Store an image from a binary field' },
];

/** Operations an AI Agent's tool cannot do: Upload needs a binary field, which an agent cannot give (n8n#38357). */
export const NOT_AS_TOOL: ReadonlySet<string> = new Set(['upload']);

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['image'] }, hide: { '@tool': [true] } },
    options: OPERATIONS,
    default: 'generate',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['image'], '@tool': [true] } },
    options: OPERATIONS.filter((o) => !NOT_AS_TOOL.has(o.value)),
    default: 'generate',
  },
  ...generate.description,
  ...upload.description,
  ...get.description,
  ...del.description,
];
