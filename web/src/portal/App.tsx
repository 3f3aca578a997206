import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { go, Link, usePath } from './nav.js';
import { call, setCsrfToken, type Me } from './api.js';
import { CaseList, CaseView, NewCase } from './cases.js';
import { ForgotPassword, ResetPassword, SignIn } from './account.js';
import { FaqArticleView, FaqHome } from './faqs.js';

// ---------------------------------------------------------------- the app

type Session = { state: 'loading' } | { state: 'out' } | { state: 'in'; me: Me };

export function PortalApp() {
  const path = usePath();
  const [session, setSession] = useState<Session>({ state: 'loading' });

  const load = useCallback(async () => {
    try {
      const me = await call<Me>('GET', '/api/portal/me');
      setCsrfToken(me.csrfToken);
      setSession({ state: 'in', me });
    } catch {
      setCsrfToken(null);
      setSession({ state: 'out' });
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const signedIn = (me: Me) => {
    setCsrfToken(me.csrfToken);
    setSession({ state: 'in', me });
    go('/portal', true);
  };
  const signOut = async () => {
    await call('POST', '/api/portal/logout').catch(() => undefined);
    setCsrfToken(null);
    setSession({ state: 'out' });
    go('/portal', true);
  };
  /** A 401 from any screen: the session ended (expired, access withdrawn). */
  const onSignedOut = () => {
    setCsrfToken(null);
    setSession({ state: 'out' });
  };

  if (path === '/portal/forgot') return <Frame>{<ForgotPassword />}</Frame>;
  // The FAQ is open to everybody, signed in or not.
  const faqMatch = /^\/portal\/faq(?:\/([^/]+))?$/.exec(path);
  if (faqMatch) {
    const me = session.state === 'in' ? session.me.customer : null;
    return (
      <Frame
        user={me?.displayName}
        account={me?.accountNumber}
        onSignOut={() => void signOut()}
        signedOut={session.state === 'out'}
      >
        {faqMatch[1] ? <FaqArticleView id={decodeURIComponent(faqMatch[1])} /> : <FaqHome />}
      </Frame>
    );
  }
  if (path === '/portal/reset') return <Frame>{<ResetPassword />}</Frame>;
  if (session.state === 'loading') {
    return (
      <Frame>
        <p role="status">Loading…</p>
      </Frame>
    );
  }
  if (session.state === 'out') {
    return (
      <Frame signedOut>
        <SignIn onSignedIn={signedIn} />
      </Frame>
    );
  }
  const caseMatch = /^\/portal\/cases\/([^/]+)$/.exec(path);
  let screen;
  if (path === '/portal/new') screen = <NewCase onSignedOut={onSignedOut} />;
  else if (caseMatch) screen = <CaseView id={decodeURIComponent(caseMatch[1])} onSignedOut={onSignedOut} />;
  else screen = <CaseList onSignedOut={onSignedOut} />;
  return (
    <Frame
      user={session.me.customer.displayName}
      account={session.me.customer.accountNumber}
      onSignOut={() => void signOut()}
    >
      {screen}
    </Frame>
  );
}

function Frame({
  children,
  user,
  account,
  onSignOut,
  signedOut = false,
}: {
  children: ReactNode;
  user?: string;
  account?: string;
  onSignOut?: () => void;
  /** Known to be signed out: the bar offers signing in. */
  signedOut?: boolean;
}) {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="bar">
        <Link to="/portal" className="brand">
          Support Center
        </Link>
        <nav aria-label="Support Center" className="sections">
          <Link to="/portal/faq">FAQ</Link>
          {user && <Link to="/portal">My cases</Link>}
          {signedOut && <Link to="/portal">Sign in</Link>}
        </nav>
        {user && (
          <nav aria-label="Account" className="account">
            <span>
              {user} <span className="muted">· account {account}</span>
            </span>
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}
