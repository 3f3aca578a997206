import { useEffect, useRef, useState, type DragEvent } from 'react';
import { api, ApiError, errorText, type Page } from '../api.js';
import { Field, Select } from '../components/Field.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { live } from '../live.js';
import type {
  ImportDetail,
  ImportMapping as Mapping,
  ImportObjectType as ObjectType,
  ImportRun as Run,
  ImportView,
  PreviewRow,
  SavedMapping,
} from '../apiTypes.js';

/**
 * Admin → Import: drop a file, map its columns (suggested from the header),
 * preview the first rows, dry run, run with a live progress bar, download the
 * failed rows; and every past import. docs/importing.md says what each step does.
 */

type MappingColumn = Mapping['columns'][number];

const OBJECT_LABELS: Record<ObjectType, string> = { customers: 'Customers', cases: 'Cases', followUps: 'Follow-ups' };
const MATCH_KEYS: Record<ObjectType, string[]> = {
  customers: ['accountNumber', 'email', 'phone'],
  cases: ['caseNumber'],
  followUps: [],
};
const PHONE_TYPES = ['voice', 'mobile', 'work', 'home', 'fax'] as const;
type PhoneType = NonNullable<MappingColumn['phoneType']>;
const going = (r: Run | null) => r !== null && (r.status === 'queued' || r.status === 'running');

async function uploadFile(file: File, objectType: ObjectType): Promise<ImportDetail> {
  const csrf = await api.get<{ csrfToken: string }>('/api/v1/me');
  const res = await fetch(`/api/v1/imports?objectType=${objectType}&fileName=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf.csrfToken, Accept: 'application/json' },
    body: file,
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(res.status, body);
  return body as unknown as ImportDetail;
}

function cellOf(sample: unknown, column: string, index: number): string {
  if (Array.isArray(sample)) return String(sample[index] ?? '');
  if (sample && typeof sample === 'object') {
    const v = column
      .split('.')
      .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), sample);
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return '';
}

/** A planned record in one line: set values only, phones as "number (type)", nested fields by path. */
function describeRecord(record: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === null || v === '' || v === false || v === undefined) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (k === 'phones' && Array.isArray(v)) {
      parts.push(
        `phones: ${(v as { number: string; type: string }[]).map((p) => `${p.number} (${p.type})`).join(', ')}`,
      );
    } else if (typeof v === 'object' && !Array.isArray(v)) {
      const inner = describeRecord(v as Record<string, unknown>, key);
      if (inner) parts.push(inner);
    } else parts.push(`${key}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  }
  return parts.join(' · ');
}

function CountsLine({ run }: { run: Run }) {
  const c = run.counts;
  return (
    <span className="import-counts">
      {c.read.toLocaleString()} read · {c.created.toLocaleString()} created · {c.updated.toLocaleString()} updated ·{' '}
      {c.unchanged.toLocaleString()} unchanged ·{' '}
      <span className={c.failed ? 'bad' : undefined}>{c.failed.toLocaleString()} failed</span>
    </span>
  );
}

function RunProgress({ imp, run, dry }: { imp: ImportView; run: Run; dry: boolean }) {
  const share = run.total > 0 ? Math.min(100, Math.floor((run.counts.read * 100) / run.total)) : 0;
  const label = dry ? 'Dry run' : 'Import';
  return (
    <div className="import-run" data-testid={dry ? 'dry-run' : 'run'}>
      <div className="import-run-head">
        <strong>
          {label}: {run.status}
        </strong>{' '}
        {going(run) && (
          <span>
            {share}%{run.rowsPerSecond ? ` · ${run.rowsPerSecond.toLocaleString()} rows/s` : ''}
            {run.secondsLeft !== null ? ` · ${run.secondsLeft} s left` : ''}
          </span>
        )}
      </div>
      <progress
        max={run.total}
        value={run.counts.read}
        aria-label={`${label} progress`}
        aria-valuetext={`${run.counts.read} of ${run.total} rows`}
      />
      <CountsLine run={run} />
      {run.error && <p className="error">{run.error}</p>}
      {run.counts.failed > 0 && !going(run) && (
        <p>
          <a href={`/api/v1/imports/${imp.id}/errors.csv${dry ? '?dryRun=true' : ''}`} download>
            Download the {run.counts.failed.toLocaleString()} failed rows
          </a>{' '}
          (with an error column: fix them and import that file again)
        </p>
      )}
    </div>
  );
}

