import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, errorText, request, setCsrfToken, setReauthHandler } from './api.js';
import { Dialog } from './components/Dialog.js';
import { ToastProvider } from './components/Toasts.js';
import { SessionContext, type Session } from './session.js';
import { Shell } from './Shell.js';
import { ForgotPasswordPage, ResetPasswordPage, SignInForm, SignInPage } from './screens/SignIn.js';
import { TwoFactorPanel } from './screens/Account.js';
import type { Me, Privilege } from './apiTypes.js';

/** Forgets what this tab kept (unsaved drafts, list state) when the user signs out. */
function clearTabStorage(): void {
  try {
    for (const k of Object.keys(window.sessionStorage)) if (k.startsWith('sb:')) window.sessionStorage.removeItem(k);
  } catch {
    // ignore
  }
}

export function App() {
  return (
    <ToastProvider>
      <Root />
    </ToastProvider>
  );
}

function Root() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reauthOpen, setReauthOpen] = useState(false);
  const resolveReauth = useRef<(() => void) | null>(null);
  const meRef = useRef<Me | null | undefined>(undefined);
  meRef.current = me;

  useEffect(() => {
    request<Me>('GET', '/api/v1/me', { noReauth: true }).then(
      (m) => {
        setCsrfToken(m.csrfToken);
        setMe(m);
      },
      (err) => {
        if (err instanceof ApiError && err.status === 401) setMe(null);
        else setLoadError(errorText(err));
      },
    );
  }, []);

  // A 401 anywhere opens the sign-in dialog over the current screen; the request then retries.
  useEffect(() => {
    setReauthHandler(
      () =>
        new Promise<void>((resolve) => {
          resolveReauth.current = resolve;
          setReauthOpen(true);
        }),
    );
    return () => setReauthHandler(null);
  }, []);

  const onReauthed = useCallback((m: Me) => {
    if (meRef.current && meRef.current.id !== m.id) {
      // Someone else signed in on this tab: nothing of the previous user's screen may stay.
      clearTabStorage();
      window.location.assign('/');
      return;
    }
    setMe(m);
    setReauthOpen(false);
    resolveReauth.current?.();
    resolveReauth.current = null;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await request('POST', '/api/v1/auth/logout', { noReauth: true });
    } catch {
      // already signed out: fine
    }
    clearTabStorage();
    setCsrfToken(null);
    setMe(null);
    window.history.replaceState(null, '', '/');
  }, []);

  const session = useMemo<Session | null>(
    () => (me ? { me, can: (p: Privilege) => me.privileges.includes(p), signOut } : null),
    [me, signOut],
  );

  if (loadError) {
    return (
      <main className="signin-page">
        <p role="alert">The server cannot be reached: {loadError}</p>
        <button type="button" onClick={() => window.location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  // The emailed reset link works whether or not someone is signed in on this browser.
  if (window.location.pathname === '/reset-password') return <ResetPasswordPage />;
  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null || !session) {
    if (window.location.pathname === '/forgot-password') return <ForgotPasswordPage />;
    return <SignInPage onSignedIn={setMe} />;
  }
  if (me.twoFactorEnrolmentRequired) {
    // The role requires two-factor sign-in: nothing else opens until it is set up.
    return (
      <SessionContext.Provider value={session}>
        <main className="signin-page">
          <div className="signin-card wide">
            <h1>Set up two-factor sign-in</h1>
            <p>
              Your role requires a second step at sign-in. It takes a minute, with an authenticator app on your phone.
            </p>
            <TwoFactorPanel
              onEnabled={() =>
                void request<Me>('GET', '/api/v1/me').then((m) => {
                  setCsrfToken(m.csrfToken);
                  setMe(m);
                })
              }
            />
            <p>
              <button type="button" className="link" onClick={() => void signOut()}>
                Sign out
              </button>
            </p>
          </div>
        </main>
      </SessionContext.Provider>
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <Shell />
      <Dialog open={reauthOpen} title="Your session has ended" onClose={() => {}} dismissable={false}>
        <p>Sign in again to continue. Nothing you typed is lost.</p>
        <SignInForm email={me.email} onSignedIn={onReauthed} />
        <p>
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out instead
          </button>
        </p>
      </Dialog>
    </SessionContext.Provider>
  );
}
