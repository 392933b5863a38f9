import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Session } from './api-types.ts';
import type { ApiClient } from './client.ts';
import type { AppStore } from './store.ts';

export interface Env {
  client: ApiClient;
  store: AppStore;
  session: Session;
}

export const EnvContext = createContext<Env | undefined>(undefined);

export function useEnv(): Env {
  const env = useContext(EnvContext);
  if (env === undefined) throw new Error('useEnv outside a signed-in view');
  return env;
}

/** Re-renders on every store change; returns the store's version to memoise on. */
export function useStoreVersion(store: AppStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    setVersion(store.version);
    return store.subscribe(() => setVersion(store.version));
  }, [store]);
  return version;
}

/** The current time, moving every `everyMs` (for ages and hold timers). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
