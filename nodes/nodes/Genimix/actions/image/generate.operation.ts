import { createImageId, type GenimixClient, MODELS } from '@genimix/core';
import {
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeProperties,
  NodeOperationError,
} from 'n8n-workflow';
import { fileNameFor, toBinary } from '../../helpers/binary';
import { toNodeError } from '../../helpers/errors';
import {
  isToolMode,
  newImageIdProperty,
  optionalImageId,
  outputBinaryProperty,
  projectOverride,
  showFor,
  textParameter,
} from './shared';

const CUSTOM = 'custom';

/** The catalog as options: provider and model together, available ones first, "coming soon" marked. */
const modelOptions = [
  ...MODELS.map((m) => ({
    name: `${m.name} (${m.provider})${m.available ? '' : ' - Coming Soon'}`,
    value: `${m.provider}/${m.modelId}`,
    description: m.available
      ? `${m.modelId}: ${m.costTokens} tokens per image`
      : `${m.modelId}: not available yet; the API may refuse it`,
  })),
  { name: 'Custom Model', value: CUSTOM, description: 'A provider and model ID the list does not know yet' },
];

export const description: INodeProperties[] = [
  {
    displayName: 'Model',
    name: 'model',
    type: 'options',
    // Available models first, as the Genimix docs list them.
    options: modelOptions,
    default: `${MODELS[0]!.provider}/${MODELS[0]!.modelId}`,
    description: 'The model that draws the image. Each generation costs tokens of your Genimix plan.',
    displayOptions: showFor('generate'),
  },
  {
    displayName: 'Provider',
    name: 'provider',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'e.g. google',
    description: 'The provider ID to send, for a model the list does not know yet',
    displayOptions: { show: { resource: ['image'], operation: ['generate'], model: [CUSTOM] } },
  },
  {
    displayName: 'Model ID',
    name: 'modelId',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'e.g. imagen-4.0-generate-001',
    description: 'The model ID to send, exactly as the provider names it',
    displayOptions: { show: { resource: ['image'], operation: ['generate'], model: [CUSTOM] } },
  },
  {
    displayName: 'Prompt',
    name: 'prompt',
    type: 'string',
    required: true,
    default: '',
    typeOptions: { rows: 4 },
    placeholder: 'e.g. A lighthouse on a cliff at dawn, watercolour',
    description: 'What the image should show: subject, style, composition, colours. Up to 4,000 characters.',
    displayOptions: showFor('generate'),
  },
  newImageIdProperty('generate'),
  {
    displayName: 'Download Image',
    name: 'download',
    type: 'boolean',
    default: true,
    description: 'Whether to fetch the generated image into a binary field, for nodes that post or save it',
    // An AI Agent sees JSON only (n8n#38357): as a tool, Generate never downloads.
    displayOptions: { show: { resource: ['image'], operation: ['generate'] }, hide: { '@tool': [true] } },
  },
  outputBinaryProperty({
    show: { resource: ['image'], operation: ['generate'], download: [true] },
    hide: { '@tool': [true] },
  }),
];

/**
 * Generate: the core's `generateImage`, then (Download Image) `getImage` into a binary field.
 * Output JSON: imageId, projectId, imageUrl, provider, modelId, and with the download mimeType,
 * size (bytes), width and height (pixels) and fileName. As an AI Agent's tool it never
 * downloads: the agent could not see the bytes, and the JSON names the image for a later Get.
 */
export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  client: GenimixClient,
): Promise<INodeExecutionData[]> {
  const model = textParameter(this, 'model', 'Model', itemIndex);
  const slash = model.indexOf('/');
  if (model !== CUSTOM && slash <= 0) {
    // Never guess: Generate is billed, and the contract forbids swapping a model silently.
    throw new NodeOperationError(
      this.getNode(),
      `Invalid Model in item ${itemIndex}: "${model}" is not "provider/modelId"`,
      {
        itemIndex,
        description:
          'Pick a model from the list, give "provider/modelId" (e.g. "google/imagen-3.0-generate-002"), or choose Custom Model and fill in Provider and Model ID.',
      },
    );
  }
  const [provider, modelId] =
    model === CUSTOM
      ? [textParameter(this, 'provider', 'Provider', itemIndex), textParameter(this, 'modelId', 'Model ID', itemIndex)]
      : [model.slice(0, slash), model.slice(slash + 1)];
  const prompt = textParameter(this, 'prompt', 'Prompt', itemIndex);
  const imageId = optionalImageId(this, itemIndex) ?? createImageId();
  const projectId = projectOverride(this, itemIndex);
  const { imageUrl } = await client.generateImage(
    { imageId, provider, modelId, prompt, projectId },
    { signal: this.getExecutionCancelSignal() },
  );
  const json = { imageId, projectId: projectId ?? client.projectId, imageUrl, provider, modelId };
  if (isToolMode(this) || !(this.getNodeParameter('download', itemIndex, true) as boolean)) return [{ json }];

  const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
  try {
    const image = await client.getImage({ imageId, projectId }, { signal: this.getExecutionCancelSignal() });
    return [
      {
        json: {
          ...json,
          mimeType: image.contentType,
          size: image.size,
          ...(image.width === undefined ? {} : { width: image.width, height: image.height }),
          fileName: fileNameFor(imageId, image.contentType),
        },
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
  } catch (error) {
    // Generate is billed: say that the image exists, so that nobody generates it again to get it.
    const nodeError = toNodeError(this, error, itemIndex);
    nodeError.description =
      `The image was generated and stored as "${imageId}" (${imageUrl}), but downloading it failed: fetch it with the Get operation rather than generating it again. ${nodeError.description ?? ''}`.trim();
    throw nodeError;
  }
}
