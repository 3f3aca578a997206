import { useEffect, useState } from 'react';
import { errorText } from '../api.js';
import { useToast } from '../components/Toasts.js';
import { formatContactAddress, formatDateTime } from '../format.js';
import { Link, navigate } from '../router.js';
import type { ExternalLookup } from '../apiTypes.js';
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

/** Time on the interaction; in wrap-up, the time left to complete the record. */
function Timer({ i }: { i: Interaction }) {
  const now = useNow();
  if (i.state === 'closed') return <span className="timer">closed</span>;
  if (i.state === 'wrap_up' && i.wrapUpUntil) {
    const left = Math.max(0, (new Date(i.wrapUpUntil).getTime() - now) / 1000);
    return (
      <span className="timer wrapup" role="timer" aria-label={`Wrap-up: ${mmss(left)} left`}>
        wrap-up {mmss(left)}
      </span>
    );
  }
  const since = Math.max(0, (now - new Date(i.startedAt).getTime()) / 1000);
  return (
    <span className="timer" role="timer" aria-label={`On this ${i.channel} for ${mmss(since)}`}>
      {i.state === 'ringing' ? 'ringing ' : ''}
      {mmss(since)}
    </span>
  );
}

function MatchView({ m }: { m: InteractionMatch }) {
  return (
    <div className="pop-match">
      <h4>
        <Link to={`/customers/${m.customerId}`}>{m.displayName}</Link>
        {m.vip && <span className="badge vip">VIP</span>}
        {m.draft && <span className="badge draft">Draft</span>}
      </h4>
      <p className="muted">
        Account {m.accountNumber}
        {m.company ? ` · ${m.company}` : ''}
      </p>
      {m.matchedCase && (
        <p>
          About case{' '}
          <Link to={`/cases/${m.matchedCase.id}`}>
            {m.matchedCase.caseNumber}: <bdi>{m.matchedCase.subject}</bdi>
          </Link>
        </p>
      )}
      {m.openCasesCount !== null && (
        <>
          <h5>Open cases ({m.openCasesCount})</h5>
          {m.openCases.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              {m.openCases.map((c) => (
                <li key={c.id}>
                  <Link to={`/cases/${c.id}`}>
                    {c.caseNumber}: <bdi>{c.subject}</bdi>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {m.recentInteractions.length > 0 && (
        <>
          <h5>Recent interactions</h5>
          <ul>
            {m.recentInteractions.map((r) => (
              <li key={r.id}>
                {r.channel} {r.direction} · {formatDateTime(r.startedAt)}
                {r.disposition ? ` · ${r.disposition.replace(/_/g, ' ')}` : ''}
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
  const who = i.direction === 'outbound' ? i.to : i.from;
  const shownWho = who ? formatContactAddress(who) : null;
  const own = i.customerId ? matches.find((m) => m.customerId === i.customerId) : undefined;

  const associate = async (customerId: string) => {
    try {
      onChange(await associateInteraction(i.id, { customerId }));
      toast({ text: 'Interaction linked to the customer', kind: 'success' });
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };

  const createPrefilled = () => {
    const q = new URLSearchParams({ interaction: i.id });
    if (who && i.channel === 'email') q.set('email', who);
    else if (who && i.channel === 'phone') q.set('phone', who);
    navigate(`/customers/new?${q.toString()}`);
  };

  const title = `${i.direction === 'outbound' ? 'Outgoing' : 'Incoming'} ${i.channel}${
    who ? ` ${i.direction === 'outbound' ? 'to' : 'from'} ${shownWho}` : ''
  }`;
  return (
    <article className={`pop ${i.customerId ? 'found' : i.result}`} aria-label={title} data-interaction={i.id}>
      <header>
        <h3>{title}</h3>
        <Timer i={i} />
        <button type="button" className="icon" aria-label={`Close the panel of the ${i.channel}`} onClick={onClose}>
          ×
        </button>
      </header>
      {i.customerId ? (
        own ? (
          <MatchView m={own} />
        ) : (
          <p>
            <Link to={`/customers/${i.customerId}`}>Open the customer</Link>
          </p>
        )
      ) : i.result === 'multiple' && matches.length > 0 ? (
        <div className="pop-multiple">
          <p>
            <strong>{matches.length} customers match.</strong> Choose the caller:
          </p>
          <ul>
            {matches.map((m) => (
              <li key={m.customerId}>
                <Link to={`/customers/${m.customerId}`}>{m.displayName}</Link> ({m.accountNumber}){' '}
                <button type="button" onClick={() => void associate(m.customerId)}>
                  Link to {m.displayName}
                </button>
              </li>
            ))}
          </ul>
          <PopSearch onPick={(id) => void associate(id)} />
        </div>
      ) : (
        <div className="pop-notfound">
          <p>
            <strong>
              No customer matches <bdi>{shownWho ?? 'this interaction'}</bdi>.
            </strong>
          </p>
          {(i.drafts ?? []).length > 0 && (
            <div className="pop-drafts">
              <ul>
                {(i.drafts ?? []).map((d) => (
                  <li key={d.customerId} data-draft={d.customerId}>
                    <span className="badge draft">Possible match (draft)</span>{' '}
                    <Link to={`/customers/${d.customerId}`}>{d.displayName}</Link> ({d.accountNumber}){' '}
                    <button type="button" onClick={() => void associate(d.customerId)}>
                      Link to {d.displayName}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <ExternalView external={i.external} />
          <button type="button" className="primary" onClick={createPrefilled}>
            Create customer
          </button>
          <PopSearch onPick={(id) => void associate(id)} />
        </div>
      )}
      {/* Not found locally: shown above, next to "Create customer". */}
      {(i.customerId || (i.result === 'multiple' && matches.length > 0)) && <ExternalView external={i.external} />}
      <WrapUp interaction={i} onChange={onChange} />
    </article>
  );
}

/** A link the external CRM gave, followed only when it is a web address (never `javascript:` and the like). */
const webLink = (url: string | null): string | null => (url && /^https?:\/\//i.test(url) ? url : null);

/**
 * What external CRMs answered for the caller (the lookup order, Admin → Integrations): their
 * records, linked into the CRM, and each source that did not answer in time or failed, so the
 * agent knows the pop is from Switchboard's own data alone.
 */
function ExternalView({ external }: { external: ExternalLookup | undefined }) {
  if (!external) return null;
  const trouble = external.sources.filter((s) => s.status !== 'ok');
  if (external.matches.length === 0 && trouble.length === 0) return null;
  return (
    <section className="pop-external" aria-label="External CRM">
      {external.matches.length > 0 && (
        <ul>
          {external.matches.map((m) => {
            const href = webLink(m.url);
            const details = [m.company, m.email, m.phones[0], m.accountNumber].filter((d): d is string => !!d);
            return (
              <li key={`${m.connectorId}:${m.externalId}`} data-external={m.externalId}>
                <span className="badge">In {m.system}</span>{' '}
                {href ? (
                  <a href={href} target="_blank" rel="noopener noreferrer">
                    {m.displayName}
                  </a>
                ) : (
                  <strong>{m.displayName}</strong>
                )}
                {details.length > 0 && <span className="muted"> · {details.join(' · ')}</span>}
              </li>
            );
          })}
        </ul>
      )}
      {trouble.map((s) => (
        <p key={s.connectorId} className="muted" role="status">
          {s.status === 'timeout'
            ? `${s.system} did not answer within ${s.latencyMs} ms: shown from Switchboard's own data.`
            : `${s.system} could not be asked${s.error ? ` (${s.error})` : ''}: shown from Switchboard's own data.`}
        </p>
      ))}
    </section>
  );
}
