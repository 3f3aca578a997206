import { useState, type FormEvent } from 'react';
import { ApiError, errorText, request, setCsrfToken } from '../api.js';
import { Field } from '../components/Field.js';
import type { Me } from '../types.js';

/** The email + password form, used by the sign-in page and the "session ended" dialog. */
export function SignInForm({ onSignedIn, email: initialEmail = '' }: { onSignedIn: (me: Me) => void; email?: string }) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await request<Me>('POST', '/api/v1/auth/login', { body: { email, password }, noReauth: true });
      setCsrfToken(me.csrfToken);
      setPassword('');
      onSignedIn(me);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="signin-form" aria-label="Sign in">
      <Field
        label="Email"
        type="email"
        name="email"
        autoComplete="username"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        autoFocus={!initialEmail}
      />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        autoFocus={Boolean(initialEmail)}
      />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

export function SignInPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  return (
    <main className="signin-page">
      <div className="signin-card">
        <h1>Switchboard</h1>
        <p className="muted">Agent Console — sign in to continue.</p>
        <SignInForm onSignedIn={onSignedIn} />
      </div>
    </main>
  );
}
