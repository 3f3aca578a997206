import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { call, errorText, formatDate, PortalError, type Page, type PortalCase, type PortalFollowUp } from './api.js';
import { Input } from './account.js';
import { FaqSuggestions } from './faqs.js';
import { go, Link, useFocusHeading } from './nav.js';

interface ScreenProps {
  onSignedOut: () => void;
}

/** Loads with `fn`; a 401 means the session ended. */
function useLoad<T>(fn: () => Promise<T>, onSignedOut: () => void) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const reload = useCallback(async () => {
    try {
      setData(await fn());
      setError(null);
    } catch (err) {
      if (err instanceof PortalError && err.status === 401) onSignedOut();
      else if (err instanceof PortalError && err.status === 404) setNotFound(true);
      else setError(errorText(err));
    }
  }, [fn, onSignedOut]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, setData, error, notFound, reload };
}

function Status({ c }: { c: PortalCase }) {
  return <span className={`status ${c.isOpen ? 'open' : 'closed'}`}>{c.isOpen ? 'Open' : 'Closed'}</span>;
}

export function CaseList({ onSignedOut }: ScreenProps) {
  const heading = useFocusHeading<HTMLHeadingElement>('list');
  const load = useCallback(() => call<Page<PortalCase>>('GET', '/api/portal/cases?limit=50'), []);
  const { data, setData, error } = useLoad(load, onSignedOut);
  const more = async () => {
    if (!data?.nextCursor) return;
    const next = await call<Page<PortalCase>>(
      'GET',
      `/api/portal/cases?limit=50&cursor=${encodeURIComponent(data.nextCursor)}`,
    );
    setData({ items: [...data.items, ...next.items], nextCursor: next.nextCursor });
  };
  return (
    <section aria-labelledby="cases-title">
      <div className="toolbar">
        <h1 id="cases-title" tabIndex={-1} ref={heading}>
          My cases
        </h1>
        <Link to="/portal/new" className="button primary">
          Open a new case
        </Link>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!data && !error && <p role="status">Loading…</p>}
      {data && data.items.length === 0 && <p>You have no cases yet.</p>}
      {data && data.items.length > 0 && (
        <ul className="cases" aria-label="My cases">
          {data.items.map((c) => (
            <li key={c.id}>
              <Link to={`/portal/cases/${c.id}`}>
                <span className="number">#{c.caseNumber}</span> {c.subject}
              </Link>
              <span className="meta">
                <Status c={c} /> · updated <time dateTime={c.updatedAt}>{formatDate(c.updatedAt)}</time>
              </span>
            </li>
          ))}
        </ul>
      )}
      {data?.nextCursor && (
        <button type="button" onClick={() => void more()}>
          More cases
        </button>
      )}
    </section>
  );
}

