import type { AppSummary, RolloutProgress, WorkloadProgress } from '../api-types.ts';
import { rolloutActive } from '../api-types.ts';
import { useNow } from '../context.ts';
import { remaining, shortSha } from '../format.ts';
import { Status } from './badges.tsx';

export function RolloutPanel({ rollout }: { rollout: RolloutProgress }) {
  const now = useNow(1000);
  const from = rollout.fromRevision ? ` from ${shortSha(rollout.fromRevision)}` : '';
  return (
    <section aria-labelledby="rollout-heading" class="panel">
      <h2 id="rollout-heading">
        Rollout of {shortSha(rollout.revision)}
        {from} <Status value={rollout.phase} />
      </h2>
      <p class="step">
        Step <strong data-testid="rollout-step">{rollout.step}</strong> of {rollout.steps}
      </p>
      <progress max={rollout.steps} value={rollout.step} aria-label={`step ${rollout.step} of ${rollout.steps}`} />
      <p>{rollout.message}</p>
      {rollout.beforeWave !== undefined && <p>Wave {rollout.beforeWave} of the sync waits for this rollout.</p>}
      {rollout.workloads.map((w) => (
        <Workload key={`${w.kind}/${w.namespace}/${w.name}`} workload={w} now={now} />
      ))}
    </section>
  );
}

function Workload({ workload: w, now }: { workload: WorkloadProgress; now: number }) {
  const hold = remaining(w.holdUntil, now);
  const id = `wl-${w.namespace}-${w.name}`;
  return (
    <div class="workload" data-workload={w.name}>
      <h3 id={id}>
        {w.kind} {w.namespace}/{w.name}
      </h3>
      <dl class="counts" aria-labelledby={id}>
        <Count label="updated" value={w.updated} desired={w.desired} target={w.stepTarget} />
        <Count label="ready" value={w.ready} desired={w.desired} />
        <Count label="available" value={w.available} desired={w.desired} />
      </dl>
      <p class="muted">
        This step aims for {w.stepTarget} of {w.desired} pods on the new revision; bounds: up to {w.maxSurge} extra, at most {w.maxUnavailable} unavailable
        {hold ? (
          <>
            ; holding <span data-testid="hold">{hold}</span> more before the next step
          </>
        ) : (
          ''
        )}
        .
      </p>
      {w.message && <p>{w.message}</p>}
    </div>
  );
}

function Count({ label, value, desired, target }: { label: string; value: number; desired: number; target?: number }) {
  return (
    <div class="count-row">
      <dt>{label}</dt>
      <dd>
        <meter min={0} max={Math.max(desired, 1)} value={value} aria-label={`${label} ${value} of ${desired}`} />
        <span data-count={label}>
          {value}/{desired}
        </span>
        {target !== undefined && <span class="muted"> (step target {target})</span>}
      </dd>
    </div>
  );
}

/**
 * Why the app failed or was rolled back, in plain words, with the failing pod's last state;
 * nothing when all is well.
 */
export function FailureReason({ app }: { app: AppSummary }) {
  const op = app.lastOperation;
  const rollout = app.rollout;
  const failedRollout = rollout && !rolloutActive(app) && ['Failed', 'RolledBack', 'Aborted'].includes(rollout.phase);
  const rollingBack = rollout?.phase === 'RollingBack';
  const failedOp = op && ['Failed', 'Error', 'RolledBack'].includes(op.phase);
  if (!failedRollout && !rollingBack && !failedOp && app.health !== 'Degraded') return null;
  const pods = (rollout?.workloads ?? []).flatMap((w) => (w.failingPod ? [{ workload: w, pod: w.failingPod }] : []));
  return (
    <section class="panel alert" role="alert" aria-labelledby="failure-heading">
      <h2 id="failure-heading">{rollingBack ? 'Rolling back' : failedRollout || op?.phase === 'RolledBack' ? 'Rolled back' : 'Something is wrong'}</h2>
      {rollout && (failedRollout || rollingBack) && <p>{rollout.message}</p>}
      {failedOp && op.message !== rollout?.message && <p>{op.message}</p>}
      {!failedRollout && !rollingBack && !failedOp && app.healthMessage && <p>{app.healthMessage}</p>}
      {pods.map(({ workload, pod }) => (
        <p key={pod.name} class="pod">
          Pod <code>{pod.name}</code> of {workload.kind} {workload.name}: {pod.reason}, restarted {pod.restarts} {pod.restarts === 1 ? 'time' : 'times'}
          {pod.lastState ? `; last state: ${pod.lastState}` : ''}
        </p>
      ))}
    </section>
  );
}
