import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, errorText, type Page } from '../api.js';
import { useLoad } from '../hooks.js';
import { Link, navigate, useLocation } from '../router.js';
import type { Bucket, CasesReport, Figure, InteractionsReport, TasksReport, WorkloadReport } from '../apiTypes.js';

/** Reports and the wallboard (docs/reports.md): every number links to the records behind it. */

export type { Figure };
type Series = InteractionsReport['perBucket'][number];

const LIST_PATHS = ['/api/v1/cases', '/api/v1/tasks', '/api/v1/interactions'];
const AGE_LABELS: Record<string, string> = {
  lt1d: '< 1 day',
  '1to3d': '1–3 days',
  '3to7d': '3–7 days',
  '7to30d': '7–30 days',
  gt30d: '> 30 days',
};

export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function figureHref(f: Figure): string | null {
  if (!f.list) return null;
  return `/reports/records?${new URLSearchParams({ path: f.list.path, ...f.list.query }).toString()}`;
}

/** A number that opens the list of its records. */
export function Num({ f, label }: { f: Figure; label?: string }) {
  const href = figureHref(f);
  if (!href) return <span>{f.count}</span>;
  return (
    <Link to={href} aria-label={label ? `${label}: ${f.count}, show the records` : undefined} data-figure>
      {f.count}
    </Link>
  );
}

