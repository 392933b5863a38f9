import { useEffect, useState } from 'preact/hooks';
import type { ResourceDiff } from '../api-types.ts';
import { useEnv } from '../context.ts';

type View = 'diff' | 'desired' | 'live';

/**
 * Desired against live for one resource: the unified diff, or either side as YAML
 * (Secret values arrive masked from the API and are shown as they come).
 * `changed` moves when the app was compared again, so the list of differing objects reloads.
 */
export function DiffPanel({ app, selected, onSelect, changed }: { app: string; selected: string | undefined; onSelect: (key: string) => void; changed: string }) {
  const { client } = useEnv();
  const [differing, setDiffering] = useState<ResourceDiff[] | undefined>(undefined);
  const [shown, setShown] = useState<ResourceDiff | undefined>(undefined);
  const [view, setView] = useState<View>('diff');
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    client.diff(app).then(setDiffering, (e: Error) => setError(e.message));
  }, [app, changed]);
  useEffect(() => {
    if (selected === undefined) return setShown(undefined);
    client.diff(app, selected).then(
      (items) => setShown(items[0]),
      (e: Error) => setError(e.message),
    );
  }, [app, selected, changed]);

  return (
    <section aria-labelledby="diff-heading" class="panel">
      <h2 id="diff-heading">Diff</h2>
      {error && <p role="alert">Could not load the diff: {error}</p>}
      {differing && differing.length === 0 && <p class="muted">Live matches Git.</p>}
      {differing && differing.length > 0 && (
        <ul class="differing">
          {differing.map((d) => (
            <li key={d.key}>
              <button type="button" class="link" aria-pressed={d.key === selected} onClick={() => onSelect(d.key)}>
                {d.key}
              </button>{' '}
              <span class="muted">{d.status}</span>
            </li>
          ))}
        </ul>
      )}
      {shown && (
        <div class="diff-view" data-testid="diff-view">
          <h3>{shown.key}</h3>
          <div role="group" aria-label="Show" class="segmented">
            {(['diff', 'desired', 'live'] as const).map((v) => (
              <button type="button" aria-pressed={view === v} onClick={() => setView(v)}>
                {v === 'diff' ? 'Diff' : v === 'desired' ? 'Desired (Git)' : 'Live'}
              </button>
            ))}
          </div>
          {view === 'diff' ? <UnifiedDiff text={shown.diff} /> : <pre class="yaml">{(view === 'desired' ? shown.desired : shown.live) ?? '(absent)'}</pre>}
        </div>
      )}
    </section>
  );
}

function UnifiedDiff({ text }: { text: string }) {
  if (text === '') return <p class="muted">No difference.</p>;
  return (
    <pre class="diff" aria-label="unified diff, desired against live">
      {text.split('\n').map((line) => {
        const kind = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
        return <span class={`line ${kind}`}>{line + '\n'}</span>;
      })}
    </pre>
  );
}
