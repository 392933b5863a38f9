import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Session } from './api-types.ts';
import { ApiClient, ApiError } from './client.ts';
import { AppPage } from './components/AppPage.tsx';
import { AppsPage } from './components/AppsPage.tsx';
import { ConnectionBanner } from './components/ConnectionBanner.tsx';
import { SignIn } from './components/SignIn.tsx';
import { EnvContext, type Env } from './context.ts';
import { AppStore } from './store.ts';
import './styles.css';

/** sessionStorage: the token lives as long as the tab, not beyond */
const TOKEN_KEY = 'sluice.token';

type Route = { page: 'apps' } | { page: 'app'; name: string };

function parseRoute(hash: string): Route {
  const match = /^#\/apps\/([^/?]+)/.exec(hash);
  return match?.[1] ? { page: 'app', name: decodeURIComponent(match[1]) } : { page: 'apps' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

function Root() {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [signInError, setSignInError] = useState<string | undefined>(undefined);
  const client = useMemo(() => (token === '' ? undefined : new ApiClient(token)), [token]);
  // The stream and the list load while the session is checked: one round trip less to the list.
  const store = useMemo(() => (client ? new AppStore(client) : undefined), [client]);

  const signOut = (reason?: string) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setSession(undefined);
    setToken('');
    setSignInError(reason);
  };

  useEffect(() => {
    if (!client || !store) return;
    store.start(() => signOut('That token was not accepted.'));
    client.session().then(
      (s) => {
        sessionStorage.setItem(TOKEN_KEY, client.token);
        setSignInError(undefined);
        setSession(s);
      },
      (e: Error) => signOut(e instanceof ApiError && e.status === 401 ? 'That token was not accepted.' : `Could not reach the API: ${e.message}`),
    );
    return () => store.stop();
  }, [client, store]);

  if (!client || !store) return <SignIn error={signInError} onToken={setToken} />;
  if (!session) return <p class="loading">Signing in…</p>;
  return <SignedIn client={client} store={store} session={session} onSignOut={() => signOut()} />;
}

function SignedIn({ client, store, session, onSignOut }: { client: ApiClient; store: AppStore; session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const env: Env = useMemo(() => ({ client, session, store }), [client, store, session]);
  return (
    <EnvContext.Provider value={env}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a href="#/" class="brand">
          Sluice
        </a>
        <ConnectionBanner />
        <span class="who">
          {session.name} ({session.role})
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      {route.page === 'app' ? <AppPage key={route.name} name={route.name} /> : <AppsPage />}
    </EnvContext.Provider>
  );
}

render(<Root />, document.getElementById('root')!);
