import { useEffect, useState } from 'preact/hooks';
import { mayOperate, rolloutActive, type AppDetail, type AppOperation, type AppSummary, type HistoryEntry, type ResourceNode } from '../api-types.ts';
import { useEnv, useNow, useStoreVersion } from '../context.ts';
import { age, firstLine, shortSha } from '../format.ts';
import { AppBadges, Status } from './badges.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { DiffPanel } from './DiffPanel.tsx';
import { HistoryPanel, rollbackConsequences } from './HistoryPanel.tsx';
import { ResourceTree } from './ResourceTree.tsx';
import { FailureReason, RolloutPanel } from './RolloutPanel.tsx';

type Outcome = { ok: true; message: string } | { ok: false; message: string };

export function AppPage({ name }: { name: string }) {
  const { client, store, session } = useEnv();
  useStoreVersion(store);
  const now = useNow(5000);
  const [detail, setDetail] = useState<AppDetail | undefined>(undefined);
  const [tree, setTree] = useState<ResourceNode[]>([]);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [confirm, setConfirm] = useState<HistoryEntry | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [reopened, setReopened] = useState(0);

  // The live summary from the event stream wins over the detail read once.
  const app: AppSummary | undefined = store.apps.get(name) ?? detail;
  const historyKey = app ? `${app.lastOperation?.id}/${app.lastOperation?.phase}/${app.pinned?.revision}/${app.rollout?.phase}/${app.rollout?.step}` : '';

  useEffect(() => {
    const failed = (e: Error) => setError(e.message);
    client.app(name).then(setDetail, failed);
    client.resources(name).then(setTree, failed);
    const offTree = store.onTree((app, items) => app === name && setTree(items));
    const offOpen = store.onOpen(() => setReopened((n) => n + 1));
    return () => {
      offTree();
      offOpen();
    };
  }, [name]);
  useEffect(() => {
    if (reopened > 0) client.resources(name).then(setTree, () => undefined);
  }, [reopened]);
  useEffect(() => {
    client.history(name).then(setHistory, (e: Error) => setError(e.message));
  }, [name, historyKey, reopened]);

  if (!app) return <main id="main" tabIndex={-1}>{error ? <p role="alert">Could not load {name}: {error}</p> : <p>Loading {name}…</p>}</main>;

  const canOperate = mayOperate(session.role);
  const operate = (operation: AppOperation, body?: object) => {
    setOutcome(undefined);
    client.operate(name, operation, body).then(
      (answer) => setOutcome({ ok: true, message: answer.message }),
      (e: Error) => setOutcome({ ok: false, message: e.message }),
    );
  };
  const pinTarget = app.syncedRevision ?? app.revision;

  return (
    <main id="main" tabIndex={-1}>
      <p>
        <a href="#/">← Applications</a>
      </p>
      <h1>{app.name}</h1>
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
      {canOperate && (
        <div class="actions" role="toolbar" aria-label="Operations">
          <button type="button" onClick={() => operate('refresh')}>
            Refresh
          </button>
          <button type="button" onClick={() => operate('sync')}>
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
      )}
      <p role="status" class={outcome && !outcome.ok ? 'error' : 'muted'}>
        {outcome ? (outcome.ok ? outcome.message : `Refused: ${outcome.message}`) : ''}
      </p>
      {error && <p role="alert">{error}</p>}
      <FailureReason app={app} />
      {app.rollout && <RolloutPanel rollout={app.rollout} />}
      <div class="columns">
        <ResourceTree app={app.name} health={app.health} healthMessage={app.healthMessage} items={tree} onDiff={setSelected} />
        <DiffPanel app={app.name} selected={selected} onSelect={setSelected} changed={`${app.comparedAt}/${app.sync}/${reopened}`} />
      </div>
      <HistoryPanel entries={history} now={now} canOperate={canOperate} onRollback={setConfirm} />
      {confirm && (
        <ConfirmDialog
          title={`Roll back ${app.name} to ${shortSha(confirm.revision)}?`}
          confirmLabel="Roll back"
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            setConfirm(undefined);
            operate('rollback', { to: confirm.id });
          }}
        >
          {rollbackConsequences(app, confirm).map((line) => (
            <p>{line}</p>
          ))}
        </ConfirmDialog>
      )}
    </main>
  );
}
