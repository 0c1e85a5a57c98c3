/** `genimix generate "<prompt>"`: generates one image, downloads it and writes it. */
import { checkId, checkPrompt, createImageId, mayHaveBeenBilled } from '@genimix/core';
import { type CommandContext, runSingle } from '../command-context.js';
import type { ExitCode } from '../exit-codes.js';
import { NotedError } from '../failure.js';
import { parseModel } from '../model-option.js';
import { resolveDestination } from '../output/destination.js';
import { saveImage } from '../output/save-image.js';
import { describeSaved, imageRecord, whereSaved } from '../report.js';
import { connect } from '../settings.js';

/** The options of a single generate. */
export interface GenerateOptions {
  model?: string;
  id?: string;
  output?: string;
}

/**
 * Generates an image from `prompt` (billed), then fetches it and writes it to `-o` (default
 * `<id>.<ext>` in the working folder). Everything is checked before the Generate is sent,
 * the destination included.
 */
export async function generateCommand(
  ctx: CommandContext,
  prompt: string,
  options: GenerateOptions,
): Promise<ExitCode> {
  const model = parseModel(options.model);
  checkPrompt(prompt, 'PROMPT');
  const imageId = options.id === undefined ? createImageId() : checkId('--id', options.id);
  const { client, projectId } = connect(ctx.options, ctx.env);
  const destination = await resolveDestination(options.output, ctx.cwd, process.stdout.isTTY === true);
  if (!model.known)
    ctx.reporter.note(`Note: ${model.key} is not in the catalog (genimix models); sending it as given.`);
  else if (!model.available)
    ctx.reporter.note(`Note: the catalog marks ${model.key} as coming soon (genimix models); Genimix may refuse it.`);
  let stage: 'generating' | 'downloading' = 'generating';
  const fetchLater = `genimix get ${imageId}${options.output === undefined ? '' : ' -o FILE'}`;
  return runSingle(ctx, {
    spinnerText: `Generating "${imageId}" with ${model.key}…`,
    interruptedNote: () =>
      stage === 'generating'
        ? `The generation may have been received and billed: if Genimix finished it, ${fetchLater} fetches it without paying again.`
        : `The image was generated (and billed): ${fetchLater} fetches it.`,
    async run(spinner) {
      let imageUrl: string;
      try {
        ({ imageUrl } = await client.generateImage({
          imageId,
          provider: model.provider,
          modelId: model.modelId,
          prompt,
        }));
      } catch (error) {
        if (!mayHaveBeenBilled(error)) throw error;
        throw new NotedError(
          error,
          `The image may have been generated and billed all the same: run ${fetchLater} before generating it again.`,
        );
      }
      stage = 'downloading';
      spinner.update(`Downloading "${imageId}"…`);
      try {
        const image = await client.getImageStream({ imageId });
        const saved = await saveImage(image, destination, imageId);
        spinner.stop();
        ctx.reporter.result(
          imageRecord({ id: imageId, project: projectId, model: model.key }, saved, imageUrl),
          `Generated "${imageId}" with ${model.key}: ${whereSaved(saved)} (${describeSaved(saved)})`,
          destination.kind === 'stdout',
        );
      } catch (error) {
        throw new NotedError(error, `The image was generated (and billed) as "${imageId}": ${fetchLater} fetches it.`);
      }
    },
  });
}