function duration(s: number | null): string {
  if (s === null) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)} %`);

/** Opened and closed per bucket as lines (uPlot); the table below carries the same numbers. */
function BucketChart({ buckets, series }: { buckets: Bucket[]; series: { label: string; values: Figure[] }[] }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current || buckets.length === 0) return;
    const xs = buckets.map((b) => Date.parse(b.start) / 1000);
    const colors = ['#2563eb', '#16a34a', '#dc2626', '#9333ea'];
    // The canvas does not follow the styles: axis labels and grid take the theme's colours now.
    const css = getComputedStyle(el.current);
    const text = css.color;
    const grid = css.borderTopColor; // var(--line), resolved (reports.css)
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new uPlot(
      {
        width: Math.max(320, el.current.clientWidth || 640),
        height: 220,
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 2 }))],
        axes: [axis, axis],
      },
      [xs, ...series.map((s) => s.values.map((v) => v.count))],
      el.current,
    );
    return () => plot.destroy();
  }, [buckets, series]);
  return <div ref={el} className="report-chart" aria-hidden="true" />;
}

function Filters() {
  const loc = useLocation();
  const q = loc.query;
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(q);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`/reports?${next.toString()}`, { replace: true });
  };
  return (
    <form className="report-filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        From <input type="date" value={q.get('from') ?? ''} onChange={(e) => set('from', e.target.value)} />
      </label>
      <label>
        To <input type="date" value={q.get('to') ?? ''} onChange={(e) => set('to', e.target.value)} />
      </label>
      <label>
        Buckets{' '}
        <select value={q.get('bucket') ?? 'day'} onChange={(e) => set('bucket', e.target.value)}>
          <option value="day">Day</option>
          <option value="week">Week</option>
          <option value="month">Month</option>
        </select>
      </label>
      <label>
        Channel{' '}
        <select value={q.get('channel') ?? ''} onChange={(e) => set('channel', e.target.value)}>
          <option value="">Any</option>
          {['phone', 'chat', 'email', 'web', 'portal', 'other'].map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <label>
        Priority{' '}
        <select value={q.get('priority') ?? ''} onChange={(e) => set('priority', e.target.value)}>
          <option value="">Any</option>
          {['low', 'normal', 'high', 'urgent'].map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <span className="muted">Time zone: {viewerZone()}</span>
    </form>
  );
}

export function ReportsScreen() {
  const loc = useLocation();
  const query: Record<string, string> = { tz: viewerZone() };
  for (const k of ['from', 'to', 'bucket', 'channel', 'priority', 'severity', 'status', 'ownerId']) {
    const v = loc.query.get(k);
    if (v) query[k] = v;
  }
  const key = JSON.stringify(query);
  const cases = useLoad((s) => api.get<CasesReport>('/api/v1/reports/cases', query, s), [key]);
  const inter = useLoad((s) => api.get<InteractionsReport>('/api/v1/reports/interactions', query, s), [key]);
  const work = useLoad((s) => api.get<WorkloadReport>('/api/v1/reports/workload', query, s), [key]);
  const tasks = useLoad((s) => api.get<TasksReport>('/api/v1/reports/tasks', query, s), [key]);
  const err = cases.error ?? inter.error ?? work.error ?? tasks.error;
  return (
    <section className="reports">
      <header className="page-head">
        <h1>Reports</h1>
        <Link to="/wallboard">Wallboard</Link>
      </header>
      <Filters />
      {err ? <p role="alert">{errorText(err)}</p> : null}
      {cases.data && <CasesSection r={cases.data} />}
      {inter.data && <InteractionsSection r={inter.data} />}
      {work.data && <WorkloadSection r={work.data} />}
      {tasks.data && <TasksSection r={tasks.data} />}
    </section>
  );
}

function CasesSection({ r }: { r: CasesReport }) {
  return (
    <section aria-labelledby="rep-cases">
      <h2 id="rep-cases">Cases</h2>
      <BucketChart
        buckets={r.buckets}
        series={[
          { label: 'Opened', values: r.opened },
          { label: 'Closed', values: r.closed },
        ]}
      />
      <table className="report-table" data-report="cases-buckets">
        <caption>Cases per bucket</caption>
        <thead>
          <tr>
            <th scope="col">Bucket</th>
            <th scope="col">Opened</th>
            <th scope="col">Closed</th>
            <th scope="col">Reopened</th>
            <th scope="col">First response (median / p90)</th>
            <th scope="col">Resolution (median / p90)</th>
          </tr>
        </thead>
        <tbody>
          {r.buckets.map((b, i) => (
            <tr key={b.key}>
              <th scope="row">{b.key}</th>
              <td>
                <Num f={r.opened[i]} label={`Opened ${b.key}`} />
              </td>
              <td>
                <Num f={r.closed[i]} label={`Closed ${b.key}`} />
              </td>
              <td>
                <Num f={r.reopened[i]} label={`Reopened ${b.key}`} />
              </td>
              <td>
                {duration(r.firstResponse.buckets[i].medianSeconds)} / {duration(r.firstResponse.buckets[i].p90Seconds)}{' '}
                (<Num f={r.firstResponse.buckets[i].n} />)
              </td>
              <td>
                {duration(r.resolution.buckets[i].medianSeconds)} / {duration(r.resolution.buckets[i].p90Seconds)} (
                <Num f={r.resolution.buckets[i].n} />)
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td>
              <Num f={r.totals.opened} label="Opened in the range" />
            </td>
            <td>
              <Num f={r.totals.closed} label="Closed in the range" />
            </td>
            <td>
              <Num f={r.totals.reopened} label="Reopened in the range" />
            </td>
            <td>
              {duration(r.firstResponse.total.medianSeconds)} / {duration(r.firstResponse.total.p90Seconds)}
            </td>
            <td>
              {duration(r.resolution.total.medianSeconds)} / {duration(r.resolution.total.p90Seconds)}
            </td>
          </tr>
        </tfoot>
      </table>
      <div className="report-grid">
        <table className="report-table">
          <caption>Backlog now</caption>
          <tbody>
            <tr>
              <th scope="row">Open</th>
              <td>
                <Num f={r.backlog.total} label="Open cases" />
              </td>
            </tr>
            <tr>
              <th scope="row">Unassigned</th>
              <td>
                <Num f={r.backlog.unassigned} label="Unassigned open cases" />
              </td>
            </tr>
            {r.backlog.byAge.map((a) => (
              <tr key={a.key}>
                <th scope="row">{AGE_LABELS[a.key ?? ''] ?? a.key}</th>
                <td>
                  <Num f={a.value} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="report-table">
          <caption>Open by status and priority</caption>
          <tbody>
            {r.backlog.byStatus.map((a) => (
              <tr key={`s-${a.key}`}>
                <th scope="row">Status {a.key}</th>
                <td>
                  <Num f={a.value} />
                </td>
              </tr>
            ))}
            {r.backlog.byPriority.map((a) => (
              <tr key={`p-${a.key}`}>
                <th scope="row">Priority {a.key}</th>
                <td>
                  <Num f={a.value} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="report-table">
          <caption>Closed in the range</caption>
          <tbody>
            <tr>
              <th scope="row">Closed</th>
              <td>
                <Num f={r.firstContactResolution.closed} />
              </td>
            </tr>
            <tr>
              <th scope="row">First-contact resolution</th>
              <td>
                <Num f={r.firstContactResolution.resolved} label="Resolved at first contact" /> (
                {pct(r.firstContactResolution.rate)})
              </td>
            </tr>
            <tr>
              <th scope="row">Reopened</th>
              <td>
                <Num f={r.reopenRate.reopened} label="Closed cases reopened before" /> ({pct(r.reopenRate.rate)})
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  );
}

function InteractionsSection({ r }: { r: InteractionsReport }) {
  const sum = (s: Series) => s.values.reduce((a, v) => a + v.count, 0);
  const busiest = Array.from({ length: 24 }, (_, h) => h);
  return (
    <section aria-labelledby="rep-int">
      <h2 id="rep-int">Interactions</h2>
      <p>
        In the range: <Num f={r.total} label="Interactions" />. Unmatched callers:{' '}
        <Num f={r.unmatched} label="Unmatched callers" />. Repeat callers within {r.repeatCallers.days} days:{' '}
        <Num f={r.repeatCallers.interactions} label="Repeat callers" />.
      </p>
      <div className="table-scroll">
        <table className="report-table">
          <caption>By hour of the day</caption>
          <thead>
            <tr>
              <th scope="col">Channel</th>
              {busiest.map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {r.perHour
              .filter((s) => sum(s) > 0)
              .map((s) => (
                <tr key={`${s.channel}-${s.direction}`}>
                  <th scope="row">
                    {s.channel} {s.direction}
                  </th>
                  {s.values.map((v, h) => (
                    <td key={h}>
                      <Num f={v} />
                    </td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function WorkloadSection({ r }: { r: WorkloadReport }) {
  return (
    <section aria-labelledby="rep-work">
      <h2 id="rep-work">Agent workload</h2>
      <table className="report-table">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Open cases</th>
            <th scope="col">Open tasks</th>
            <th scope="col">Overdue tasks</th>
            <th scope="col">Interactions</th>
            <th scope="col">Wrapped up</th>
          </tr>
        </thead>
        <tbody>
          {r.agents.map((a) => (
            <tr key={a.userId}>
              <th scope="row">{a.name}</th>
              <td>
                <Num f={a.openCases} />
              </td>
              <td>
                <Num f={a.openTasks} />
              </td>
              <td>
                <Num f={a.overdueTasks} />
              </td>
              <td>
                <Num f={a.interactions} />
              </td>
              <td>
                <Num f={a.wrappedUp} /> ({pct(a.wrapUpRate)})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TasksSection({ r }: { r: TasksReport }) {
  return (
    <section aria-labelledby="rep-tasks">
      <h2 id="rep-tasks">Tasks by due date</h2>
      <table className="report-table">
        <thead>
          <tr>
            <th scope="col">Bucket</th>
            <th scope="col">Due</th>
            <th scope="col">Done on time</th>
            <th scope="col">Done late</th>
            <th scope="col">Overdue</th>
          </tr>
        </thead>
        <tbody>
          {r.buckets.map((b, i) =>
            r.due[i].count === 0 ? null : (
              <tr key={b.key}>
                <th scope="row">{b.key}</th>
                <td>
                  <Num f={r.due[i]} />
                </td>
                <td>
                  <Num f={r.doneOnTime[i]} />
                </td>
                <td>
                  <Num f={r.doneLate[i]} />
                </td>
                <td>
                  <Num f={r.overdue[i]} />
                </td>
              </tr>
            ),
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td>
              <Num f={r.totals.due} />
            </td>
            <td>
              <Num f={r.totals.doneOnTime} />
            </td>
            <td>
              <Num f={r.totals.doneLate} />
            </td>
            <td>
              <Num f={r.totals.overdue} />
            </td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

interface Row {
  id: string;
  caseNumber?: number;
  subject?: string;
  status?: string;
  openedAt?: string;
  dueAt?: string | null;
  startedAt?: string;
  channel?: string;
  direction?: string;
  from?: string | null;
  result?: string;
}

/** The records behind a figure: the list endpoint with the figure's query, page by page. */
export function RecordsScreen() {
  const loc = useLocation();
  const path = loc.query.get('path') ?? '';
  const query: Record<string, string> = {};
  loc.query.forEach((v, k) => {
    if (k !== 'path') query[k] = v;
  });
  const [rows, setRows] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = loc.query.toString();
  const load = async (after: string | null, reset: boolean) => {
    try {
      const page = await api.get<Page<Row>>(path, { ...query, limit: 200, ...(after ? { cursor: after } : {}) });
      setRows((old) => (reset ? page.items : [...old, ...page.items]));
      setCursor(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    if (LIST_PATHS.includes(path)) void load(null, true);
  }, [key]);
  if (!LIST_PATHS.includes(path)) return <p role="alert">Not a list of records.</p>;
  const kind = path.split('/').pop();
  return (
    <section>
      <header className="page-head">
        <h1>Records ({kind})</h1>
        <Link to="/reports">Back to reports</Link>
      </header>
      {error ? <p role="alert">{error}</p> : null}
      <p data-record-count>
        {rows.length}
        {cursor ? '+' : ''} {kind}
      </p>
      <table className="report-table" data-records>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              {kind === 'cases' ? (
                <>
                  <td>
                    <Link to={`/cases/${r.id}`}>#{r.caseNumber}</Link>
                  </td>
                  <td>{r.subject}</td>
                  <td>{r.status}</td>
                  <td>{r.openedAt?.slice(0, 16).replace('T', ' ')}</td>
                </>
              ) : kind === 'tasks' ? (
                <>
                  <td>{r.subject}</td>
                  <td>{r.status}</td>
                  <td>{r.dueAt?.slice(0, 16).replace('T', ' ') ?? '—'}</td>
                </>
              ) : (
                <>
                  <td>{r.startedAt?.slice(0, 16).replace('T', ' ')}</td>
                  <td>
                    {r.channel} {r.direction}
                  </td>
                  <td>{r.from ?? '—'}</td>
                  <td>{r.result}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {cursor ? (
        <button type="button" onClick={() => void load(cursor, false)}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
