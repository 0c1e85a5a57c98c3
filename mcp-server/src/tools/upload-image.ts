import { createImageId, GenimixValidationError, normalizeMimeType } from '@genimix/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod/v4';
import { UPLOAD_FOLDERS_SETTING } from '../config.js';
import { imageResourceUri } from '../resources/image-resource.js';
import { errorResult } from '../results/errors.js';
import { shownImageUrl } from '../results/image.js';
import { stillGeneratingResult } from '../results/pending.js';
import { uploadImageOutput } from '../results/schemas.js';
import { quote } from '../text.js';
import { decodeDataArgument, readPathArgument, type UploadBytes } from '../upload-input.js';
import { projectIdDescription, type ToolDeps } from './deps.js';
import { toolInput } from './input.js';

/** `upload_image`: stores an image given as base64 or as a local file path inside the allowed folders. */
export function registerUploadImage(server: McpServer, { client, config, generations }: ToolDeps): void {
  const folders =
    config.allowedDirs.length > 0
      ? `a local file inside ${config.allowedDirs.join(', ')}`
      : `a local file, but this server may read none: the user has not set ${UPLOAD_FOLDERS_SETTING}`;
  // Over HTTP the server runs on another machine: a path would name a file on the server, not
  // the user's, so the tool has no path at all (and no way to read the server's files).
  const what = config.remote
    ? "Give data: the image's bytes as base64, or a data:image/...;base64, URI (this server runs remotely and cannot read local files). "
    : `Give exactly one of data (the image's bytes as base64, or a data:image/...;base64, URI) and path (${folders}). `;
  const pathArgument = z
    .string()
    .optional()
    .describe(
      config.allowedDirs.length > 0
        ? `Full path of a local image file. Only files inside ${config.allowedDirs.join(', ')} can be read. Leave out when data is given.`
        : `Full path of a local image file. This server may read no local files until the user sets ${UPLOAD_FOLDERS_SETTING}: use data instead.`,
    );
  server.registerTool(
    'upload_image',
    {
      title: 'Upload image',
      description:
        'Upload an existing image (PNG, JPEG, WebP or GIF, at most 50 MiB) into the Genimix project, replacing any image with the same imageId. ' +
        what +
        'The type is detected from the bytes. Free. Returns the imageId, URL, type, size and dimensions.',
      inputSchema: toolInput({
        data: z
          .string()
          .optional()
          .describe(
            'The image bytes as base64, or a data: URI such as data:image/png;base64,iVBOR... Leave out when path is given.',
          ),
        // Typed as always there (it is optional either way); over HTTP the schema has no path.
        ...((config.remote ? {} : { path: pathArgument }) as { path: typeof pathArgument }),
        contentType: z
          .string()
          .optional()
          .describe(
            'image/png, image/jpeg, image/webp or image/gif. Usually omit it: it is detected from the bytes, and a type that contradicts them is refused.',
          ),
        imageId: z
          .string()
          .optional()
          .describe(
            'Name to store the image under: 1–128 characters of letters, digits, ".", "_" or "-". Omit it to get a fresh unique id. An existing image with this id is replaced.',
          ),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      outputSchema: uploadImageOutput,
      annotations: {
        title: 'Upload image',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: true,
      },
    },
    async (args, ctx) => {
      try {
        if ((args.data === undefined) === (args.path === undefined)) {
          throw new GenimixValidationError(
            'data',
            'Give exactly one of data (base64 image bytes) and path (a local image file).',
          );
        }
        const input: UploadBytes =
          args.data !== undefined
            ? decodeDataArgument(args.data)
            : await readPathArgument(args.path!, config.allowedDirs);
        const contentType = chooseContentType(args.contentType, input.declaredType);
        const imageId = args.imageId ?? createImageId();
        const projectId = args.projectId ?? config.projectId;
        // A generation still running would replace the upload when it finishes.
        const running = generations.find(projectId, imageId);
        if (running && !running.outcome) return stillGeneratingResult(running, 'upload');
        const result = await client
          .uploadImage(
            { imageId, projectId, data: input.data, ...(contentType ? { contentType } : {}) },
            { signal: ctx.mcpReq.signal },
          )
          .catch((error: unknown) => {
            // The type came from the data: URI, not from a contentType the model gave: name the right field.
            if (
              error instanceof GenimixValidationError &&
              error.field === 'contentType' &&
              !args.contentType &&
              input.declaredType
            ) {
              throw new GenimixValidationError(
                'data',
                `the data: URI's type ${quote(input.declaredType, 60)} does not fit the data (${error.message.replace(/^contentType /, 'as contentType, ')}): fix the type in the data: URI, or send plain base64.`,
              );
            }
            throw error;
          });
        const size = input.data.length;
        const facts = {
          projectId,
          imageId,
          imageUrl: shownImageUrl(result.imageUrl, config, projectId, imageId),
          resourceUri: imageResourceUri(projectId, imageId),
          mimeType: result.contentType,
          size,
          ...(result.width === undefined ? {} : { width: result.width, height: result.height }),
        };
        return {
          content: [
            {
              type: 'text',
              text: `Uploaded image "${imageId}" (${size} bytes) to project "${projectId}".\n${JSON.stringify(facts)}`,
            },
          ],
          structuredContent: facts,
        };
      } catch (error) {
        return errorResult(error, config);
      }
    },
  );
}

/** The declared type: `contentType`, or the data: URI's; the two must agree when both are given. */
function chooseContentType(argument: string | undefined, fromUri: string | undefined): string | undefined {
  if (argument && fromUri && normalizeMimeType(argument) !== normalizeMimeType(fromUri)) {
    throw new GenimixValidationError(
      'contentType',
      `contentType ${quote(argument, 60)} contradicts the data: URI's type ${quote(fromUri, 60)}: give only one, or make them agree.`,
    );
  }
  return argument || fromUri;
}
