import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { HEALTH_STATUSES, SYNC_STATUSES, type AppSummary } from '../api-types.ts';
import { useEnv, useNow, useStoreVersion } from '../context.ts';
import { matches, type AppFilter } from '../filter.ts';
import { age, firstLine, shortSha } from '../format.ts';
import { AppBadges, Status } from './badges.tsx';

/** Kept across page changes, so going back to the list keeps the filter. */
let savedFilter: AppFilter = { sync: '', health: '', search: '' };

/** Must match `.apps-table tbody tr` height in the stylesheet. */
const ROW_HEIGHT = 44;
/** rows rendered beyond the visible ones, so scrolling and tabbing meet rendered rows */
const OVERSCAN = 12;

export function AppsPage() {
  const { store } = useEnv();
  const version = useStoreVersion(store);
  const [filter, setFilterState] = useState(savedFilter);
  const setFilter = (next: AppFilter) => {
    savedFilter = next;
    setFilterState(next);
  };
  const visible = useMemo(() => {
    const out: AppSummary[] = [];
    for (const name of store.names) {
      const app = store.apps.get(name);
      if (app && matches(app, filter)) out.push(app);
    }
    return out;
  }, [version, filter]);

  return (
    <main id="main" tabIndex={-1}>
      <h1>Applications</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search by name
          <input type="search" value={filter.search} onInput={(e) => setFilter({ ...filter, search: e.currentTarget.value })} />
        </label>
        <label>
          Sync
          <select value={filter.sync} onChange={(e) => setFilter({ ...filter, sync: e.currentTarget.value as AppFilter['sync'] })}>
            <option value="">any</option>
            {SYNC_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Health
          <select value={filter.health} onChange={(e) => setFilter({ ...filter, health: e.currentTarget.value as AppFilter['health'] })}>
            <option value="">any</option>
            {HEALTH_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <p class="count" aria-live="polite">
          {store.loaded ? `${visible.length} of ${store.apps.size} apps` : store.loadError ? `Could not load the apps: ${store.loadError}` : 'Loading apps…'}
        </p>
      </form>
      <AppList apps={visible} />
    </main>
  );
}

/** A windowed table: only the rows in view (plus some) are in the DOM, so 2,000 apps stay quick. */
function AppList({ apps }: { apps: AppSummary[] }) {
  const now = useNow(10_000);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(window.innerHeight);
  useEffect(() => {
    const measure = () => setViewport(scroller.current?.clientHeight ?? window.innerHeight);
    measure();
    addEventListener('resize', measure);
    return () => removeEventListener('resize', measure);
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(apps.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  return (
    <div class="apps-scroll" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <table class="apps-table" aria-rowcount={apps.length + 1}>
        <caption class="visually-hidden">Applications, sorted by name</caption>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Name</th>
            <th scope="col">Sync</th>
            <th scope="col">Health</th>
            <th scope="col">Revision</th>
            <th scope="col">Last operation</th>
            <th scope="col">Badges</th>
          </tr>
        </thead>
        <tbody>
          {first > 0 && <tr class="spacer" aria-hidden="true" style={{ height: `${first * ROW_HEIGHT}px` }} />}
          {apps.slice(first, last).map((app, i) => (
            <AppRow key={app.name} app={app} index={first + i} now={now} />
          ))}
          {last < apps.length && <tr class="spacer" aria-hidden="true" style={{ height: `${(apps.length - last) * ROW_HEIGHT}px` }} />}
        </tbody>
      </table>
    </div>
  );
}

function AppRow({ app, index, now }: { app: AppSummary; index: number; now: number }) {
  const op = app.lastOperation;
  return (
    <tr aria-rowindex={index + 2} data-app={app.name}>
      <th scope="row">
        <a href={`#/apps/${encodeURIComponent(app.name)}`}>{app.name}</a>
      </th>
      <td>
        <Status value={app.sync} />
      </td>
      <td>
        <Status value={app.health} title={app.healthMessage} />
      </td>
      <td class="revision" title={app.commit?.message}>
        <span class="line1">
          <code>{shortSha(app.revision)}</code> {app.commit ? firstLine(app.commit.message) : ''}
        </span>
        {app.commit && (
          <span class="line2 muted">
            {app.commit.author} · {age(app.commit.time, now)} ago
          </span>
        )}
      </td>
      <td>
        {op ? (
          <span title={op.message}>
            {op.kind} <Status value={op.phase} /> <span class="muted">{age(op.finishedAt ?? op.startedAt, now)} ago</span>
          </span>
        ) : (
          <span class="muted">none</span>
        )}
      </td>
      <td>
        <AppBadges app={app} />
      </td>
    </tr>
  );
}