function FollowUpItem({ f }: { f: PortalFollowUp }) {
  const who = f.fromMe ? 'You' : f.author.type === 'customer' ? f.author.name : `${f.author.name} (Support)`;
  return (
    <li className={f.fromMe ? 'mine' : 'theirs'}>
      <div className="meta">
        <strong>{who}</strong> · <time dateTime={f.createdAt}>{formatDate(f.createdAt)}</time>
        {f.kind === 'email' && <span className="badge">email</span>}
      </div>
      {f.email?.subject && <div className="subject">{f.email.subject}</div>}
      <div className="body">{f.body}</div>
      {f.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {f.attachments.map((a) => (
            <li key={a.id}>
              <a href={a.url} download={a.filename}>
                {a.filename}
              </a>{' '}
              <span className="muted">({Math.max(1, Math.round(a.size / 1024))} KB)</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

export function CaseView({ id, onSignedOut }: ScreenProps & { id: string }) {
  const heading = useFocusHeading<HTMLHeadingElement>(`case:${id}`);
  const loadCase = useCallback(() => call<PortalCase>('GET', `/api/portal/cases/${encodeURIComponent(id)}`), [id]);
  const loadFollowUps = useCallback(
    () => call<Page<PortalFollowUp>>('GET', `/api/portal/cases/${encodeURIComponent(id)}/follow-ups?limit=200`),
    [id],
  );
  const c = useLoad(loadCase, onSignedOut);
  const fus = useLoad(loadFollowUps, onSignedOut);
  const [reply, setReply] = useState('');
  const [sending, setSending] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [replyError, setReplyError] = useState<string | null>(null);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!reply.trim()) {
      setReplyError('Write your reply first.');
      return;
    }
    setSending(true);
    setReplyError(null);
    try {
      const r = await call<{ followUp: PortalFollowUp; case: PortalCase }>(
        'POST',
        `/api/portal/cases/${encodeURIComponent(id)}/replies`,
        { body: reply },
      );
      setReply('');
      c.setData(r.case);
      setNote(r.case.isOpen && c.data && !c.data.isOpen ? 'Reply sent. The case is open again.' : 'Reply sent.');
      await fus.reload();
    } catch (err) {
      if (err instanceof PortalError && err.status === 401) onSignedOut();
      else setReplyError(errorText(err));
    } finally {
      setSending(false);
    }
  };

  if (c.notFound) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>
          Case not found
        </h1>
        <p>
          <Link to="/portal">Back to my cases</Link>
        </p>
      </section>
    );
  }
  if (!c.data) return <p role="status">{c.error ?? 'Loading…'}</p>;
  const kase = c.data;
  return (
    <section aria-labelledby="case-title">
      <p>
        <Link to="/portal">← My cases</Link>
      </p>
      <h1 id="case-title" tabIndex={-1} ref={heading}>
        #{kase.caseNumber} {kase.subject}
      </h1>
      <p className="meta">
        <Status c={kase} /> · opened <time dateTime={kase.openedAt}>{formatDate(kase.openedAt)}</time>
      </p>
      {kase.description && <div className="description">{kase.description}</div>}
      <h2>Messages</h2>
      {fus.error && (
        <p className="error" role="alert">
          {fus.error}
        </p>
      )}
      {fus.data && fus.data.items.length === 0 && <p>No messages yet.</p>}
      <ol className="thread" aria-label="Messages">
        {fus.data?.items.map((f) => (
          <FollowUpItem key={f.id} f={f} />
        ))}
      </ol>
      <form onSubmit={send} aria-label="Reply" className="reply">
        <div className="field">
          <label htmlFor="reply">Your reply</label>
          <textarea
            id="reply"
            rows={5}
            value={reply}
            onChange={(e) => setReply(e.target.value)}
            aria-invalid={replyError ? true : undefined}
            aria-describedby={replyError ? 'reply-error' : undefined}
          />
          {replyError && (
            <span id="reply-error" className="field-error" role="alert">
              {replyError}
            </span>
          )}
        </div>
        <button type="submit" className="primary" disabled={sending}>
          {sending ? 'Sending…' : 'Send reply'}
        </button>
        <p role="status" className="ok">
          {note}
        </p>
      </form>
    </section>
  );
}

export function NewCase({ onSignedOut }: ScreenProps) {
  const heading = useFocusHeading<HTMLHeadingElement>('new');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!subject.trim()) missing.subject = 'Give your case a subject.';
    if (!body.trim()) missing.body = 'Tell us what happened.';
    setErrors(missing);
    if (Object.keys(missing).length) return;
    setBusy(true);
    setError(null);
    try {
      const c = await call<PortalCase>('POST', '/api/portal/cases', { subject, body });
      go(`/portal/cases/${c.id}`);
    } catch (err) {
      if (err instanceof PortalError && err.status === 401) onSignedOut();
      else if (err instanceof PortalError && err.errors.length) {
        setErrors(Object.fromEntries(err.errors.map((x) => [x.field, x.message])));
      } else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="new-title">
      <p>
        <Link to="/portal">← My cases</Link>
      </p>
      <h1 id="new-title" tabIndex={-1} ref={heading}>
        Open a new case
      </h1>
      <form onSubmit={submit} aria-label="Open a new case" noValidate>
        <Input
          id="subject"
          label="Subject"
          maxLength={500}
          value={subject}
          error={errors.subject}
          onChange={(e) => setSubject(e.target.value)}
        />
        <FaqSuggestions subject={subject} />
        <div className="field">
          <label htmlFor="body">What happened?</label>
          <textarea
            id="body"
            rows={8}
            value={body}
            onChange={(e) => setBody(e.target.value)}
            aria-invalid={errors.body ? true : undefined}
            aria-describedby={errors.body ? 'body-error' : undefined}
          />
          {errors.body && (
            <span id="body-error" className="field-error">
              {errors.body}
            </span>
          )}
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Opening…' : 'Open case'}
        </button>
      </form>
    </section>
  );
}
