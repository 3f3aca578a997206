import { useEffect, useState, type FormEvent } from 'react';
import { api, errorText, fieldErrors } from '../api.js';
import { Field, FormErrors } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import type { SessionInfo } from '../apiTypes.js';
import { chooseTheme, currentTheme, syncThemeFromPreferences, type Theme } from '../theme.js';

interface TwoFactorStatus {
  enabled: boolean;
  required: boolean;
  recoveryCodesLeft: number;
}

interface Setup {
  secret: string;
  otpauthUri: string;
  qrCode: string;
}

export type { SessionInfo };

/** "My account": appearance, change my password, two-factor sign-in, my sessions. */
export function AccountScreen() {
  return (
    <section className="screen account">
      <div className="screen-head">
        <h1 tabIndex={-1}>My account</h1>
      </div>
      <AppearancePanel />
      <section className="panel" aria-labelledby="canned-head">
        <h2 id="canned-head">Canned replies</h2>
        <p>
          Your own reply templates, and the shared ones: <Link to="/canned-replies">Canned replies</Link>.
        </p>
      </section>
      <PasswordPanel />
      <TwoFactorPanel />
      <SessionsPanel />
    </section>
  );
}

const THEMES: { value: Theme; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** The colour theme: the system's setting, or always light, or always dark (web/src/theme.ts). */
function AppearancePanel() {
  const toast = useToast();
  const [theme, setTheme] = useState<Theme>(currentTheme);
  useEffect(() => {
    let live = true;
    syncThemeFromPreferences().then(
      (t) => live && setTheme(t),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  const pick = (t: Theme) => {
    setTheme(t);
    chooseTheme(t).catch((err) => toast({ text: `The theme was not saved: ${errorText(err)}`, kind: 'error' }));
  };
  return (
    <form className="panel" aria-labelledby="theme-head" onSubmit={(e) => e.preventDefault()}>
      <h2 id="theme-head">Appearance</h2>
      <fieldset>
        <legend>Theme</legend>
        {THEMES.map((t) => (
          <label key={t.value} className="check">
            <input
              type="radio"
              name="theme"
              value={t.value}
              checked={theme === t.value}
              onChange={() => pick(t.value)}
            />
            {t.label}
          </label>
        ))}
      </fieldset>
      <p className="hint">System follows your device&apos;s light or dark setting.</p>
    </form>
  );
}

function PasswordPanel() {
  const { signOut } = useSession();
  const [v, setV] = useState({ current: '', next: '', again: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (v.next !== v.again) {
      setErrors({ again: 'The two passwords differ.' });
      return;
    }
    try {
      await api.post('/api/v1/me/password', { currentPassword: v.current, newPassword: v.next });
      // Every session ends with a new password, this one too.
      await signOut();
    } catch (err) {
      const f = fieldErrors(err);
      setErrors({ current: f.currentPassword, next: f.newPassword });
      setMessage(f.currentPassword || f.newPassword ? null : errorText(err));
    }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="pw-head">
      <h2 id="pw-head">Password</h2>
      <Field
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        value={v.current}
        onChange={(e) => setV({ ...v, current: e.target.value })}
        error={errors.current}
      />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        maxLength={128}
        value={v.next}
        onChange={(e) => setV({ ...v, next: e.target.value })}
        error={errors.next}
        hint="8 to 128 characters; common or easily guessed passwords are refused."
      />
      <Field
        label="New password again"
        type="password"
        autoComplete="new-password"
        required
        value={v.again}
        onChange={(e) => setV({ ...v, again: e.target.value })}
        error={errors.again}
      />
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary">
          Change password
        </button>
        <span className="hint">You will sign in again on every device.</span>
      </div>
    </form>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="note" role="status">
      <p>
        <strong>Recovery codes.</strong> Keep them somewhere safe, away from your phone: each signs you in once if the
        phone is lost. They are shown only now.
      </p>
      <ul className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => void navigator.clipboard?.writeText(codes.join('\n'))}>
        Copy
      </button>{' '}
      <button type="button" className="primary" onClick={onDone}>
        I have saved them
      </button>
    </div>
  );
}

/** Two-factor sign-in: set up with a QR code, confirm with a code, recovery codes, turn off. */
export function TwoFactorPanel({ onEnabled }: { onEnabled?: () => void }) {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) => api.get<TwoFactorStatus>('/api/v1/me/two-factor', undefined, signal),
    [],
  );
  const [setup, setSetup] = useState<Setup | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();

  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading…</p>;

  const start = async () => {
    try {
      setSetup(await api.post<Setup>('/api/v1/me/two-factor/setup'));
      setCode('');
      setFieldError(undefined);
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await api.post<{ recoveryCodes: string[] }>('/api/v1/me/two-factor/confirm', {
        code: code.replace(/\s+/g, ''),
      });
      setSetup(null);
      setCodes(r.recoveryCodes);
      reload();
    } catch (err) {
      setFieldError(fieldErrors(err).code ?? errorText(err));
    }
  };
  const withPassword = async (action: 'disable' | 'recovery-codes') => {
    try {
      const r = await api.post<{ recoveryCodes?: string[] }>(`/api/v1/me/two-factor/${action}`, { password });
      setPassword('');
      setFieldError(undefined);
      if (r?.recoveryCodes) setCodes(r.recoveryCodes);
      else toast({ text: 'Two-factor sign-in is off', kind: 'success' });
      reload();
    } catch (err) {
      setFieldError(fieldErrors(err).password ?? errorText(err));
    }
  };

  return (
    <div className="panel" aria-labelledby="tf-head" role="region">
      <h2 id="tf-head">Two-factor sign-in</h2>
      {codes ? (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            onEnabled?.();
          }}
        />
      ) : data.enabled ? (
        <>
          <p>
            <strong>On.</strong> Signing in asks for a code from your authenticator app. {data.recoveryCodesLeft}{' '}
            recovery codes left.
          </p>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void withPassword('recovery-codes');
            }}
          >
            <Field
              label="Your password (to change two-factor settings)"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={fieldError}
            />
            <div className="actions">
              <button type="submit">New recovery codes</button>
              {!data.required && (
                <button type="button" className="danger" onClick={() => void withPassword('disable')}>
                  Turn off
                </button>
              )}
            </div>
          </form>
          {data.required && <p className="hint">Your role requires two-factor sign-in: it cannot be turned off.</p>}
        </>
      ) : setup ? (
        <form onSubmit={confirm} aria-label="Set up two-factor sign-in">
          <ol className="steps">
            <li>
              Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, …):
              <div>
                <img
                  src={setup.qrCode}
                  alt="QR code for your authenticator app"
                  className="qr"
                  width={200}
                  height={200}
                />
              </div>
              <details>
                <summary>Cannot scan? Type this key instead</summary>
                <code data-testid="totp-secret" className="secret">
                  {setup.secret}
                </code>
              </details>
            </li>
            <li>
              <Field
                label="Type the 6-digit code the app shows"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                maxLength={7}
                value={code}
                onChange={(e) => setCode(e.target.value)}
                error={fieldError}
              />
            </li>
          </ol>
          <div className="actions">
            <button type="submit" className="primary">
              Turn on
            </button>
            <button type="button" onClick={() => setSetup(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <p>
            <strong>Off.</strong> With two-factor sign-in, a stolen password is not enough to sign in as you: signing in
            also asks for a code from an app on your phone.
          </p>
          {data.required && <p className="note">Your role requires it: set it up to continue.</p>}
          <button type="button" className="primary" onClick={() => void start()}>
            Set up two-factor sign-in
          </button>
        </>
      )}
    </div>
  );
}

