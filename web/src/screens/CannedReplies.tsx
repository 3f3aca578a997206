import { useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import type { CannedReply } from '../apiTypes.js';
import { Field, FormErrors, TextArea } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import { useSession } from '../session.js';

/** The placeholders the server fills (src/modules/canned-replies/placeholders.ts). */
const PLACEHOLDERS = ['{{customer.name}}', '{{case.number}}', '{{agent.name}}'];

type Draft = { id: string | null; version: number; title: string; body: string; shared: boolean };

/**
 * Canned replies: my own, and the shared ones (changed by holders of cannedReplies.manageShared
 * and administrators; everybody else sees them read-only). Inserted from the email reply box.
 */
export function CannedRepliesScreen() {
  const { can } = useSession();
  const toast = useToast();
  const mayShare = can('cannedReplies.manageShared');
  const list = useLoad((signal) => api.get<{ items: CannedReply[] }>('/api/v1/canned-replies', undefined, signal), []);
  const [draft, setDraft] = useState<Draft | null>(null);

  const remove = async (r: CannedReply) => {
    if (!window.confirm(`Delete the canned reply "${r.title}"?`)) return;
    try {
      await api.del(`/api/v1/canned-replies/${r.id}`, r.version);
      toast({ text: `Deleted "${r.title}"`, kind: 'success' });
      list.reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };

  const items = list.data?.items ?? [];
  const section = (shared: boolean) => {
    const rows = items.filter((r) => r.shared === shared);
    const editable = !shared || mayShare;
    return (
      <section className="panel" aria-labelledby={shared ? 'canned-shared' : 'canned-mine'}>
        <h2 id={shared ? 'canned-shared' : 'canned-mine'}>{shared ? 'Shared' : 'Mine'}</h2>
        {rows.length === 0 ? (
          <p className="empty">{shared ? 'No shared canned replies.' : 'You have no canned replies of your own.'}</p>
        ) : (
          <table className="list">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Text</th>
                {editable && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-canned={r.title}>
                  <td>{r.title}</td>
                  <td className="canned-preview">{r.body}</td>
                  {editable && (
                    <td className="nowrap">
                      <button
                        type="button"
                        onClick={() => setDraft({ id: r.id, version: r.version, title: r.title, body: r.body, shared })}
                        aria-label={`Edit ${r.title}`}
                      >
                        Edit
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        onClick={() => void remove(r)}
                        aria-label={`Delete ${r.title}`}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {editable && (
          <button type="button" onClick={() => setDraft({ id: null, version: 0, title: '', body: '', shared })}>
            {shared ? 'New shared reply' : 'New reply'}
          </button>
        )}
      </section>
    );
  };

  return (
    <section className="screen canned-replies">
      <div className="screen-head">
        <h1 tabIndex={-1}>Canned replies</h1>
      </div>
      <p className="hint">
        Insert one in an email reply with Alt+I. Placeholders filled in for the case: {PLACEHOLDERS.join(', ')}; any
        other stays as written.
      </p>
      {list.error ? <p role="alert">{errorText(list.error)}</p> : null}
      {list.loading && !list.data ? <p>Loading…</p> : null}
      {draft && (
        <CannedReplyForm
          draft={draft}
          onDone={() => {
            setDraft(null);
            list.reload();
          }}
          onCancel={() => setDraft(null)}
        />
      )}
      {list.data && (
        <>
          {section(false)}
          {section(true)}
        </>
      )}
    </section>
  );
}

function CannedReplyForm({ draft, onDone, onCancel }: { draft: Draft; onDone: () => void; onCancel: () => void }) {
  const [v, setV] = useState({ title: draft.title, body: draft.body });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      if (draft.id) await api.patch(`/api/v1/canned-replies/${draft.id}`, v, draft.version);
      else await api.post('/api/v1/canned-replies', { ...v, shared: draft.shared });
      onDone();
    } catch (err) {
      setErrors(fieldErrors(err));
      setMessage(err instanceof ApiError && err.errors.length ? 'Please correct the fields marked.' : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const what = draft.shared ? 'shared canned reply' : 'canned reply';
  return (
    <form className="panel" onSubmit={submit} noValidate aria-label={draft.id ? `Edit ${what}` : `New ${what}`}>
      <h2>{draft.id ? `Edit ${what}` : `New ${what}`}</h2>
      <Field
        label="Title"
        required
        maxLength={120}
        value={v.title}
        onChange={(e) => setV({ ...v, title: e.target.value })}
        error={errors.title}
      />
      <TextArea
        label="Text"
        rows={6}
        required
        value={v.body}
        onChange={(e) => setV({ ...v, body: e.target.value })}
        error={errors.body}
      />
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
