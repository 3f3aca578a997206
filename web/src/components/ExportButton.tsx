import { useEffect, useId, useState } from 'react';
import { api, errorText } from '../api.js';
import type { ExportCount, JobView } from '../apiTypes.js';
import {
  exportColumns,
  exportFilters,
  exportUrl,
  LARGE_EXPORT_ROWS,
  VIEW_PRIVILEGE,
  type ListObject,
  type ListQuery,
} from '../exports.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { Dialog } from './Dialog.js';
import { useToast } from './Toasts.js';

/**
 * The Export button of a list (customers, cases): exports exactly what the list
 * shows, its filters and its columns in their order, as CSV or JSON Lines,
 * downloaded at once (a plain link to the streamed export) or prepared in the
 * background for "My downloads". Shown only to users who may export this list.
 */
export function ExportButton({
  object,
  query,
  columns,
}: {
  object: ListObject;
  /** The list's query as it sends it (its filters; sort and paging are ignored). */
  query: ListQuery;
  /** The list's column ids in the order shown. */
  columns: string[];
}) {
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  if (!can('data.export') || !can(VIEW_PRIVILEGE[object])) return null;
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Export
      </button>
      <Dialog open={open} title={`Export ${object}`} onClose={() => setOpen(false)}>
        {open && <ExportForm object={object} query={query} columns={columns} onDone={() => setOpen(false)} />}
      </Dialog>
    </>
  );
}

type Mode = 'now' | 'background';

function ExportForm({
  object,
  query,
  columns,
  onDone,
}: {
  object: ListObject;
  query: ListQuery;
  columns: string[];
  onDone: () => void;
}) {
  const { me } = useSession();
  const toast = useToast();
  const id = useId();
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const [bom, setBom] = useState(false);
  const [mode, setMode] = useState<Mode>('now');
  const [count, setCount] = useState<ExportCount | null>(null);
  /** The list's filters cannot be exported (the count refused them): nothing can start. */
  const [refused, setRefused] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Taken once, when the dialog opens: the export is of the list as it was then.
  const [spec] = useState(() => ({
    ...exportFilters(object, query, me),
    columns: exportColumns(object, columns),
  }));
  const blocked = spec.unsupported.length > 0;

  useEffect(() => {
    if (blocked) return;
    const ctl = new AbortController();
    api.get<ExportCount>(`/api/v1/exports/${object}/count`, spec.filters, ctl.signal).then(
      (c) => {
        setCount(c);
        if (c.more || c.rows >= LARGE_EXPORT_ROWS) setMode('background');
      },
      (e) => {
        if (!ctl.signal.aborted) setRefused(`This list cannot be exported as it is filtered: ${errorText(e)}`);
      },
    );
    return () => ctl.abort();
  }, [object, spec, blocked]);

  const url = exportUrl(object, { format, bom, columns: spec.columns, filters: spec.filters });

  const prepare = async () => {
    setBusy(true);
    try {
      await api.post<JobView>('/api/v1/exports', {
        object,
        format,
        bom: format === 'csv' ? bom : undefined,
        columns: spec.columns,
        filters: spec.filters,
      });
      toast({
        text: `Your ${object} export is being prepared.`,
        link: { to: '/downloads', label: 'My downloads' },
      });
      onDone();
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const rows = count ? `${count.rows.toLocaleString()}${count.more ? '+' : ''}` : null;
  return (
    // Not a form: the dialog sits inside the list's filter form, and forms do not nest.
    <div className="export-form" role="group" aria-label={`Export ${object}`}>
      <p aria-live="polite">
        {blocked
          ? null
          : count
            ? `${rows} ${object} match the list's filters.`
            : refused
              ? null
              : `Counting the ${object}…`}
      </p>
      <p className="hint">
        The file has the list&apos;s columns in the order shown, and every matching record, not only the rows loaded on
        screen.
      </p>
      {blocked && (
        <p className="error" role="alert">
          An export cannot apply the {spec.unsupported.join(', ')} of this list. Clear {spec.unsupported.join(', ')}{' '}
          (the other filters are kept) to export.
        </p>
      )}
      <fieldset>
        <legend>Format</legend>
        <label className="check">
          <input type="radio" name={`${id}-format`} checked={format === 'csv'} onChange={() => setFormat('csv')} />
          CSV (spreadsheets)
        </label>
        <label className="check">
          <input type="radio" name={`${id}-format`} checked={format === 'jsonl'} onChange={() => setFormat('jsonl')} />
          JSON Lines (programs)
        </label>
      </fieldset>
      {format === 'csv' && (
        <label className="check">
          <input type="checkbox" checked={bom} onChange={(e) => setBom(e.target.checked)} /> Include BOM for Excel
        </label>
      )}
      <fieldset>
        <legend>When</legend>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={mode === 'now'} onChange={() => setMode('now')} />
          Download now
        </label>
        <label className="check">
          <input
            type="radio"
            name={`${id}-mode`}
            checked={mode === 'background'}
            onChange={() => setMode('background')}
          />
          Prepare in background
        </label>
        <p className="hint">
          A file prepared in the background is kept for you under{' '}
          <Link to="/downloads" onClick={onDone}>
            My downloads
          </Link>
          .
        </p>
      </fieldset>
      {count && (count.more || count.rows >= LARGE_EXPORT_ROWS) && (
        <p className="hint">This is a large export: preparing it in the background is kinder to everyone.</p>
      )}
      {(refused ?? problem) && !blocked && (
        <p className="error" role="alert">
          {refused ?? problem}
        </p>
      )}
      <div className="actions">
        {mode === 'now' ? (
          blocked || refused ? (
            <button type="button" className="primary" disabled>
              Download
            </button>
          ) : (
            // A plain link: the browser streams the file to disk, signed in by the session cookie.
            <a className="button primary" href={url} download onClick={() => setTimeout(onDone, 0)}>
              Download
            </a>
          )
        ) : (
          <button
            type="button"
            className="primary"
            disabled={busy || blocked || refused !== null}
            onClick={() => void prepare()}
          >
            Prepare
          </button>
        )}
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  );
}
