import type { HistoryEntry } from '../api-types.ts';
import { age, firstLine, shortSha } from '../format.ts';
import { Status } from './badges.tsx';

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
