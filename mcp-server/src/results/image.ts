import { buildUrl, imageDimensions, Redactor, redactUrl } from '@genimix/core';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ServerConfig } from '../config.js';
import { writeImageFile } from '../image-files.js';
import { makePreview, type Preview } from '../preview.js';
import { imageResourceUri } from '../resources/image-resource.js';
import { formatBytes } from '../text.js';
import type { ImageFacts } from './schemas.js';

/** An image fetched from Genimix, with where it belongs. */
export interface FetchedImage {
  projectId: string;
  imageId: string;
  /** The server's URL of the image (the core removed any credential), or none: see {@link shownImageUrl}. */
  imageUrl: string | undefined;
  data: Uint8Array;
  contentType: string;
}

type Content = CallToolResult['content'];

/**
 * The result that shows an image to the model, whatever its size:
 * - an `image` block the model can see: the image itself when it fits the preview budget
 *   (`GENIMIX_PREVIEW_MAX_BYTES`, 1,568 px), else a JPEG preview made to fit;
 * - a `resource_link` to `genimix://images/{projectId}/{imageId}`, whose `resources/read` gives
 *   the full image;
 * - where the preview is not the image itself, the full image written to the output folder;
 * - a text block that says which of these the model got, then the structured content as JSON
 *   (for clients that read only text);
 * - `structuredContent` with the same facts, never the bytes.
 *
 * @param summary the first line of the text, e.g. `Image "cat" of project "p".`
 * @param extra more structured fields (a generation's provider and model)
 */
export async function imageResult(
  image: FetchedImage,
  config: ServerConfig,
  summary: string,
  extra: Record<string, unknown> = {},
): Promise<CallToolResult> {
  const { projectId, imageId, data, contentType } = image;
  const facts: ImageFacts & Record<string, unknown> = {
    status: 'ready',
    projectId,
    imageId,
    imageUrl: shownImageUrl(image.imageUrl, config, projectId, imageId),
    mimeType: contentType,
    size: data.length,
    ...extra,
  };
  const lines = [summary];
  const content: Content = [];

  const dimensions = imageDimensions(data);
  Object.assign(facts, dimensions);
  const what = `${dimensions ? `${dimensions.width}×${dimensions.height} ` : ''}${typeName(contentType)}, ${formatBytes(data.length)}`;

  // A hostile or broken server may put the key into the image itself (a PNG text chunk, EXIF):
  // then only a re-encoded preview, which keeps pixels alone, leaves this server.
  const carriesKey = imageCarriesKey(data, config.apiKey);
  if (carriesKey) lines.push(KEY_IN_IMAGE);
  let preview: Preview | undefined;
  try {
    preview = await makePreview(data, contentType, { maxBytes: config.previewMaxBytes, reencode: carriesKey });
  } catch (error) {
    lines.push(`The image (${what}) cannot be shown: no preview could be made (${(error as Error).message}).`);
  }
  if (preview) {
    facts.preview = {
      original: preview.original,
      mimeType: preview.mimeType,
      size: preview.size,
      width: preview.width,
      height: preview.height,
    };
    content.push({ type: 'image', data: base64(preview.data), mimeType: preview.mimeType });
    lines.push(
      preview.original
        ? `The image (${what}) is shown as it is.`
        : `Shown is a preview, ${preview.width}×${preview.height} ${typeName(preview.mimeType)}, ${formatBytes(preview.size)}, of the full image (${what}), which is over the ${formatBytes(config.previewMaxBytes)} an image result shows.`,
    );
  }

  if (!carriesKey) await linkFullImage(facts, content, lines, image, config, what);
  content.unshift({ type: 'text', text: `${lines.join('\n')}\n${JSON.stringify(facts)}` });
  return { content, structuredContent: facts };
}

/**
 * Where the full image is, added to a result: the resource link, and the file written where the
 * model was shown a preview rather than the image itself.
 */
async function linkFullImage(
  facts: ImageFacts,
  content: Content,
  lines: string[],
  image: FetchedImage,
  config: ServerConfig,
  what: string,
): Promise<void> {
  const { projectId, imageId, data, contentType } = image;
  const resourceUri = imageResourceUri(projectId, imageId);
  facts.resourceUri = resourceUri;
  const full = [`resource ${resourceUri} (resources/read returns it)`];
  // Over HTTP the client is elsewhere: resources/read is how it gets the full image.
  if (!facts.preview?.original && config.outputDir) {
    try {
      const written = await writeImageFile(config.outputDir, projectId, imageId, contentType, data);
      facts.savedTo = written.path;
      if (written.replaced) facts.replacedFile = true;
      full.push(`the file ${written.path}${written.replaced ? ' (it replaced the earlier file of this image)' : ''}`);
    } catch (error) {
      lines.push(`The full image could not be written to a file: ${(error as Error).message}`);
    }
  }
  lines.push(`The full image: ${full.join('; ')}.`);
  content.push({
    type: 'resource_link',
    uri: resourceUri,
    name: imageId,
    title: `Image ${imageId} (full size)`,
    description: `The full image ${imageId} of project ${projectId}: ${what}.`,
    mimeType: contentType,
    size: data.length,
  });
}

/** What a result says of an image whose bytes hold the API key. */
export const KEY_IN_IMAGE =
  "The image's bytes contain this server's API key (Genimix or a proxy put it into the image's data), so only a re-encoded preview is shown: the full image is neither saved nor served as a resource. Tell the user.";

/** True when any form of the API key occurs in an image's bytes. */
export function imageCarriesKey(data: Uint8Array, apiKey: string): boolean {
  return new Redactor(apiKey).occursIn(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'));
}

/** The longest server-given `imageUrl` shown; a longer one is the server's doing, not a URL to show. */
const MAX_SHOWN_URL_CHARS = 500;

/**
 * The `imageUrl` to show: the server's (the core removed any credential from it) when it is a
 * plain http(s) URL of reasonable length, else the contract's own URL of the image
 * (`<baseUrl>/v1/<projectId>/image/<imageId>`): a hostile server's 1 MB "URL" or its text must
 * not fill the model's context.
 */
export function shownImageUrl(
  serverUrl: string | undefined,
  config: ServerConfig,
  projectId: string,
  imageId: string,
): string {
  if (serverUrl && serverUrl.length <= MAX_SHOWN_URL_CHARS && /^https?:\/\/[^\s]+$/i.test(serverUrl)) return serverUrl;
  return redactUrl(buildUrl(config.baseUrl, projectId, 'image', imageId), config.apiKey);
}

/** `image/png` → `PNG`. */
function typeName(mimeType: string): string {
  return (mimeType.split('/')[1] ?? mimeType).toUpperCase();
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