/** My sessions: where I am signed in; end one, or all the others. */
function SessionsPanel() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) => api.get<{ items: SessionInfo[] }>('/api/v1/me/sessions', undefined, signal),
    [],
  );
  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading sessions…</p>;
  const end = async (s: SessionInfo) => {
    try {
      await api.del(`/api/v1/me/sessions/${s.id}`);
      toast({ text: `Signed out ${s.device}`, kind: 'success' });
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
    reload();
  };
  const endOthers = async () => {
    try {
      const r = await api.post<{ revoked: number }>('/api/v1/me/sessions/revoke-others');
      toast({ text: `Signed out ${r.revoked} other session${r.revoked === 1 ? '' : 's'}`, kind: 'success' });
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
    reload();
  };
  return (
    <div className="panel" role="region" aria-labelledby="sess-head">
      <div className="toolbar">
        <h2 id="sess-head">Where you are signed in</h2>
        {data.items.length > 1 && (
          <button type="button" onClick={() => void endOthers()}>
            Sign out all other sessions
          </button>
        )}
      </div>
      <SessionsTable items={data.items} onEnd={(s) => void end(s)} />
    </div>
  );
}

export function SessionsTable({ items, onEnd }: { items: SessionInfo[]; onEnd?: (s: SessionInfo) => void }) {
  return (
    <div className="table-wrap">
      <table className="list">
        <caption className="sr-only">Sessions</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Address</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last seen</th>
            {onEnd && (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.id}>
              <td data-label="Device" title={s.userAgent ?? ''}>
                {s.device}
                {s.current && <strong> (this session)</strong>}
              </td>
              <td data-label="Address">{s.ip ?? '—'}</td>
              <td data-label="Signed in">{formatDateTime(s.createdAt)}</td>
              <td data-label="Last seen">{formatDateTime(s.lastSeenAt)}</td>
              {onEnd && (
                <td>
                  {!s.current && (
                    <button type="button" onClick={() => onEnd(s)} aria-label={`Sign out ${s.device}, ${s.ip ?? ''}`}>
                      Sign out
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
