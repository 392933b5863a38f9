import { useState } from 'preact/hooks';

export function SignIn({ error, onToken }: { error: string | undefined; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <main id="main" tabIndex={-1} class="signin">
      <h1>Sign in to Sluice</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim() !== '') onToken(value.trim());
        }}
      >
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" required value={value} onInput={(e) => setValue(e.currentTarget.value)} aria-describedby={error ? 'signin-error' : undefined} />
        <button type="submit" class="primary">
          Sign in
        </button>
        {error && (
          <p id="signin-error" role="alert" class="error">
            {error}
          </p>
        )}
      </form>
      <p class="muted">The token is kept for this browser tab only.</p>
    </main>
  );
}
