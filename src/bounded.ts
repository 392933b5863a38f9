/**
 * Bounds for text Sluice stores, shows or logs that may come from outside (a server's
 * message, a render error quoting a 100,000-character name): a message is cut at `max`
 * characters and says how much was left out, so Redis, the Application's status and the
 * log each hold at most a few kilobytes per app.
 */

/** Default for one message (a condition, an operation's message, a log line). */
export const MAX_MESSAGE_CHARS = 2_000;

/** Per-resource messages: an operation may list hundreds. */
export const MAX_RESOURCE_MESSAGE_CHARS = 500;

export function bounded(text: string, max: number = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const note = ` … (${text.length - max} more characters)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}
