import type { AppSummary, HistoryEntry } from './api-types.ts';
import { shortSha } from './format.ts';

/** What a rollback to `entry` does, in the words the confirm dialog shows. */
export function rollbackConsequences(app: AppSummary, entry: HistoryEntry): string[] {
  const sha = shortSha(entry.revision);
  const lines = [`Sluice syncs ${app.name} to ${sha} now, every object of the app, and pins the app to ${sha}.`];
  lines.push(
    app.autoSync
      ? `Auto-sync stays on, but it will not move ${app.name} off ${sha} until a newer commit lands in Git or you unpin it.`
      : `Auto-sync is off for ${app.name} and stays off; the pin keeps ${sha} until you unpin it.`,
  );
  if (app.pinned && app.pinned.revision !== entry.revision) lines.push(`This replaces the current pin to ${shortSha(app.pinned.revision)}.`);
  if (app.badRevisions.includes(entry.revision)) lines.push(`${sha} is marked as a bad revision: it failed before.`);
  return lines;
}