function Mapper({ imp, onChanged }: { imp: ImportDetail; onChanged: () => void }) {
  const [mapping, setMapping] = useState<Mapping>(imp.suggestedMapping);
  const [mode, setMode] = useState('create');
  const [match, setMatch] = useState<string[]>(
    imp.objectType === 'customers' ? ['accountNumber', 'email'] : imp.objectType === 'cases' ? ['caseNumber'] : [],
  );
  const [region, setRegion] = useState('');
  const [preview, setPreview] = useState<PreviewRow[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saveName, setSaveName] = useState('');
  const { data: saved, reload: reloadSaved } = useLoad(
    (signal) => api.get<{ items: SavedMapping[] }>('/api/v1/import-mappings', { objectType: imp.objectType }, signal),
    [imp.objectType],
  );
  const entry = (column: string) => mapping.columns.find((c) => c.column === column);
  const setEntry = (column: string, e: Partial<MappingColumn> | null) => {
    const rest = mapping.columns.filter((c) => c.column !== column);
    if (!e || !e.field) return setMapping({ columns: rest });
    const old = entry(column);
    const next: MappingColumn = { column, field: e.field ?? old?.field ?? '' };
    const phoneType = 'phoneType' in e ? e.phoneType : old?.phoneType;
    const blank = 'blank' in e ? e.blank : old?.blank;
    if (imp.targets.find((t) => t.field === next.field)?.kind === 'phone') next.phoneType = phoneType ?? 'voice';
    if (blank === 'clear') next.blank = 'clear';
    setMapping({
      columns: [...rest, next].sort((a, b) => imp.columns.indexOf(a.column) - imp.columns.indexOf(b.column)),
    });
  };
  const settings = () => ({ mapping, mode, match, ...(region ? { region } : {}) });
  const act = async (what: 'preview' | 'dry-run' | 'start') => {
    setProblem(null);
    try {
      if (what === 'preview') {
        setPreview((await api.post<{ rows: PreviewRow[] }>(`/api/v1/imports/${imp.id}/preview`, settings())).rows);
      } else {
        await api.post(`/api/v1/imports/${imp.id}/${what}`, settings());
        onChanged();
      }
    } catch (err) {
      setProblem(
        err instanceof ApiError && err.errors.length
          ? err.errors.map((e) => `${e.field}: ${e.message}`).join('; ')
          : errorText(err),
      );
    }
  };
  const save = async () => {
    try {
      await api.post('/api/v1/import-mappings', { objectType: imp.objectType, name: saveName, mapping });
      setSaveName('');
      reloadSaved();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  const unmapped = imp.columns.filter((c) => !entry(c));
  return (
    <div className="import-mapper">
      <h3>Columns</h3>
      <div className="filters">
        <Select
          label="Saved mapping"
          value=""
          onChange={(e) => {
            const m = saved?.items.find((s) => s.id === e.target.value);
            if (m) setMapping({ columns: m.mapping.columns.filter((c) => imp.columns.includes(c.column)) });
          }}
          options={[
            { value: '', label: 'Use a saved mapping…' },
            ...(saved?.items ?? []).map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
        <Field label="Save this mapping as" value={saveName} onChange={(e) => setSaveName(e.target.value)} />
        <div className="field end">
          <button type="button" disabled={!saveName.trim()} onClick={() => void save()}>
            Save mapping
          </button>
        </div>
      </div>
      <div className="table-wrap">
        <table className="list import-columns">
          <caption className="sr-only">Column mapping</caption>
          <thead>
            <tr>
              <th scope="col">Column in the file</th>
              <th scope="col">First values</th>
              <th scope="col">Goes to</th>
              <th scope="col">Options</th>
            </tr>
          </thead>
          <tbody>
            {imp.columns.map((column, i) => {
              const e = entry(column);
              const target = imp.targets.find((t) => t.field === e?.field);
              return (
                <tr key={column}>
                  <th scope="row">{column}</th>
                  <td className="sample">
                    {imp.sample
                      .slice(0, 3)
                      .map((s) => cellOf(s, column, i))
                      .filter(Boolean)
                      .join(' · ')}
                  </td>
                  <td>
                    <select
                      aria-label={`Field for ${column}`}
                      value={e?.field ?? ''}
                      onChange={(ev) => setEntry(column, { field: ev.target.value })}
                    >
                      <option value="">— not imported —</option>
                      {imp.targets.map((t) => (
                        <option key={t.field} value={t.field}>
                          {t.label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {target?.kind === 'phone' && (
                      <select
                        aria-label={`Phone type for ${column}`}
                        value={e?.phoneType ?? 'voice'}
                        onChange={(ev) => setEntry(column, { phoneType: ev.target.value as PhoneType })}
                      >
                        {PHONE_TYPES.map((p) => (
                          <option key={p}>{p}</option>
                        ))}
                      </select>
                    )}
                    {e && (
                      <label className="inline">
                        <input
                          type="checkbox"
                          checked={e.blank === 'clear'}
                          onChange={(ev) => setEntry(column, { blank: ev.target.checked ? 'clear' : 'keep' })}
                        />{' '}
                        a blank cell clears
                      </label>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {unmapped.length > 0 && <p className="hint">Not imported: {unmapped.join(', ')}</p>}
      <div className="filters">
        <Select
          label="Mode"
          value={mode}
          onChange={(e) => setMode(e.target.value)}
          options={[
            { value: 'create', label: 'Create new records only' },
            { value: 'upsert', label: 'Create or update' },
            { value: 'update', label: 'Update existing only' },
          ]}
        />
        {MATCH_KEYS[imp.objectType].length > 0 && (
          <fieldset className="field">
            <legend>Match by (in order)</legend>
            {MATCH_KEYS[imp.objectType].map((k) => (
              <label key={k} className="inline">
                <input
                  type="checkbox"
                  checked={match.includes(k)}
                  onChange={(ev) => setMatch(ev.target.checked ? [...match, k] : match.filter((m) => m !== k))}
                />{' '}
                {k}
              </label>
            ))}
          </fieldset>
        )}
        {imp.objectType === 'customers' && (
          <Field
            label="Phone region"
            placeholder="US"
            maxLength={2}
            value={region}
            onChange={(e) => setRegion(e.target.value.toUpperCase())}
          />
        )}
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => void act('preview')}>
          Preview
        </button>
        <button type="button" disabled={going(imp.dryRun)} onClick={() => void act('dry-run')}>
          Dry run
        </button>
        <button type="button" className="primary" disabled={going(imp.dryRun)} onClick={() => void act('start')}>
          Start import
        </button>
      </div>
      {preview && (
        <div className="table-wrap">
          <table className="list import-preview">
            <caption>The first rows as they would be stored</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Outcome</th>
                <th scope="col">Record</th>
              </tr>
            </thead>
            <tbody>
              {preview.map((r) => (
                <tr key={r.row} className={r.outcome === 'failed' ? 'failed' : undefined}>
                  <td>{r.row}</td>
                  <td>{r.outcome}</td>
                  <td>
                    {r.outcome === 'failed'
                      ? r.errors.map((e) => `${e.column ? `${e.column}: ` : ''}${e.message}`).join('; ')
                      : describeRecord(r.record ?? {})}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function AdminImport() {
  const [objectType, setObjectType] = useState<ObjectType>('customers');
  const [current, setCurrent] = useState<ImportDetail | null>(null);
  const [uploading, setUploading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const { data: list, reload } = useLoad(
    (signal) => api.get<Page<ImportView>>('/api/v1/imports', { limit: 50 }, signal),
    [],
  );

  const refresh = async (id: string) => {
    setCurrent(await api.get<ImportDetail>(`/api/v1/imports/${id}`));
    reload();
  };
  // Live progress: the server's import events, and a slow poll while a run goes (in case the stream is down).
  useEffect(() => {
    if (!current) return;
    const id = current.id;
    const off = live.subscribe((e) => {
      if (e.recordId === id && (e.type === 'import.progress' || e.type === 'import.completed')) void refresh(id);
    });
    const timer = going(current.run) || going(current.dryRun) ? setInterval(() => void refresh(id), 3000) : null;
    return () => {
      off();
      if (timer) clearInterval(timer);
    };
  }, [current?.id, current?.run?.status, current?.dryRun?.status]);

  const take = async (file: File | undefined) => {
    if (!file) return;
    setProblem(null);
    setUploading(true);
    try {
      setCurrent(await uploadFile(file, objectType));
      reload();
    } catch (err) {
      setProblem(
        err instanceof ApiError && err.errors.length ? err.errors.map((e) => e.message).join('; ') : errorText(err),
      );
    } finally {
      setUploading(false);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void take(e.dataTransfer.files[0]);
  };

  return (
    <div className="admin-import">
      <h2>Import</h2>
      {!current && (
        <>
          <div className="filters">
            <Select
              label="Import"
              value={objectType}
              onChange={(e) => setObjectType(e.target.value as ObjectType)}
              options={(Object.keys(OBJECT_LABELS) as ObjectType[]).map((k) => ({ value: k, label: OBJECT_LABELS[k] }))}
            />
          </div>
          <div
            className={dragging ? 'dropzone dragging' : 'dropzone'}
            data-testid="dropzone"
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <p>{uploading ? 'Uploading and checking the file…' : 'Drop a CSV or JSON Lines file here'}</p>
            <button type="button" onClick={() => input.current?.click()} disabled={uploading}>
              Choose a file
            </button>
            <input
              ref={input}
              type="file"
              accept=".csv,.txt,.tsv,.jsonl,.ndjson,text/csv"
              className="sr-only"
              aria-label="File to import"
              onChange={(e) => void take(e.target.files?.[0])}
            />
          </div>
          {problem && (
            <p className="error" role="alert">
              {problem}
            </p>
          )}
        </>
      )}
      {current && (
        <section className="import-current" aria-label="This import">
          <div className="screen-head">
            <h3>
              {OBJECT_LABELS[current.objectType]} from {current.fileName}
            </h3>
            <button type="button" onClick={() => setCurrent(null)}>
              New import
            </button>
          </div>
          <p className="hint">
            {current.totalRows.toLocaleString()} rows · {current.format.toUpperCase()} · {current.encoding}
            {current.delimiter ? ` · delimiter ${current.delimiter === '\t' ? 'tab' : current.delimiter}` : ''}
          </p>
          {current.dryRun && <RunProgress imp={current} run={current.dryRun} dry />}
          {current.run && <RunProgress imp={current} run={current.run} dry={false} />}
          {current.run && going(current.run) && (
            <button
              type="button"
              className="danger"
              onClick={() => void api.post(`/api/v1/imports/${current.id}/cancel`).then(() => refresh(current.id))}
            >
              Cancel import
            </button>
          )}
          {!current.run && <Mapper imp={current} onChanged={() => void refresh(current.id)} />}
        </section>
      )}
      <h3>Imports</h3>
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Every import</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Of</th>
              <th scope="col">By</th>
              <th scope="col">When</th>
              <th scope="col">Mode</th>
              <th scope="col">Status</th>
              <th scope="col">Counts</th>
            </tr>
          </thead>
          <tbody>
            {(list?.items ?? []).map((i) => (
              <tr key={i.id}>
                <td data-label="File">
                  <button type="button" className="link" onClick={() => void refresh(i.id)}>
                    {i.fileName}
                  </button>
                </td>
                <td data-label="Of">{OBJECT_LABELS[i.objectType]}</td>
                <td data-label="By">{(i.run?.startedBy ?? i.createdBy).name}</td>
                <td data-label="When">{formatDateTime(i.run?.startedAt ?? i.createdAt)}</td>
                <td data-label="Mode">{String(i.run?.settings.mode ?? '—')}</td>
                <td data-label="Status">{i.status}</td>
                <td data-label="Counts">
                  {i.run ? <CountsLine run={i.run} /> : `${i.totalRows.toLocaleString()} rows`}
                  {i.run && i.run.counts.failed > 0 && !going(i.run) && (
                    <>
                      {' '}
                      <a href={`/api/v1/imports/${i.id}/errors.csv`} download aria-label={`errors of ${i.fileName}`}>
                        errors
                      </a>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
