/**
 * Asks for an API token when the server needs one (its `me.role` is null without one), and shows
 * who the dashboard acts as once it has one. The token lives in the tab's session storage.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { token } from '../auth';
import { graphql } from '../graphql';

const MeQuery = graphql(`
  query Me {
    me {
      name
      role
      authenticated
    }
  }
`);

function signIn(value: string) {
  token.set(value);
  // Every connection (HTTP, WebSocket, SSE) starts again with the token.
  location.reload();
}

export function signOut() {
  token.clear();
  location.reload();
}

function TokenForm({ problem }: { problem?: string }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) signIn(value);
  };
  return (
    <section className="token-gate" aria-labelledby="token-gate-title">
      <h1 id="token-gate-title">SyncBridge needs an API token</h1>
      <p>
        This server requires a token. Ask an admin for one (<code>syncbridge token create &lt;name&gt; --role viewer</code>); it stays in this tab only.
      </p>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <form onSubmit={submit}>
        <label>
          API token <input type="password" autoComplete="off" value={value} onChange={(event) => setValue(event.target.value)} autoFocus />
        </label>
        <button type="submit" disabled={!value.trim()}>
          Sign in
        </button>
      </form>
    </section>
  );
}

/** Renders the dashboard once the caller may read; else the token form. */
export function TokenGate({ children }: { children: (me: { name: string; role: string; authenticated: boolean }) => ReactNode }) {
  const [{ data, error, fetching }] = useQuery({ query: MeQuery });
  // Whether this page load came with a stored token (a 401 then means that token was refused).
  const [sentToken] = useState(() => token.get() !== null);
  const refused = error?.response?.status === 401;
  useEffect(() => {
    if (refused) token.clear();
  }, [refused]);
  if (fetching && !data) return <p className="loading">Connecting…</p>;
  if (error && !data) {
    return <TokenForm problem={refused && sentToken ? 'That token was not accepted; check it and sign in again.' : refused ? undefined : error.message} />;
  }
  const me = data?.me;
  if (!me?.role) return <TokenForm />;
  return <>{children({ name: me.name, role: me.role, authenticated: me.authenticated })}</>;
}
