import { useState, type FormEvent } from 'react';
import { ApiError, errorText, fieldErrors, request, setCsrfToken } from '../api.js';
import { Field } from '../components/Field.js';
import type { Me } from '../apiTypes.js';

type LoginAnswer = Me | { secondFactorRequired: true; methods: string[] };

/**
 * The email + password form, used by the sign-in page and the "session ended"
 * dialog; with two-factor sign-in on, a second step asks for the code of the
 * authenticator app (or a recovery code).
 */
export function SignInForm({ onSignedIn, email: initialEmail = '' }: { onSignedIn: (me: Me) => void; email?: string }) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState<'password' | 'code' | 'recovery'>('password');
  const [code, setCode] = useState('');

  const done = (me: Me) => {
    setCsrfToken(me.csrfToken);
    setPassword('');
    setCode('');
    setStep('password');
    onSignedIn(me);
  };

  const submitPassword = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await request<LoginAnswer>('POST', '/api/v1/auth/login', {
        body: { email, password },
        noReauth: true,
      });
      if ('secondFactorRequired' in answer) {
        setPassword('');
        setStep('code');
      } else done(answer);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = step === 'code' ? { code: code.replace(/\s+/g, '') } : { recoveryCode: code.trim() };
      done(await request<Me>('POST', '/api/v1/auth/login/second-factor', { body, noReauth: true }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        // The challenge expired or took too many codes: back to the password.
        setStep('password');
        setCode('');
      }
      const fields = fieldErrors(err);
      setError(fields.code ?? fields.recoveryCode ?? errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (step !== 'password') {
    return (
      <form onSubmit={submitCode} className="signin-form" aria-label="Two-factor sign-in">
        {step === 'code' ? (
          <Field
            label="Code from your authenticator app"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]{6,7}"
            maxLength={7}
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
            autoFocus
          />
        ) : (
          <Field
            label="Recovery code"
            name="recoveryCode"
            autoComplete="off"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
            hint="Each recovery code works once."
            autoFocus
          />
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
        <p>
          <button
            type="button"
            className="link"
            onClick={() => {
              setStep(step === 'code' ? 'recovery' : 'code');
              setCode('');
              setError(null);
            }}
          >
            {step === 'code' ? 'Use a recovery code instead' : 'Use the authenticator app instead'}
          </button>
        </p>
      </form>
    );
  }

  return (
    <form onSubmit={submitPassword} className="signin-form" aria-label="Sign in">
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
        <p>
          <a href="/forgot-password">Forgot your password?</a>
        </p>
      </div>
    </main>
  );
}

/** "Forgot password": the same answer whether or not the address has an account. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await request('POST', '/api/v1/auth/password-reset', { body: { email }, noReauth: true });
      setSent(true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin-page">
      <div className="signin-card">
        <h1>Reset your password</h1>
        {sent ? (
          <p role="status">
            If {email} belongs to an account, we have sent it a link to choose a new password. The link works once, for
            30 minutes.
          </p>
        ) : (
          <form onSubmit={submit} className="signin-form" aria-label="Reset password">
            <p className="muted">We will email you a link to choose a new password.</p>
            <Field
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoFocus
            />
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              Email me a link
            </button>
          </form>
        )}
        <p>
          <a href="/">Back to sign-in</a>
        </p>
      </div>
    </main>
  );
}

/** The page of the emailed link: /reset-password#token=… (the token stays out of logs and referrers). */
export function ResetPasswordPage() {
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) {
      setErrors({ again: 'The two passwords differ.' });
      return;
    }
    setBusy(true);
    setErrors({});
    setMessage(null);
    try {
      await request('POST', '/api/v1/auth/password-reset/confirm', { body: { token, password }, noReauth: true });
      window.history.replaceState(null, '', '/reset-password');
      setDone(true);
    } catch (err) {
      const f = fieldErrors(err);
      setErrors(f);
      setMessage(f.token ?? (f.password ? null : errorText(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin-page">
      <div className="signin-card">
        <h1>Choose a new password</h1>
        {done ? (
          <p role="status">
            Your password is changed and every session you had is signed out. <a href="/">Sign in</a> with the new one.
          </p>
        ) : !token ? (
          <p role="alert">
            This link is incomplete. <a href="/forgot-password">Ask for a new one</a>.
          </p>
        ) : (
          <form onSubmit={submit} className="signin-form" aria-label="Set a new password">
            <Field
              label="New password"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              maxLength={128}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={errors.password}
              hint="8 to 128 characters. Several words are easy to remember and hard to guess."
              autoFocus
            />
            <Field
              label="New password again"
              type="password"
              autoComplete="new-password"
              required
              value={again}
              onChange={(e) => setAgain(e.target.value)}
              error={errors.again}
            />
            {message && (
              <p className="error" role="alert">
                {message} {errors.token && <a href="/forgot-password">Ask for a new link</a>}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              Set the new password
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
