import { useEffect, useState } from 'preact/hooks';
import { mayOperate, type AppDetail, type AppSummary, type HistoryEntry, type ResourceNode } from '../api-types.ts';
import { useEnv, useNow, useStoreVersion } from '../context.ts';
import { shortSha } from '../format.ts';
import { rollbackConsequences } from '../rollback.ts';
import { AppSummaryView, Operations, type Operate } from './AppHeader.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { DiffPanel } from './DiffPanel.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { ResourceTree } from './ResourceTree.tsx';
import { FailureReason, RolloutPanel } from './RolloutPanel.tsx';

type Outcome = { ok: true; message: string } | { ok: false; message: string };

/** The app's detail, tree and history, kept current by the store's events and reloaded when the stream reopens. */
function useAppData(name: string) {
  const { client, store } = useEnv();
  useStoreVersion(store);
  const [detail, setDetail] = useState<AppDetail | undefined>(undefined);
  const [tree, setTree] = useState<ResourceNode[]>([]);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [reopened, setReopened] = useState(0);

  // The live summary from the event stream wins over the detail read once.
  const live = store.apps.get(name);
  const app: AppSummary | undefined = live ?? detail;
  const deleted = store.loaded && live === undefined && detail !== undefined;
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
  return { app, deleted, tree, history, error, reopened };
}

export function AppPage({ name }: { name: string }) {
  const { client, session } = useEnv();
  const now = useNow(5000);
  const { app, deleted, tree, history, error, reopened } = useAppData(name);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [confirm, setConfirm] = useState<HistoryEntry | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);

  if (!app) return <main id="main" tabIndex={-1}>{error ? <p role="alert">Could not load {name}: {error}</p> : <p>Loading {name}…</p>}</main>;

  const canOperate = mayOperate(session.role);
  const operate: Operate = (operation, body) => {
    setOutcome(undefined);
    client.operate(name, operation, body).then(
      (answer) => setOutcome({ ok: true, message: answer.message }),
      (e: Error) => setOutcome({ ok: false, message: e.message }),
    );
  };
  return (
    <main id="main" tabIndex={-1}>
      <p>
        <a href="#/">← Applications</a>
      </p>
      <h1>{app.name}</h1>
      {deleted && <p role="alert">This application no longer exists; what is shown is its last known state.</p>}
      <AppSummaryView app={app} now={now} />
      {canOperate && <Operations app={app} operate={operate} />}
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
