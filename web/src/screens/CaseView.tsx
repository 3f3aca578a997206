import { FIELD_LIMITS } from '../fieldLimits.js';
import { useEffect, useState } from 'react';
import { api, ApiError, errorText } from '../api.js';
import { Field, Select, TextArea } from '../components/Field.js';
import { HistoryList } from '../components/HistoryList.js';
import { CustomFieldsPanel } from '../components/CustomFieldsPanel.js';
import { useFieldDefs } from '../customFields.js';
import { useToast } from '../components/Toasts.js';
import { TagEditor } from '../components/Tags.js';
import { useLoad } from '../hooks.js';
import { live } from '../live.js';
import { choices, labelOf, useCaseRefs } from '../lookups.js';
import { customerName, formatDateTime } from '../format.js';
import { Link, navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import type { Case, Customer } from '../apiTypes.js';
import { FollowUps } from './FollowUps.js';
import { TaskList } from './TaskList.js';

type CaseField =
  'status' | 'priority' | 'severity' | 'visibility' | 'ownerId' | 'subject' | 'description' | 'customFields' | 'tags';

export function CaseView({ id }: { id: string }) {
  const { can, me } = useSession();
  const toast = useToast();
  const { query } = useLocation();
  const tab = query.get('tab') ?? 'followups';
  const { settings, users } = useCaseRefs();
  const caseDefs = useFieldDefs('case');
  const {
    data: c,
    error,
    setData,
    reload,
  } = useLoad((signal) => api.get<Case>(`/api/v1/cases/${encodeURIComponent(id)}`, undefined, signal), [id]);
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [historyKey, setHistoryKey] = useState(0);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState({ subject: '', description: '' });
  const [busy, setBusy] = useState(false);

  const customerId = c?.customerId;
  useEffect(() => {
    if (!customerId) return;
    api.get<Customer>(`/api/v1/customers/${customerId}`).then(setCustomer, () => setCustomer(null));
  }, [customerId]);

  useEffect(
    () =>
      live.on('record.changed', (e) => {
        if (e.recordId === id) {
          reload();
          setHistoryKey((k) => k + 1);
        }
      }),
    [id, reload],
  );

  if (error)
    return (
      <section>
        <h1 tabIndex={-1}>Case</h1>
        <p className="error" role="alert">
          {errorText(error)}
        </p>
      </section>
    );
  if (!c) return <p aria-live="polite">Loading case…</p>;

  /** Changes fields; if someone changed the case meanwhile, retries on their version unless they changed the same field. */
  const change = async (patch: Partial<Record<CaseField, unknown>>, label: string, rethrow = false) => {
    setBusy(true);
    try {
      let saved: Case;
      try {
        saved = await api.patch<Case>(`/api/v1/cases/${c.id}`, patch, c.version);
      } catch (e) {
        if (!(e instanceof ApiError && e.isStale)) throw e;
        const current = e.current as Case;
        const clash = Object.keys(patch).some(
          (k) => JSON.stringify(current[k as CaseField]) !== JSON.stringify(c[k as CaseField]),
        );
        if (clash) {
          setData(current);
          toast({ text: `Someone else changed this case's ${label} first; it now shows their value.`, kind: 'error' });
          return;
        }
        saved = await api.patch<Case>(`/api/v1/cases/${c.id}`, patch, current.version);
      }
      setData(saved);
      setHistoryKey((k) => k + 1);
      toast({ text: `${label[0].toUpperCase()}${label.slice(1)} saved`, kind: 'success' });
    } catch (e) {
      if (rethrow) throw e;
      toast({ text: errorText(e), kind: 'error' });
    } finally {
      setBusy(false);
    }
  };

  const canEdit = can('cases.edit');
  const setTab = (k: string) => navigate(`/cases/${id}${k === 'followups' ? '' : `?tab=${k}`}`, { replace: true });
  const ownerOptions = [
    { value: '', label: 'Unassigned' },
    ...(users ?? []).map((u) => ({ value: u.id, label: u.id === me.id ? `${u.name} (me)` : u.name })),
  ];
  if (c.ownerId && !ownerOptions.some((o) => o.value === c.ownerId))
    ownerOptions.push({ value: c.ownerId, label: 'Unknown user' });

  return (
    <section className="screen case-view">
      <div className="screen-head">
        <h1 tabIndex={-1}>
          Case {c.caseNumber}: <bdi>{c.subject}</bdi>
        </h1>
        <span className={`badge ${c.isOpen ? 'open' : 'closed'}`}>{labelOf(settings?.statuses, c.status)}</span>
        {c.visibility === 'private' && <span className="badge">private</span>}
      </div>
      <p className="muted">
        Customer:{' '}
        {customer ? (
          <Link to={`/customers/${customer.id}`}>
            <bdi>{customerName(customer)}</bdi> ({customer.accountNumber})
          </Link>
        ) : (
          '…'
        )}{' '}
        · opened {formatDateTime(c.openedAt)} via {c.channel}
        {c.closedAt && <> · closed {formatDateTime(c.closedAt)}</>}
      </p>
      <div className="case-layout">
        <aside className="case-fields" aria-label="Case fields">
          <Select
            label="Status"
            value={c.status}
            disabled={busy || !can('cases.changeStatus')}
            onChange={(e) => void change({ status: e.target.value }, 'status')}
            options={choices(settings?.statuses, c.status)}
          />
          <Select
            label="Priority"
            value={c.priority}
            disabled={busy || !canEdit}
            onChange={(e) => void change({ priority: e.target.value }, 'priority')}
            options={choices(settings?.priorities, c.priority)}
          />
          <Select
            label="Severity"
            value={c.severity}
            disabled={busy || !canEdit}
            onChange={(e) => void change({ severity: e.target.value }, 'severity')}
            options={choices(settings?.severities, c.severity)}
          />
          <Select
            label="Visibility"
            value={c.visibility}
            disabled={busy || !canEdit}
            onChange={(e) => void change({ visibility: e.target.value }, 'visibility')}
            options={[
              { value: 'private', label: 'Private (internal)' },
              { value: 'public', label: 'Public (Support Center)' },
            ]}
          />
          <Select
            label="Owner"
            value={c.ownerId ?? ''}
            disabled={busy || !canEdit}
            onChange={(e) => void change({ ownerId: e.target.value || null }, 'owner')}
            options={ownerOptions}
          />
          {canEdit && c.ownerId !== me.id && (
            <button type="button" disabled={busy} onClick={() => void change({ ownerId: me.id }, 'owner')}>
              Assign to me
            </button>
          )}
          <div className="field case-tags" role="group" aria-label="Case tags">
            <span className="label">Tags</span>
            <TagEditor
              tags={c.tags}
              source="/api/v1/cases/tags"
              disabled={!canEdit}
              onSave={(tags) => change({ tags }, 'tags')}
            />
          </div>
        </aside>
        <div className="case-main">
          {editing ? (
            <form
              aria-label="Edit case"
              onSubmit={(e) => {
                e.preventDefault();
                void change({ subject: text.subject, description: text.description }, 'subject and description').then(
                  () => setEditing(false),
                );
              }}
            >
              <Field
                label="Subject"
                value={text.subject}
                onChange={(e) => setText({ ...text, subject: e.target.value })}
                required
                maxLength={FIELD_LIMITS.case.subject.maxLength}
              />
              <TextArea
                label="Description"
                rows={5}
                value={text.description}
                onChange={(e) => setText({ ...text, description: e.target.value })}
                maxLength={FIELD_LIMITS.case.description.maxLength}
              />
              <div className="actions">
                <button type="submit" className="primary" disabled={busy}>
                  Save
                </button>
                <button type="button" onClick={() => setEditing(false)}>
                  Cancel
                </button>
              </div>
            </form>
          ) : (
            <div className="description-block">
              <p className="description">{c.description || <span className="muted">No description.</span>}</p>
              {canEdit && (
                <button
                  type="button"
                  onClick={() => {
                    setText({ subject: c.subject, description: c.description });
                    setEditing(true);
                  }}
                >
                  Edit subject and description
                </button>
              )}
            </div>
          )}
          <CustomFieldsPanel
            defs={caseDefs}
            values={c.customFields}
            canEdit={canEdit}
            onSave={(patch) => change({ customFields: patch }, 'details', true)}
          />
          <div role="tablist" aria-label="Case" className="tabs">
            {[
              { key: 'followups', label: 'Follow-ups' },
              ...(can('tasks.view') ? [{ key: 'tasks', label: 'Tasks' }] : []),
              { key: 'history', label: 'History' },
            ].map((t) => (
              <button
                key={t.key}
                type="button"
                role="tab"
                id={`ctab-${t.key}`}
                aria-selected={tab === t.key}
                aria-controls={`cpanel-${t.key}`}
                onClick={() => setTab(t.key)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`cpanel-${tab}`} aria-labelledby={`ctab-${tab}`}>
            {tab === 'followups' && (
              <FollowUps
                c={c}
                canAdd={can('cases.addFollowUp')}
                customerEmail={customer?.email ?? null}
                onAdded={(reopened, caseVersion) => {
                  if (caseVersion !== c.version) reload();
                  setHistoryKey((k) => k + 1);
                  if (reopened) toast({ text: 'The case was reopened' });
                }}
              />
            )}
            {tab === 'tasks' && customer && <TaskList filter={{ caseId: c.id }} customer={customer} caseId={c.id} />}
            {tab === 'history' && (
              <HistoryList path={`/api/v1/cases/${c.id}/history`} refreshKey={historyKey} objectType="case" />
            )}
          </div>
        </div>
      </div>
    </section>
  );
}
