/** `genimix delete ID`: deletes an image. */
import { checkId } from '@genimix/core';
import { type CommandContext, runSingle } from '../command-context.js';
import type { ExitCode } from '../exit-codes.js';
import { connect } from '../settings.js';

/** Deletes image `id` of the project; a missing image is a failure (exit 1), as Genimix answers 404. */
export async function deleteCommand(ctx: CommandContext, id: string): Promise<ExitCode> {
  const imageId = checkId('ID', id);
  const { client, projectId } = connect(ctx.options, ctx.env);
  return runSingle(ctx, {
    spinnerText: `Deleting "${imageId}"…`,
    interruptedNote: () => `The deletion may have completed all the same: genimix get ${imageId} tells.`,
    async run(spinner) {
      await client.deleteImage({ imageId });
      spinner.stop();
      ctx.reporter.result(
        { id: imageId, project: projectId, deleted: true },
        `Deleted "${imageId}" from project "${projectId}".`,
      );
    },
  });
}
