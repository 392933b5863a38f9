import type { AppSummary, HistoryEntry } from '../api-types.ts';
import { age, firstLine, shortSha } from '../format.ts';
import { Status } from './badges.tsx';

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

export function HistoryPanel({ entries, now, canOperate, onRollback }: { entries: HistoryEntry[]; now: number; canOperate: boolean; onRollback: (entry: HistoryEntry) => void }) {
  return (
    <section aria-labelledby="history-heading" class="panel">
      <h2 id="history-heading">History</h2>
      {entries.length === 0 ? (
        <p class="muted">No operations yet.</p>
      ) : (
        <table class="history">
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">What</th>
              <th scope="col">Result</th>
              <th scope="col">Message</th>
              <th scope="col">When</th>
              {canOperate && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} data-history={entry.id}>
                <td>
                  <code title={entry.revision}>{shortSha(entry.revision)}</code>
                </td>
                <td>
                  {entry.kind ?? 'sync'} <span class="muted">({entry.trigger})</span>
                </td>
                <td>
                  <Status value={entry.phase} />
                </td>
                <td title={entry.message}>{firstLine(entry.message)}</td>
                <td>
                  <time dateTime={entry.finishedAt}>{age(entry.finishedAt, now)} ago</time>
                </td>
                {canOperate && (
                  <td>
                    <button type="button" onClick={() => onRollback(entry)} aria-label={`Rollback to ${shortSha(entry.revision)} (${entry.id})`}>
                      Rollback
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
