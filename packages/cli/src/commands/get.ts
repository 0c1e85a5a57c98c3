/** `genimix get ID`: downloads an image and writes it. Free: Get is not billed. */
import { checkId } from '@genimix/core';
import { type CommandContext, runSingle } from '../command-context.js';
import type { ExitCode } from '../exit-codes.js';
import { resolveDestination } from '../output/destination.js';
import { saveImage } from '../output/save-image.js';
import { describeSaved, imageRecord, whereSaved } from '../report.js';
import { connect } from '../settings.js';

/** Fetches image `id` and writes it to `output` (default `<id>.<ext>` in the working folder, `-` for stdout). */
export async function getCommand(ctx: CommandContext, id: string, options: { output?: string }): Promise<ExitCode> {
  const imageId = checkId('ID', id);
  const { client, projectId } = connect(ctx.options, ctx.env);
  const destination = await resolveDestination(options.output, ctx.cwd, process.stdout.isTTY === true);
  return runSingle(ctx, {
    spinnerText: `Downloading "${imageId}"…`,
    interruptedNote: () => '',
    async run(spinner) {
      const image = await client.getImageStream({ imageId });
      const saved = await saveImage(image, destination, imageId);
      spinner.stop();
      ctx.reporter.result(
        imageRecord({ id: imageId, project: projectId }, saved, client.imageUrl({ imageId })),
        `Saved "${imageId}" to ${whereSaved(saved)} (${describeSaved(saved)})`,
        destination.kind === 'stdout',
      );
    },
  });
}
