import { useEnv, useNow, useStoreVersion } from '../context.ts';

/** The event stream's state: quiet while live, loud while it is down. */
export function ConnectionBanner() {
  const { store } = useEnv();
  useStoreVersion(store);
  const now = useNow(500);
  const live = store.live;
  if (live.kind === 'live') {
    return (
      <span class="conn conn-live" role="status">
        live
      </span>
    );
  }
  if (live.kind === 'retrying') {
    const seconds = Math.max(0, Math.ceil((live.retryAt - now) / 1000));
    return (
      <span class="conn conn-down" role="status" title={live.reason}>
        disconnected, retrying{seconds > 0 ? ` in ${seconds}s` : '…'}
      </span>
    );
  }
  return (
    <span class="conn" role="status">
      connecting…
    </span>
  );
}
