import { useEffect, useState } from 'react';
import { errorText } from '../api.js';
import { useToast } from '../components/Toasts.js';
import { formatDateTime } from '../format.js';
import { Link, navigate } from '../router.js';
import { associateInteraction, type Interaction, type InteractionMatch } from './interactionsApi.js';
import { PopSearch } from './PopSearch.js';
import { WrapUp } from './WrapUp.js';

function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

function Timer({ i }: { i: Interaction }) {
  const now = useNow();
  const start = new Date(i.startedAt ?? i.createdAt ?? now).getTime();
  if (i.closedAt || i.state === 'closed' || i.status === 'closed') return <span className="timer">closed</span>;
  if (i.wrapUpUntil) {
    const left = Math.max(0, (new Date(i.wrapUpUntil).getTime() - now) / 1000);
    return (
      <span className="timer wrapup" role="timer" aria-label="Wrap-up time left">
        wrap-up {mmss(left)} left
      </span>
    );
  }
  return (
    <span className="timer" role="timer" aria-label="Time on this interaction">
      {mmss(Math.max(0, (now - start) / 1000))}
    </span>
  );
}

function MatchView({ m }: { m: InteractionMatch }) {
  const id = m.customerId ?? m.id;
  return (
    <div className="pop-match">
      <h4>
        <Link to={`/customers/${id}`}>{m.displayName ?? 'Customer'}</Link>
        {m.vip && <span className="badge vip">VIP</span>}
      </h4>
      <p className="muted">Account {m.accountNumber}</p>
      {m.openCases && m.openCases.length > 0 ? (
        <>
          <h5>Open cases ({m.openCasesCount ?? m.openCases.length})</h5>
          <ul>
            {m.openCases.map((c) => (
              <li key={c.id}>
                <Link to={`/cases/${c.id}`}>
                  {c.caseNumber}: {c.subject}
                </Link>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">No open cases.</p>
      )}
      {m.recentInteractions && m.recentInteractions.length > 0 && (
        <>
          <h5>Recent interactions</h5>
          <ul>
            {m.recentInteractions.map((r) => (
              <li key={r.id}>
                {r.channel} {r.direction} · {formatDateTime(r.startedAt ?? r.createdAt)}
                {r.notes ? ` — ${r.notes}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

export function PopCard({
  interaction: i,
  onChange,
  onClose,
}: {
  interaction: Interaction;
  onChange: (i: Interaction) => void;
  onClose: () => void;
}) {
  const toast = useToast();
  const matches = i.matches ?? [];
  const result = i.customerId
    ? 'found'
    : (i.result ?? (matches.length > 1 ? 'multiple' : matches.length === 1 ? 'found' : 'not_found'));
  const who = i.direction === 'outbound' ? i.to : i.from;
  const associated = i.customerId ? (matches.find((m) => (m.customerId ?? m.id) === i.customerId) ?? null) : null;

  const associate = async (customerId: string) => {
    try {
      const updated = await associateInteraction(i.id, { customerId });
      onChange({ ...updated, matches: i.matches, result: 'found' });
      toast({ text: 'Interaction linked to the customer', kind: 'success' });
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };

  const createPrefilled = () => {
    const q = new URLSearchParams({ interaction: i.id });
    if (who && i.channel === 'email') q.set('email', who);
    else if (who) q.set('phone', who);
    navigate(`/customers/new?${q.toString()}`);
  };

  return (
    <article className={`pop ${result}`} aria-label={`${i.channel} from ${who ?? 'unknown'}`} data-interaction={i.id}>
      <header>
        <h3>
          {i.direction === 'outbound' ? 'Outgoing' : 'Incoming'} {i.channel}
          {who ? ` ${i.direction === 'outbound' ? 'to' : 'from'} ${who}` : ''}
        </h3>
        <Timer i={i} />
        <button type="button" className="icon" aria-label="Close this interaction panel" onClick={onClose}>
          ×
        </button>
      </header>
      {i.caseNumber && <p className="muted">About case {String(i.caseNumber)}</p>}
      {result === 'found' && (associated ?? matches[0]) && <MatchView m={(associated ?? matches[0])!} />}
      {result === 'found' && i.customerId && !associated && matches.length === 0 && (
        <p>
          <Link to={`/customers/${i.customerId}`}>Open the customer</Link>
        </p>
      )}
      {result === 'multiple' && !i.customerId && (
        <div className="pop-multiple">
          <p>
            <strong>{matches.length} customers match.</strong> Choose one:
          </p>
          <ul>
            {matches.map((m) => (
              <li key={m.customerId ?? m.id}>
                <Link to={`/customers/${m.customerId ?? m.id}`}>{m.displayName}</Link> ({m.accountNumber}){' '}
                <button type="button" onClick={() => void associate(String(m.customerId ?? m.id))}>
                  This is the caller
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {result === 'not_found' && !i.customerId && (
        <div className="pop-notfound">
          <p>
            <strong>No customer matches {who ?? 'this interaction'}.</strong>
          </p>
          <button type="button" className="primary" onClick={createPrefilled}>
            Create customer
          </button>
          <PopSearch onPick={(id) => void associate(id)} />
        </div>
      )}
      <WrapUp interaction={i} onChange={onChange} />
    </article>
  );
}
