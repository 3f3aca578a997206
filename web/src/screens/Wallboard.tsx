import { useEffect, useRef } from 'react';
import { api, errorText } from '../api.js';
import { useLoad } from '../hooks.js';
import { live } from '../live.js';
import { Link } from '../router.js';
import { figureHref, viewerZone } from './Reports.js';
import type { Figure, Wallboard } from '../apiTypes.js';

type WallboardData = Wallboard;

/** Refreshes at most once a second after a change, and every 15 s regardless (docs/reports.md, Wallboard). */
const MIN_GAP_MS = 1000;
const EVERY_MS = 15_000;

function Tile({ label, f, alert }: { label: string; f: Figure | number; alert?: boolean }) {
  const n = typeof f === 'number' ? f : f.count;
  const href = typeof f === 'number' ? null : figureHref(f);
  return (
    <div className={`tile${alert && n > 0 ? ' tile-alert' : ''}`} data-tile={label}>
      <div className="tile-value">{href ? <Link to={href}>{n}</Link> : n}</div>
      <div className="tile-label">{label}</div>
    </div>
  );
}

export function WallboardScreen() {
  const tz = viewerZone();
  const { data, error, reload } = useLoad((s) => api.get<WallboardData>('/api/v1/reports/wallboard', { tz }, s), [tz]);
  const last = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    const refresh = () => {
      if (pending.current) return;
      const wait = Math.max(0, last.current + MIN_GAP_MS - Date.now());
      pending.current = setTimeout(() => {
        pending.current = null;
        last.current = Date.now();
        reload();
      }, wait);
    };
    const off = live.subscribe((e) => {
      if (e.type === 'record.changed' || e.type === 'reset') refresh();
    });
    const every = setInterval(refresh, EVERY_MS);
    return () => {
      off();
      clearInterval(every);
      if (pending.current) clearTimeout(pending.current);
    };
  }, [reload]);
  return (
    <section className="wallboard" aria-live="polite">
      <h1 className="sr-only">Wallboard</h1>
      {error ? <p role="alert">{errorText(error)}</p> : null}
      {data && (
        <div className="tiles">
          <Tile label="Interactions, last hour" f={data.interactionsLastHour} />
          <Tile label="Interactions today" f={data.interactionsToday} />
          <Tile label="Open cases" f={data.openCases} />
          <Tile label="Unassigned cases" f={data.unassignedCases} alert />
          <Tile
            label={`No first response after ${data.firstResponseBreaches.targetMinutes} min`}
            f={data.firstResponseBreaches.cases}
            alert
          />
          <Tile label="Overdue tasks" f={data.overdueTasks} alert />
          <Tile label="Agents connected" f={data.agentsConnected} />
        </div>
      )}
      <p className="muted wallboard-foot">
        Updated {data ? new Date(data.generatedAt).toLocaleTimeString() : '…'} · <Link to="/reports">Reports</Link>
      </p>
    </section>
  );
}
