import { useEffect, useState } from 'react';
import { api, errorText } from '../api.js';
import { HistoryList } from '../components/HistoryList.js';
import { useToast } from '../components/Toasts.js';
import { TagEditor } from '../components/Tags.js';
import { hasStored, useLoad } from '../hooks.js';
import { live } from '../live.js';
import { customFieldRows, useFieldDefs } from '../customFields.js';
import { customerName, formatAddress, formatDateTime, formatPhone } from '../format.js';
import { navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import type { Customer, ErasureRecord, Privilege } from '../apiTypes.js';
import { CustomerCases } from './CustomerCases.js';
import { CustomerEdit } from './CustomerEdit.js';
import { CustomerInteractions } from './CustomerInteractions.js';
import { TaskList } from './TaskList.js';
import { PortalAccessPanel } from './PortalAccess.js';
import { CustomerGlance } from './CustomerGlance.js';
import { MergeDialog } from './CustomerMerge.js';
import { EraseDialog, ErasureNotice } from './CustomerErase.js';

const TABS: { key: string; label: string; privilege?: Privilege }[] = [
  { key: 'details', label: 'Details' },
  { key: 'cases', label: 'Cases', privilege: 'cases.view' },
  { key: 'tasks', label: 'Tasks', privilege: 'tasks.view' },
  { key: 'interactions', label: 'Interactions' },
  { key: 'history', label: 'History' },
];

function Details({ c }: { c: Customer }) {
  const defs = useFieldDefs('customer');
  const rows: [string, string][] = [
    ['Account number', c.accountNumber],
    ['Name', [c.firstName, c.lastName].filter(Boolean).join(' ')],
    ['Company', c.company ?? ''],
    ['Email', c.email ?? ''],
    ['Primary address', formatAddress(c.primaryAddress)],
    ['Secondary address', formatAddress(c.secondaryAddress)],
    ['Notes', c.notes ?? ''],
    ...customFieldRows(defs, c.customFields),
    ['Created', formatDateTime(c.createdAt)],
    ['Updated', formatDateTime(c.updatedAt)],
  ];
  return (
    <dl className="details">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd dir="auto">{v || '—'}</dd>
        </div>
      ))}
      <div>
        <dt>Phones</dt>
        <dd>
          {c.phones.length === 0
            ? '—'
            : c.phones.map((p, i) => (
                <div key={i}>
                  <span className="muted">{p.type}</span>{' '}
                  <a href={`tel:${p.e164 ?? p.number}`}>{formatPhone(p.number, p.extension)}</a>
                  {p.valid === false && <span className="badge warn">unrecognised number</span>}
                </div>
              ))}
        </dd>
      </div>
    </dl>
  );
}

