import { useEffect, useState, type ReactNode } from 'react';
import { Link, match, navigate, useLocation } from './router.js';
import { displayName, useSession } from './session.js';
import { live, type LiveStatus } from './live.js';
import { useToast } from './components/Toasts.js';
import { MailRelayBanner } from './components/MailRelayBanner.js';
import { GlobalSearch } from './components/GlobalSearch.js';
import { forgetFieldDefs } from './customFields.js';
import { syncThemeFromPreferences } from './theme.js';
import { Reminders } from './screens/Reminders.js';
import { ScreenPopPanel } from './screens/ScreenPop.js';
import { CustomersScreen } from './screens/Customers.js';
import { NewCustomerScreen } from './screens/CustomerNew.js';
import { CustomerRecord } from './screens/CustomerRecord.js';
import { CasesScreen } from './screens/Cases.js';
import { CaseView } from './screens/CaseView.js';
import { TasksScreen } from './screens/Tasks.js';
import { AdminScreen } from './screens/Admin.js';
import { AccountScreen } from './screens/Account.js';
import { CannedRepliesScreen } from './screens/CannedReplies.js';
import { RecordsScreen, ReportsScreen } from './screens/Reports.js';
import { WallboardScreen } from './screens/Wallboard.js';
import { DownloadsScreen } from './screens/Downloads.js';
import { MyWorkScreen } from './screens/MyWork.js';
import { InboxScreen } from './screens/Inbox.js';
import { NotificationBell } from './components/NotificationBell.js';

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/** `n` opens New Customer (when not typing in a field); `/`, `g …` and `?` are GlobalSearch's. */
function useShortcuts(canCreateCustomer: boolean): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      if (e.key === 'n' && canCreateCustomer) {
        e.preventDefault();
        navigate('/customers/new');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canCreateCustomer]);
}

function useLive(): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>(live.status);
  useEffect(() => {
    const off = live.onStatus(setStatus);
    live.start();
    return () => {
      off();
      live.stop();
    };
  }, []);
  return status;
}

function Routes({ path }: { path: string }): ReactNode {
  const { can } = useSession();
  let m: Record<string, string> | null;
  // My work is the home screen: where an agent lands after signing in.
  if (path === '/' || path === '') return <MyWorkScreen />;
  if (path === '/inbox') return <InboxScreen />;
  if (path === '/customers') return <CustomersScreen />;
  if (path === '/customers/new') return <NewCustomerScreen />;
  if ((m = match('/customers/:id', path))) return <CustomerRecord key={m.id} id={m.id} />;
  if (path === '/cases') return <CasesScreen />;
  if ((m = match('/cases/:id', path))) return <CaseView key={m.id} id={m.id} />;
  if (path === '/tasks') return <TasksScreen />;
  if (path === '/admin' || path.startsWith('/admin/')) return <AdminScreen path={path} />;
  if (path === '/account') return <AccountScreen />;
  if (path === '/canned-replies') return <CannedRepliesScreen />;
  if (path === '/downloads' && can('data.export')) return <DownloadsScreen />;
  if (path === '/reports' && can('reports.view')) return <ReportsScreen />;
  if (path === '/reports/records') return <RecordsScreen />;
  if (path === '/wallboard' && can('reports.view')) return <WallboardScreen />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <Link to="/customers">Go to customers</Link>.
      </p>
    </section>
  );
}

export function Shell() {
  const { me, can, signOut } = useSession();
  const loc = useLocation();
  const status = useLive();
  const toast = useToast();
  const [menuOpen, setMenuOpen] = useState(false);
  useShortcuts(can('customers.create'));

  useEffect(
    () =>
      live.on(['case.assigned', 'task.assigned'], (e) => {
        if (e.type === 'case.assigned') {
          toast({
            text: `Case ${e.caseNumber} was assigned to you${e.subject ? `: ${e.subject}` : ''}`,
            link: e.recordId ? { to: `/cases/${e.recordId}`, label: 'Open case' } : undefined,
          });
        } else {
          toast({
            text: `Task assigned to you${e.by ? ` by ${e.by}` : ''}: ${e.subject}`,
            link: { to: '/tasks', label: 'My tasks' },
          });
        }
      }),
    [toast],
  );
  // The theme saved on the server (perhaps chosen in another browser) applies here too.
  useEffect(() => {
    syncThemeFromPreferences().catch(() => undefined);
  }, []);
  // An administrator changed custom fields: forms load the definitions afresh.
  useEffect(() => live.on(['customField.created', 'customField.updated', 'customField.deleted'], forgetFieldDefs), []);

  // Screen changes close the mobile menu and move focus to the new screen's heading.
  useEffect(() => {
    setMenuOpen(false);
    const t = setTimeout(() => {
      const active = document.activeElement;
      if (active && active !== document.body && !active.closest('nav')) return;
      document.querySelector<HTMLElement>('main h1')?.focus();
    }, 0);
    return () => clearTimeout(t);
  }, [loc.path]);

  const tabs = [
    { to: '/', label: 'My work', show: true },
    { to: '/customers', label: 'Customers', show: can('customers.view') },
    { to: '/cases', label: 'Cases', show: can('cases.view') },
    { to: '/tasks', label: 'Tasks', show: can('tasks.view') },
    { to: '/admin', label: 'Admin', show: can('admin') },
    { to: '/reports', label: 'Reports', show: can('reports.view') },
    { to: '/wallboard', label: 'Wallboard', show: can('reports.view') },
    { to: '/downloads', label: 'My downloads', show: can('data.export') },
    { to: '/account', label: 'My account', show: true },
  ].filter((t) => t.show);

  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Switchboard
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="primary-nav" aria-label="Main" className={menuOpen ? 'open' : ''}>
          <ul>
            {tabs.map((t) => (
              <li key={t.to}>
                <Link
                  to={t.to}
                  aria-current={(t.to === '/' ? loc.path === '/' : loc.path.startsWith(t.to)) ? 'page' : undefined}
                >
                  {t.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <GlobalSearch />
        <div className="me">
          <span className={`live ${status}`} title={`Live updates: ${status}`} data-live={status}>
            <span className="dot" aria-hidden="true" />
            <span className="sr-only">Live updates: </span>
            {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline'}
          </span>
          <NotificationBell />
          <span className="who">{displayName(me)}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <MailRelayBanner />
      <div className="workspace">
        <main id="main" tabIndex={-1}>
          <Routes path={loc.path} />
        </main>
        <ScreenPopPanel />
      </div>
      <Reminders />
    </div>
  );
}
