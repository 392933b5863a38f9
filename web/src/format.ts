/** Display helpers: pure, `now` passed in. */

export function shortSha(revision: string | undefined): string {
  return revision === undefined ? '—' : revision.slice(0, 7);
}

/** "45s", "12m", "3h", "5d": the age of `time` at `now`. */
export function age(time: string | undefined, now: number): string {
  if (time === undefined) return '—';
  const seconds = Math.max(0, Math.round((now - Date.parse(time)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Time left until `time`: "0:42", or undefined when it has passed. */
export function remaining(time: string | undefined, now: number): string | undefined {
  if (time === undefined) return undefined;
  const seconds = Math.ceil((Date.parse(time) - now) / 1000);
  if (seconds <= 0) return undefined;
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
