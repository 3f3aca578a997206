import { useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { call, errorText, PortalError, type Me } from './api.js';
import { Link, useFocusHeading } from './nav.js';

/** A labelled input: the label names it for screen readers, the error is tied to it. */
export function Input({
  id,
  label,
  error,
  ...rest
}: { id: string; label: string; error?: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...rest}
      />
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useFocusHeading<HTMLHeadingElement>('signin');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await call<Me>('POST', '/api/portal/login', { login, password }));
    } catch (err) {
      setPassword('');
      if (err instanceof PortalError && err.status === 401) setError('Wrong account number, email or password.');
      else if (err instanceof PortalError && err.status === 429) setError('Too many attempts. ' + err.message);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title" tabIndex={-1} ref={heading}>
        Sign in
      </h1>
      <p className="muted">Follow your support cases and write to us.</p>
      <form onSubmit={submit} aria-label="Sign in">
        <Input
          id="login"
          label="Account number or email"
          autoComplete="username"
          required
          value={login}
          onChange={(e) => setLogin(e.target.value)}
        />
        <Input
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
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
      <p>
        <Link to="/portal/forgot">Forgot your password?</Link>
      </p>
    </section>
  );
}

export function ForgotPassword() {
  const [login, setLogin] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useFocusHeading<HTMLHeadingElement>('forgot');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await call('POST', '/api/portal/password-reset', { login });
      setSent(true);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="card narrow" aria-labelledby="forgot-title">
      <h1 id="forgot-title" tabIndex={-1} ref={heading}>
        Reset your password
      </h1>
      {sent ? (
        <p role="status">
          If that account has access to the Support Center, we have sent a link to its email address. The link works
          once, for an hour.
        </p>
      ) : (
        <form onSubmit={submit} aria-label="Reset your password">
          <Input
            id="reset-login"
            label="Account number or email"
            autoComplete="username"
            required
            value={login}
            onChange={(e) => setLogin(e.target.value)}
          />
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary">
            Email me a link
          </button>
        </form>
      )}
      <p>
        <Link to="/portal">Back to sign in</Link>
      </p>
    </section>
  );
}

export function ResetPassword() {
  const token = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useFocusHeading<HTMLHeadingElement>('reset');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (password !== repeat) {
      setError('The two passwords are not the same.');
      return;
    }
    try {
      await call('POST', '/api/portal/password-reset/confirm', { token, password });
      // The token is spent: keep it out of the address bar and the history.
      window.history.replaceState(null, '', '/portal/reset');
      setDone(true);
    } catch (err) {
      const e2 = err instanceof PortalError ? err.errors.find((x) => x.field === 'password') : undefined;
      setError(e2 ? `Password ${e2.message}` : errorText(err));
    }
  };

  return (
    <section className="card narrow" aria-labelledby="newpw-title">
      <h1 id="newpw-title" tabIndex={-1} ref={heading}>
        Choose a new password
      </h1>
      {done ? (
        <p role="status">
          Your password is changed. <Link to="/portal">Sign in</Link>
        </p>
      ) : !token ? (
        <p className="error" role="alert">
          This link has no reset code. <Link to="/portal/forgot">Ask for a new link</Link>.
        </p>
      ) : (
        <form onSubmit={submit} aria-label="Choose a new password">
          <Input
            id="new-password"
            label="New password (at least 8 characters)"
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <Input
            id="repeat-password"
            label="New password again"
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
          />
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary">
            Set password
          </button>
        </form>
      )}
    </section>
  );
}
