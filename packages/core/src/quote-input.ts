/** The longest excerpt of a caller's value that an error message quotes, in characters. */
const MAX_QUOTED_INPUT = 60;

/**
 * A caller's value for an error message: JSON, cut to {@link MAX_QUOTED_INPUT} characters with
 * its full length said, so that a huge input (a model's argument, say) is never echoed whole.
 */
export function quoteInput(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_QUOTED_INPUT ? text : `${text.slice(0, MAX_QUOTED_INPUT - 1)}… (${text.length} characters)`;
}
