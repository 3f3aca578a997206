import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import type { ExportFile, JobView } from '../apiTypes.js';
import { OBJECT_LABEL, formatBytes } from '../exports.js';
import { formatDateTime } from '../format.js';

/** How often the screen asks again while an export is still being prepared. */
const POLL_MS = 2000;

interface Row {
  job: JobView;
  file: ExportFile | null;
}

const going = (j: JobView) => j.status === 'queued' || j.status === 'running';

function what(job: JobView): string {
  const object = typeof job.params.object === 'string' ? job.params.object : 'records';
  const format = job.params.format === 'jsonl' ? 'JSON Lines' : 'CSV';
  const label = OBJECT_LABEL[object] ?? object;
  return `${label.charAt(0).toUpperCase()}${label.slice(1)} (${format}${job.params.gzip === true ? ', gzip' : ''})`;
}

/** The state in plain words. */
function state(r: Row): string {
  const { job, file } = r;
  switch (job.status) {
    case 'queued':
      return 'Waiting to start';
    case 'running':
      return `Preparing: ${job.progress.done.toLocaleString()}${
        job.progress.total !== null ? ` of ${job.progress.total.toLocaleString()}` : ''
      } rows`;
    case 'succeeded':
      return file ? 'Ready' : 'Expired: the file is no longer kept; export again for a new one';
    case 'failed':
      return `Failed${job.error ? `: ${job.error}` : ''}. Export again to retry`;
    case 'cancelled':
      return 'Cancelled';
  }
}

/**
 * My downloads: the signed-in user's background exports, newest first, with
 * their progress while they are prepared (asked again every two seconds, only
 * while one is going and the tab is visible), their size and expiry, and a
 * download link once ready.
 */
export function DownloadsScreen() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    const [jobs, files] = await Promise.all([
      api.get<Page<JobView>>('/api/v1/jobs', { kind: 'export', limit: 100 }, signal),
      api.get<{ items: ExportFile[] }>('/api/v1/exports/downloads', undefined, signal),
    ]);
    const byId = new Map(files.items.map((f) => [f.id, f]));
    return jobs.items.map((job) => ({ job, file: byId.get(job.id) ?? null }));
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    let stopped = false;
    const tick = async () => {
      try {
        const next = await load(ctl.signal);
        if (stopped) return;
        setRows(next);
        setError(null);
        if (next.some((r) => going(r.job))) timer.current = setTimeout(() => void wait(), POLL_MS);
      } catch (e) {
        if (stopped) return;
        setError(errorText(e));
        timer.current = setTimeout(() => void wait(), POLL_MS * 5);
      }
    };
    // A hidden tab does not ask: it asks again once it is shown.
    const wait = async () => {
      if (document.hidden) {
        const onShow = () => {
          document.removeEventListener('visibilitychange', onShow);
          void tick();
        };
        document.addEventListener('visibilitychange', onShow);
        return;
      }
      await tick();
    };
    void tick();
    return () => {
      stopped = true;
      ctl.abort();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [load]);

  return (
    <section className="screen downloads">
      <div className="screen-head">
        <h1 tabIndex={-1}>My downloads</h1>
      </div>
      <p className="hint">
        Exports prepared in the background (Export → Prepare in background on the Customers and Cases lists). Only you
        can download them; each is kept for a limited time.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {rows === null && !error && <p className="loading">Loading…</p>}
      {rows && rows.length === 0 && <p className="empty">You have no exports yet.</p>}
      {rows && rows.length > 0 && (
        <div className="table-wrap">
          <table className="list" aria-live="polite">
            <caption className="sr-only">My downloads</caption>
            <thead>
              <tr>
                <th scope="col">Export</th>
                <th scope="col">Asked for</th>
                <th scope="col">State</th>
                <th scope="col">Rows</th>
                <th scope="col">Size</th>
                <th scope="col">Kept until</th>
                <th scope="col">File</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.job.id} data-status={r.job.status}>
                  <td data-label="Export">{what(r.job)}</td>
                  <td data-label="Asked for">{formatDateTime(r.job.createdAt)}</td>
                  <td data-label="State">
                    <span>{state(r)}</span>
                    {r.job.status === 'running' && (
                      <progress
                        className="export-progress"
                        max={r.job.progress.total ?? undefined}
                        value={r.job.progress.total !== null ? r.job.progress.done : undefined}
                        aria-label={`${what(r.job)} progress`}
                      />
                    )}
                  </td>
                  <td data-label="Rows">{r.file ? r.file.rows.toLocaleString() : ''}</td>
                  <td data-label="Size">{r.file ? formatBytes(r.file.bytes) : ''}</td>
                  <td data-label="Kept until">{r.file ? formatDateTime(r.file.expiresAt) : ''}</td>
                  <td data-label="File">
                    {r.file && (
                      <a href={`/api/v1/exports/downloads/${r.job.id}`} download={r.file.fileName}>
                        Download <span className="sr-only">{r.file.fileName}</span>
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
