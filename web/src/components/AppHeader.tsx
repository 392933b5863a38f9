import type { AppOperation, AppSummary } from '../api-types.ts';
import { rolloutActive } from '../api-types.ts';
import { age, firstLine, shortSha } from '../format.ts';
import { AppBadges, Status } from './badges.tsx';

export type Operate = (operation: AppOperation, body?: object) => void;

/** Status, badges, revision and commit, source and the last operation of one app. */
export function AppSummaryView({ app, now }: { app: AppSummary; now: number }) {
  return (
    <div class="summary">
      <Status value={app.sync} /> <Status value={app.health} title={app.healthMessage} /> <AppBadges app={app} />
      <p>
        Revision <code title={app.revision}>{shortSha(app.revision)}</code>
        {app.commit && (
          <>
            {' '}
            “{firstLine(app.commit.message)}” by {app.commit.author}, {age(app.commit.time, now)} ago
          </>
        )}
        {app.syncedRevision && app.syncedRevision !== app.revision && <> · last synced {shortSha(app.syncedRevision)}</>}
        <span class="muted">
          {' '}
          · {app.source.repoURL} {app.source.path} @ {app.source.targetRevision} → {app.destination.namespace}
        </span>
      </p>
      {app.lastOperation && (
        <p>
          Last operation: {app.lastOperation.kind} ({app.lastOperation.trigger}) <Status value={app.lastOperation.phase} /> {app.lastOperation.message}
        </p>
      )}
    </div>
  );
}

/** The operations an operator may start; viewers never get this group. */
export function Operations({ app, operate }: { app: AppSummary; operate: Operate }) {
  const pinTarget = app.syncedRevision ?? app.revision;
  return (
    <div class="actions" role="group" aria-label="Operations">
      <button type="button" onClick={() => operate('refresh')}>
        Refresh
      </button>
      <button type="button" onClick={() => operate('sync', {})}>
        Sync
      </button>
      {app.pinned ? (
        <button type="button" onClick={() => operate('unpin')}>
          Unpin
        </button>
      ) : (
        pinTarget && (
          <button type="button" onClick={() => operate('pin', { revision: pinTarget })}>
            Pin {shortSha(pinTarget)}
          </button>
        )
      )}
      {rolloutActive(app) && (
        <>
          <button type="button" onClick={() => operate('rollout/promote')}>
            Promote
          </button>
          <button type="button" onClick={() => operate('rollout/abort')}>
            Abort
          </button>
        </>
      )}
    </div>
  );
}
