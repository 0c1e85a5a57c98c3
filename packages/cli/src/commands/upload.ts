/** `genimix upload FILE|-`: uploads an image, streamed from the file or stdin, never held whole. */
import path from 'node:path';
import { checkId, createImageId, GenimixValidationError } from '@genimix/core';
import { type CommandContext, runSingle } from '../command-context.js';
import { type ExitCode, UsageError } from '../exit-codes.js';
import { describeSaved, imageRecord } from '../report.js';
import { connect } from '../settings.js';

/**
 * Uploads `file` (`-`: stdin) as image `--id` (default a new `img-<uuid>`), replacing any image
 * with that id. A file is sent with its length and retried on a failure that allows it; stdin is
 * sent as it is read and not retried (it cannot be read twice).
 */
export async function uploadCommand(ctx: CommandContext, file: string, options: { id?: string }): Promise<ExitCode> {
  const imageId = options.id === undefined ? createImageId() : checkId('--id', options.id);
  const fromStdin = file === '-';
  if (fromStdin && process.stdin.isTTY) {
    throw new UsageError(
      'FILE',
      'upload - reads the image from stdin, which is a terminal here: pipe an image into it (genimix upload - < cat.png) or name the file.',
    );
  }
  const { client, projectId } = connect(ctx.options, ctx.env);
  const source = fromStdin ? '-' : path.resolve(ctx.cwd, file);
  return runSingle(ctx, {
    spinnerText: `Uploading ${fromStdin ? 'stdin' : file} as "${imageId}"…`,
    interruptedNote: () => `The upload may have completed all the same: genimix get ${imageId} tells.`,
    async run(spinner) {
      const counted = fromStdin ? countingStream(process.stdin) : undefined;
      const result = await client
        .uploadImage(counted ? { imageId, data: counted.chunks } : { imageId, path: source })
        .catch((error: unknown) => {
          // The core names its parameters (data, path); here the image is the FILE argument.
          if (error instanceof GenimixValidationError && (error.field === 'data' || error.field === 'path')) {
            const name = fromStdin ? 'stdin' : file;
            throw new UsageError('FILE', error.message.replace(/^(path "(?:[^"\\]|\\.)*"|data)/, name));
          }
          throw error;
        });
      spinner.stop();
      const sent = {
        file: source,
        bytes: result.size ?? counted?.bytes() ?? 0,
        contentType: result.contentType,
        ...(result.width === undefined ? {} : { width: result.width, height: result.height }),
      };
      ctx.reporter.result(
        imageRecord({ id: imageId, project: projectId }, sent, result.imageUrl),
        `Uploaded ${fromStdin ? 'stdin' : file} as "${imageId}" (${describeSaved(sent)}): ${result.imageUrl}`,
      );
    },
  });
}

/** `stream` passed through as it is, and the number of bytes that went by, for the result. */
function countingStream(stream: AsyncIterable<Uint8Array>): { chunks: AsyncIterable<Uint8Array>; bytes(): number } {
  let bytes = 0;
  async function* chunks() {
    for await (const chunk of stream) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  return { chunks: chunks(), bytes: () => bytes };
}
