import { useEffect, useState } from 'react';
import { api, errorText } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { formatDateTime } from '../format.js';
import { live } from '../live.js';
import type { Delivery, FollowUp } from '../apiTypes.js';

interface EmailDetails {
  subject: string | null;
  text: string | null;
  html: string | null;
  remoteImagesBlocked: boolean;
  attachments: {
    id: string;
    filename: string;
    contentType: string;
    size: number;
    omitted: boolean;
    url: string | null;
  }[];
  delivery: Delivery | null;
}

const list = (v: string[] | undefined) => (v ?? []).join(', ');
const kb = (n: number) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`;

/**
 * An email follow-up: its headers (From, To, CC, BCC, subject), the message
 * (sanitised HTML shown in a sandboxed frame, or text), attachments, delivery of
 * a reply, and "view source".
 */
export function EmailMessage({ f }: { f: FollowUp }) {
  const e = f.email!;
  const [details, setDetails] = useState<EmailDetails | null>(null);
  const [open, setOpen] = useState(false);
  const [source, setSource] = useState<string | null>(null);
  const [sourceOpen, setSourceOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/v1/cases/${f.caseId}/follow-ups/${f.id}`;
  // A reply's delivery, shown on the timeline when it is not on its way (no relay, failed).
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const outbound = f.direction === 'outbound';

  useEffect(() => {
    if (!outbound) return;
    const ctl = new AbortController();
    api.get<Delivery>(`${base}/delivery`, undefined, ctl.signal).then(setDelivery, () => {
      // No outbox row (an imported or copied message): nothing to say about its delivery.
    });
    return () => ctl.abort();
  }, [base, outbound]);

  // A reply's delivery moves on (sent, retried, failed) while its details are open.
  useEffect(
    () =>
      live.on('email.delivery', (e) => {
        if (e.followUpId !== f.id) return;
        setDelivery(e.delivery);
        setDetails((d) => (d ? { ...d, delivery: e.delivery } : d));
      }),
    [f.id],
  );
  const notSent = delivery?.notSentReason
    ? `Not sent: ${delivery.notSentReason}`
    : delivery?.status === 'failed'
      ? `Not sent: delivery failed${delivery.lastError ? ` (${delivery.lastError})` : ''}`
      : null;

  const show = async (remoteImages: 'block' | 'show' = 'block') => {
    setOpen(true);
    try {
      setDetails(await api.get<EmailDetails>(`${base}/email`, { remoteImages }));
    } catch (err) {
      setError(errorText(err));
    }
  };
  const viewSource = async () => {
    setSourceOpen(true);
    try {
      const res = await fetch(`${base}/source`, { credentials: 'same-origin' });
      setSource(res.ok ? await res.text() : `The source is not available (${res.status}).`);
    } catch (err) {
      setSource(errorText(err));
    }
  };

  return (
    <div className="email-headers">
      {e.unverifiedSender && (
        <p className="unverified-sender" role="note">
          <span className="badge warn">Unverified sender</span> This message came from an address that is neither the
          case's customer nor already on the thread. It was kept internal: check who sent it before replying or making
          any of it public.
        </p>
      )}
      <dl>
        {e.from && (
          <div>
            <dt>From</dt>
            <dd>{e.from}</dd>
          </div>
        )}
        {(e.to?.length ?? 0) > 0 && (
          <div>
            <dt>To</dt>
            <dd>{list(e.to)}</dd>
          </div>
        )}
        {(e.cc?.length ?? 0) > 0 && (
          <div>
            <dt>CC</dt>
            <dd>{list(e.cc)}</dd>
          </div>
        )}
        {(e.bcc?.length ?? 0) > 0 && (
          <div>
            <dt>BCC</dt>
            <dd>{list(e.bcc)}</dd>
          </div>
        )}
        {e.subject && (
          <div>
            <dt>Subject</dt>
            <dd>{e.subject}</dd>
          </div>
        )}
      </dl>
      {notSent && (
        <p className="delivery-problem" role="note">
          {notSent}
        </p>
      )}
      <div className="actions compact">
        <button type="button" className="link" onClick={() => (open ? setOpen(false) : void show())}>
          {open ? 'Hide message' : 'Show message'}
        </button>
        <button type="button" className="link" onClick={() => void viewSource()}>
          View source
        </button>
      </div>
      {open && (
        <div className="email-body">
          {error && <p className="error">{error}</p>}
          {!details && !error && <p>Loading…</p>}
          {details?.html ? (
            <>
              {details.remoteImagesBlocked && (
                <p className="note">
                  Remote images are blocked.{' '}
                  <button type="button" className="link" onClick={() => void show('show')}>
                    Show them
                  </button>
                </p>
              )}
              {/* The server sanitises the HTML; the frame also allows no scripts and no same-origin access. */}
              <iframe
                title={`Email: ${details.subject ?? ''}`}
                sandbox=""
                srcDoc={details.html}
                className="email-frame"
              />
            </>
          ) : (
            details?.text && <pre className="email-text">{details.text}</pre>
          )}
          {details && details.attachments.length > 0 && (
            <ul className="attachments" aria-label="Attachments">
              {details.attachments.map((a) => (
                <li key={a.id}>
                  {a.url && !a.omitted ? <a href={a.url}>{a.filename}</a> : a.filename} ({kb(a.size)})
                  {a.omitted && ' — kept only in the source'}
                </li>
              ))}
            </ul>
          )}
          {details?.delivery && (
            <p className="muted">
              Delivery: {details.delivery.status}
              {details.delivery.sentAt ? ` ${formatDateTime(details.delivery.sentAt)}` : ''}
              {details.delivery.lastError ? ` — ${details.delivery.lastError}` : ''}
            </p>
          )}
        </div>
      )}
      <Dialog open={sourceOpen} title="Message source" onClose={() => setSourceOpen(false)} wide>
        <pre className="source">{source ?? 'Loading…'}</pre>
      </Dialog>
    </div>
  );
}
