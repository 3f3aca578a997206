import { useEffect, useState } from 'react';
import { api, type Page } from '../api.js';
import { formatDateTime, relative } from '../format.js';
import { labelOf, useCaseRefs } from '../lookups.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import type { Case, Task } from '../apiTypes.js';
import type { Interaction } from './interactionsApi.js';

/**
 * The customer at a glance: open cases, open tasks, the last interactions (each a small bounded read).
 * A new `refreshKey` reads them again (after an erasure, say, which rewrites the cases' subjects).
 */
export function CustomerGlance({ customerId, refreshKey = 0 }: { customerId: string; refreshKey?: number }) {
  const { can } = useSession();
  const { settings } = useCaseRefs();
  const [cases, setCases] = useState<Case[] | null>(null);
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [calls, setCalls] = useState<Interaction[] | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    const s = ctl.signal;
    if (can('cases.view'))
      api.get<Page<Case>>(`/api/v1/customers/${customerId}/cases`, { status: 'open', limit: 5 }, s).then(
        (p) => setCases(p.items),
        () => setCases([]),
      );
    if (can('tasks.view'))
      api.get<Page<Task>>('/api/v1/tasks', { customerId, status: 'open', limit: 5 }, s).then(
        (p) => setTasks(p.items),
        () => setTasks([]),
      );
    api.get<Page<Interaction>>(`/api/v1/customers/${customerId}/interactions`, { limit: 3 }, s).then(
      (p) => setCalls(p.items),
      () => setCalls([]),
    );
    return () => ctl.abort();
  }, [customerId, can, refreshKey]);

  return (
    <aside className="glance" aria-label="At a glance">
      {cases && (
        <section>
          <h2>Open cases</h2>
          {cases.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              {cases.map((c) => (
                <li key={c.id}>
                  <Link to={`/cases/${c.id}`}>
                    {c.caseNumber}: <bdi>{c.subject}</bdi>
                  </Link>{' '}
                  <span className="muted">
                    {labelOf(settings?.statuses, c.status)} · {labelOf(settings?.priorities, c.priority)}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {tasks && (
        <section>
          <h2>Open tasks</h2>
          {tasks.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              {tasks.map((t) => (
                <li key={t.id}>
                  <bdi>{t.subject}</bdi>{' '}
                  <span className={t.overdue ? 'error' : 'muted'}>
                    {t.dueAt ? `due ${relative(t.dueAt)}` : 'no due time'}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {calls && calls.length > 0 && (
        <section>
          <h2>Last interactions</h2>
          <ul>
            {calls.map((i) => (
              <li key={i.id}>
                {i.channel} {i.direction} · {formatDateTime(i.startedAt)}
                {i.disposition ? ` · ${i.disposition.replace(/_/g, ' ')}` : ''}
                {i.notes ? <div className="muted">{i.notes}</div> : null}
              </li>
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}
