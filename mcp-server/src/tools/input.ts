import { z } from 'zod/v4';

/** The longest argument name quoted back in an error, in characters. */
const MAX_NAME_CHARS = 40;

/**
 * A tool's input schema that refuses unknown arguments (`additionalProperties: false`). A billed
 * call must never silently drop what the user asked for (`size`, `n`, `negative_prompt`): the
 * call fails, naming them, and nothing is sent.
 */
export function toolInput<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const names = issue.keys
        .slice(0, 5)
        .map((key) => JSON.stringify(key.length <= MAX_NAME_CHARS ? key : `${key.slice(0, MAX_NAME_CHARS - 1)}…`));
      const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
      return `unknown argument${issue.keys.length === 1 ? '' : 's'} ${names.join(', ')}${more}: ${known ? `this tool takes only ${known}` : 'this tool takes no arguments'}. Nothing was sent to Genimix. Call it again without ${issue.keys.length === 1 ? 'it' : 'them'}; if the user asked for something these arguments cannot express (a size, a number of images, a negative prompt), tell the user it is not supported.`;
    },
  });
}
