import { FIELD_LIMITS } from '../fieldLimits.js';
import { useEffect, useState, type FormEvent } from 'react';
import { api, errorText, fieldErrors, type Page } from '../api.js';
import { Field, Select, TextArea } from '../components/Field.js';
import { useStoredState } from '../hooks.js';
import { cfCreateBody, CustomFieldInputs, customFieldRows, useFieldDefs, type CfValues } from '../customFields.js';
import { formatDateTime } from '../format.js';
import type { Case, FollowUp, UploadedAttachment } from '../apiTypes.js';
import { AttachFiles, AttachmentLinks } from '../components/AttachFiles.js';
import { EmailMessage } from './EmailMessage.js';
import { EmailReply } from './EmailReply.js';
import { Dialog } from '../components/Dialog.js';

/** The case's follow-ups (notes, calls, chats, emails) as a timeline, with "add a note". */
export function FollowUps({
  c,
  canAdd,
  onAdded,
  customerEmail,
}: {
  c: Case;
  canAdd: boolean;
  customerEmail: string | null;
  onAdded: (reopened: boolean, caseVersion: number) => void;
}) {
  const [order, setOrder] = useStoredState<'newest' | 'oldest'>('case:followUpsOrder', 'newest');
  const [items, setItems] = useState<FollowUp[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [draft, setDraft] = useStoredState<{
    kind: string;
    visibility: string;
    body: string;
    customFields?: CfValues;
    /** The Notify option: addresses, comma- or space-separated. */
    notify?: string;
  }>(`case:note:${c.id}`, { kind: 'note', visibility: 'internal', body: '' });
  const defs = useFieldDefs('followUp');
  const [cfErrors, setCfErrors] = useState<Record<string, string>>({});
  const [noteError, setNoteError] = useState<string | null>(null);
  const [notifyError, setNotifyError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [replying, setReplying] = useState(false);
  const [noteFiles, setNoteFiles] = useState<UploadedAttachment[]>([]);
  // The files staff attached to this case's notes and replies, by follow-up.
  const [attached, setAttached] = useState<Map<string, UploadedAttachment[]>>(new Map());
  const path = `/api/v1/cases/${c.id}/follow-ups`;

  useEffect(() => {
    const ctl = new AbortController();
    api.get<{ items: UploadedAttachment[] }>(`/api/v1/cases/${c.id}/attachments`, undefined, ctl.signal).then(
      (r) => {
        const m = new Map<string, UploadedAttachment[]>();
        for (const a of r.items) if (a.followUpId) m.set(a.followUpId, [...(m.get(a.followUpId) ?? []), a]);
        setAttached(m);
      },
      () => undefined,
    );
    return () => ctl.abort();
  }, [c.id, tick]);

  useEffect(() => {
    const ctl = new AbortController();
    api.get<Page<FollowUp>>(path, { order, limit: 50 }, ctl.signal).then(
      (p) => {
        setItems(p.items);
        setNext(p.nextCursor);
      },
      (e) => !ctl.signal.aborted && setError(errorText(e)),
    );
    return () => ctl.abort();
  }, [path, order, tick]);

  const more = async () => {
    try {
      const p = await api.get<Page<FollowUp>>(path, { order, limit: 50, cursor: next ?? undefined });
      setItems((o) => [...o, ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft.body.trim()) {
      setNoteError('Write something first.');
      return;
    }
    const notify = (draft.notify ?? '').split(/[\s,;]+/).filter(Boolean);
    setBusy(true);
    try {
      const r = await api.post<FollowUp & { reopened: boolean; caseVersion: number }>(path, {
        kind: draft.kind,
        visibility: draft.visibility,
        body: draft.body,
        ...(notify.length ? { notify } : {}),
        ...(noteFiles.length ? { attachmentIds: noteFiles.map((f) => f.id) } : {}),
        ...(cfCreateBody(defs, draft.customFields ?? {})
          ? { customFields: cfCreateBody(defs, draft.customFields ?? {}) }
          : {}),
      });
      setDraft({ kind: draft.kind, visibility: draft.visibility, body: '' });
      setNoteFiles([]);
      setNoteError(null);
      setNotifyError(null);
      setCfErrors({});
      setTick((t) => t + 1);
      onAdded(r.reopened, r.caseVersion);
    } catch (err) {
      const fe = fieldErrors(err);
      setCfErrors(fe);
      const notifyProblem = Object.entries(fe).find(([k]) => k === 'notify' || k.startsWith('notify.'));
      setNotifyError(notifyProblem ? notifyProblem[1] : null);
      setNoteError(
        notifyProblem
          ? null
          : (fe.body ??
              fe.attachmentIds ??
              (Object.keys(fe).some((k) => k.startsWith('customFields.')) ? null : errorText(err))),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="followups" aria-labelledby="followups-title">
      <div className="toolbar">
        <h2 id="followups-title">Follow-ups</h2>
        {canAdd && (
          <button type="button" onClick={() => setReplying(true)}>
            Reply by email
          </button>
        )}
        <div role="group" aria-label="Order" className="segmented">
          <button type="button" aria-pressed={order === 'newest'} onClick={() => setOrder('newest')}>
            Newest first
          </button>
          <button type="button" aria-pressed={order === 'oldest'} onClick={() => setOrder('oldest')}>
            Oldest first
          </button>
        </div>
      </div>
      {canAdd && (
        <form className="add-note" onSubmit={add} aria-label="Add a follow-up">
          <TextArea
            label="Add a note"
            rows={3}
            value={draft.body}
            onChange={(e) => setDraft({ ...draft, body: e.target.value })}
            maxLength={FIELD_LIMITS.followUp.body.maxLength}
            error={noteError ?? undefined}
          />
          <AttachFiles caseId={c.id} files={noteFiles} onChange={setNoteFiles} />
          <Field
            label="Notify by email"
            type="text"
            value={draft.notify ?? ''}
            onChange={(e) => setDraft({ ...draft, notify: e.target.value })}
            placeholder="name@example.com, another@example.com"
            error={notifyError ?? undefined}
            hint={
              <>
                {draft.visibility === 'internal'
                  ? 'An internal follow-up can be emailed to staff members only.'
                  : 'The customer, their contacts or colleagues: each gets the follow-up by email.'}
                {customerEmail && draft.visibility === 'public' && !(draft.notify ?? '').includes(customerEmail) && (
                  <>
                    {' '}
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        setDraft({ ...draft, notify: [draft.notify ?? '', customerEmail].filter(Boolean).join(', ') })
                      }
                    >
                      Add the customer ({customerEmail})
                    </button>
                  </>
                )}
              </>
            }
          />
          <CustomFieldInputs
            defs={defs}
            value={draft.customFields ?? {}}
            onChange={(x) => setDraft({ ...draft, customFields: x })}
            errors={cfErrors}
          />
          <div className="row">
            <Select
              label="Kind"
              value={draft.kind}
              onChange={(e) => setDraft({ ...draft, kind: e.target.value })}
              options={[
                { value: 'note', label: 'Internal note' },
                { value: 'call', label: 'Call summary' },
                { value: 'chat', label: 'Chat transcript' },
              ]}
            />
            <Select
              label="Visible to"
              value={draft.visibility}
              onChange={(e) => setDraft({ ...draft, visibility: e.target.value })}
              options={[
                { value: 'internal', label: 'Agents only' },
                { value: 'public', label: 'Customer too' },
              ]}
            />
            <div className="field end">
              <button type="submit" className="primary" disabled={busy}>
                Add follow-up
              </button>
            </div>
          </div>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 && !error && <p className="empty">No follow-ups yet.</p>}
      <ol className="timeline" aria-label="Follow-ups">
        {items.map((f) => (
          <li key={f.id} className={`fu ${f.kind} ${f.visibility}`}>
            <div className="meta">
              <span className="badge">{f.kind}</span>
              {f.direction && <span className="badge">{f.direction}</span>}
              {f.visibility === 'internal' && <span className="badge">internal</span>}
              <strong>{f.author?.name ?? 'system'}</strong>{' '}
              <time dateTime={f.createdAt}>{formatDateTime(f.createdAt)}</time>
            </div>
            {f.email && <EmailMessage f={f} />}
            <div className="body" dir="auto">
              <bdi>{f.body}</bdi>
            </div>
            <AttachmentLinks files={attached.get(f.id) ?? []} />
            {f.notified.length > 0 && (
              <p className="muted notified" data-notified={f.id}>
                Notified: {f.notified.join(', ')}
              </p>
            )}
            {defs.length > 0 && Object.keys(f.customFields ?? {}).length > 0 && (
              <p className="muted">
                {customFieldRows(defs, f.customFields)
                  .filter(([, v]) => v !== '—')
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(' · ')}
              </p>
            )}
          </li>
        ))}
      </ol>
      {next && (
        <button type="button" onClick={() => void more()}>
          More follow-ups
        </button>
      )}
      <Dialog open={replying} title={`Reply to case ${c.caseNumber}`} onClose={() => setReplying(false)} wide>
        {replying && (
          <EmailReply
            c={c}
            customerEmail={customerEmail}
            onSent={() => {
              setReplying(false);
              setTick((t) => t + 1);
              onAdded(false, c.version);
            }}
            onCancel={() => setReplying(false)}
          />
        )}
      </Dialog>
    </section>
  );
}