export function CustomerRecord({ id }: { id: string }) {
  const { can } = useSession();
  const toast = useToast();
  const { query } = useLocation();
  const tab = query.get('tab') ?? 'details';
  const {
    data: customer,
    error,
    setData,
    reload,
  } = useLoad((signal) => api.get<Customer>(`/api/v1/customers/${encodeURIComponent(id)}`, undefined, signal), [id]);
  // An edit in progress (kept across reloads and re-sign-in) reopens the form.
  const [editing, setEditing] = useState(() => hasStored(`customer:edit:${id}`));
  const [historyKey, setHistoryKey] = useState(0);
  const [changedElsewhere, setChangedElsewhere] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const [merging, setMerging] = useState(false);
  const [erasing, setErasing] = useState(false);
  const { data: erasure, reload: reloadErasure } = useLoad(
    (signal) => api.get<ErasureRecord>(`/api/v1/customers/${encodeURIComponent(id)}/erasure`, undefined, signal),
    [id],
  );
  const customerVersion = customer?.version;

  useEffect(
    () =>
      live.on(['customer.deleted', 'customer.updated'], (e) => {
        if (e.recordId !== id) return;
        if (e.type === 'customer.deleted') {
          setDeleted(true);
        } else {
          if (editing) setChangedElsewhere(e.version !== customerVersion);
          else {
            reload();
            setHistoryKey((k) => k + 1);
          }
        }
      }),
    [id, editing, reload, customerVersion],
  );

  if (error) {
    return (
      <section>
        <h1 tabIndex={-1}>Customer</h1>
        <p className="error" role="alert">
          {errorText(error)}
        </p>
      </section>
    );
  }
  if (!customer) return <p aria-live="polite">Loading customer…</p>;

  const setTab = (k: string) => navigate(`/customers/${id}${k === 'details' ? '' : `?tab=${k}`}`, { replace: true });
  const tabs = TABS.filter((t) => !t.privilege || can(t.privilege));

  const remove = async () => {
    if (!window.confirm(`Delete customer ${customer.accountNumber}? This cannot be undone.`)) return;
    try {
      await api.del(`/api/v1/customers/${id}`, customer.version);
      toast({ text: `Customer ${customer.accountNumber} deleted` });
      navigate('/customers', { replace: true });
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };

  return (
    <section className="screen customer-record">
      <div className="screen-head">
        <h1 tabIndex={-1}>
          <bdi>{customerName(customer)}</bdi>
          {customer.draft && <span className="badge draft">Draft</span>}
          {customer.vip && <span className="badge vip">VIP</span>}
        </h1>
        <span className="muted account">Account {customer.accountNumber}</span>
      </div>
      <div className="record-tags" role="group" aria-label="Customer tags">
        <TagEditor
          tags={customer.tags}
          source="/api/v1/customers/tags"
          disabled={!can('customers.edit') || editing}
          onSave={async (tags) => {
            try {
              setData(await api.patch<Customer>(`/api/v1/customers/${id}`, { tags }, customer.version));
              setHistoryKey((k) => k + 1);
              toast({ text: 'Tags saved', kind: 'success' });
            } catch (e) {
              toast({ text: errorText(e), kind: 'error' });
              reload();
            }
          }}
        />
      </div>
      {deleted && (
        <p className="error" role="alert">
          This customer was just deleted by someone else.
        </p>
      )}
      {erasure?.erasure && <ErasureNotice erasure={erasure.erasure} />}
      {changedElsewhere && (
        <p className="note" role="status">
          Someone else just changed this customer. Saving will show you both versions to choose from.
        </p>
      )}
      <div role="tablist" aria-label="Customer record" className="tabs">
        {tabs.map((t) => (
          <button
            key={t.key}
            role="tab"
            type="button"
            id={`tab-${t.key}`}
            aria-selected={tab === t.key}
            aria-controls={`panel-${t.key}`}
            tabIndex={tab === t.key ? 0 : -1}
            onClick={() => setTab(t.key)}
            onKeyDown={(e) => {
              const i = tabs.findIndex((x) => x.key === tab);
              if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const j = (i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length;
                setTab(tabs[j].key);
                setTimeout(() => document.getElementById(`tab-${tabs[j].key}`)?.focus(), 0);
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === 'details' &&
          (editing ? (
            <CustomerEdit
              customer={customer}
              onSaved={(c) => {
                setData(c);
                setEditing(false);
                setChangedElsewhere(false);
                setHistoryKey((k) => k + 1);
              }}
              onCancel={() => {
                setEditing(false);
                reload();
              }}
            />
          ) : (
            <>
              <div className="record-layout">
                <Details c={customer} />
                <CustomerGlance customerId={customer.id} refreshKey={historyKey} />
              </div>
              <div className="actions">
                {can('customers.edit') && (
                  <button type="button" className="primary" onClick={() => setEditing(true)}>
                    {customer.draft ? 'Complete draft' : 'Edit'}
                  </button>
                )}
                {can('customers.edit') && can('customers.delete') && (
                  <button type="button" onClick={() => setMerging(true)}>
                    Merge another customer into this one
                  </button>
                )}
                {can('customers.delete') && (
                  <button type="button" className="danger" onClick={() => void remove()}>
                    Delete
                  </button>
                )}
                {can('data.export') && (
                  <a className="button" href={`/api/v1/customers/${customer.id}/privacy-export`} download>
                    Download all their data (zip)
                  </a>
                )}
                {can('customers.erase') && erasure && !erasure.erasure && (
                  <button type="button" className="danger" onClick={() => setErasing(true)}>
                    Erase personal data…
                  </button>
                )}
              </div>
              <EraseDialog
                customer={customer}
                open={erasing}
                onClose={() => setErasing(false)}
                onErased={(r) => {
                  setErasing(false);
                  reload();
                  reloadErasure();
                  setHistoryKey((k) => k + 1);
                  toast({
                    text: r.alreadyErased
                      ? `Customer ${customer.accountNumber} had already been erased`
                      : `Personal data of customer ${customer.accountNumber} erased`,
                    kind: 'success',
                  });
                }}
              />
              <MergeDialog
                customer={customer}
                open={merging}
                onClose={() => setMerging(false)}
                onMerged={(r) => {
                  setMerging(false);
                  setData(r.customer);
                  setHistoryKey((k) => k + 1);
                  toast({
                    text: `Customer ${r.merged.accountNumber} merged into ${r.customer.accountNumber}`,
                    kind: 'success',
                  });
                }}
              />
              <PortalAccessPanel
                customerId={customer.id}
                hasEmail={Boolean(customer.email)}
                canEdit={can('customers.edit')}
              />
            </>
          ))}
        {tab === 'cases' && <CustomerCases customer={customer} />}
        {tab === 'tasks' && <TaskList filter={{ customerId: customer.id }} customer={customer} />}
        {tab === 'interactions' && <CustomerInteractions customerId={customer.id} />}
        {tab === 'history' && (
          <HistoryList path={`/api/v1/customers/${id}/history`} refreshKey={historyKey} objectType="customer" />
        )}
      </div>
    </section>
  );
}
