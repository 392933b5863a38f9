import type { AppSummary } from '../api-types.ts';
import { rolloutActive } from '../api-types.ts';
import { shortSha } from '../format.ts';

/** A status word with its colour class; the word itself carries the meaning (not colour alone). */
export function Status({ value, title }: { value: string; title?: string | undefined }) {
  return (
    <span class={`status status-${value.toLowerCase()}`} title={title}>
      {value}
    </span>
  );
}

export function AppBadges({ app }: { app: AppSummary }) {
  const badges: { key: string; text: string; title: string }[] = [];
  if (app.autoSync) badges.push({ key: 'auto', text: 'auto-sync', title: 'syncs by itself when Git moves' });
  if (app.pinned) {
    const by = app.pinned.by ? ` by ${app.pinned.by}` : '';
    badges.push({ key: 'pinned', text: `pinned ${shortSha(app.pinned.revision)}`, title: `pinned${by} since ${app.pinned.since}: auto-sync will not move it until a newer commit lands or it is unpinned` });
  }
  if (app.badRevisions.length > 0) {
    badges.push({ key: 'bad', text: `bad revision ${shortSha(app.badRevisions[app.badRevisions.length - 1])}`, title: `auto-sync will not apply again: ${app.badRevisions.map(shortSha).join(', ')}` });
  }
  if (app.rollout && rolloutActive(app)) {
    badges.push({ key: 'rollout', text: `rollout ${app.rollout.step}/${app.rollout.steps}`, title: app.rollout.message });
  }
  return (
    <span class="badges">
      {badges.map((b) => (
        <span key={b.key} class={`badge badge-${b.key}`} title={b.title}>
          {b.text}
        </span>
      ))}
    </span>
  );
}
