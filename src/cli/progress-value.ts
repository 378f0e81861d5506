import { safeString } from '../util/safe-string.js';

/** How much of a progress value the progress line shows. */
export const PROGRESS_VALUE_CHARS = 40;

/**
 * A `ctx.progress` value as one short, terminal-safe piece of the progress line: its JSON (a
 * string keeps its quotes, so `"50%"` and `50` differ), cut to `max` characters with an ellipsis.
 * JSON escapes C0 controls; DEL and the C1 controls (which a terminal would act on) become `?`.
 */
export function compactValue(value: unknown, max = PROGRESS_VALUE_CHARS): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= safeString(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters removed
  text = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
