import { useId, useRef, useState, type DragEvent } from 'react';
import { api, ApiError, errorText } from '../api.js';
import type { UploadedAttachment } from '../apiTypes.js';

export const fileSize = (n: number) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`;

/** Uploads files for a new note or reply on the case; they stay pending until the follow-up names them. */
async function uploadFiles(caseId: string, files: File[]): Promise<UploadedAttachment[]> {
  const me = await api.get<{ csrfToken: string }>('/api/v1/me');
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  const res = await fetch(`/api/v1/cases/${caseId}/attachments`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': me.csrfToken, Accept: 'application/json' },
    body: form,
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(res.status, body);
  return (body as { items: UploadedAttachment[] }).items;
}

/**
 * "Attach files": a button and a drop area for files to send with a note or a
 * reply, with the list of attached files (each removable). The server checks
 * the size limits and the virus scanner; its refusal is shown in plain words.
 */
export function AttachFiles({
  caseId,
  files,
  onChange,
  label = 'Attach files',
}: {
  caseId: string;
  files: UploadedAttachment[];
  onChange: (files: UploadedAttachment[]) => void;
  label?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errId = useId();

  const take = async (list: FileList | null | undefined) => {
    const chosen = list ? Array.from(list) : [];
    if (chosen.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      onChange([...files, ...(await uploadFiles(caseId, chosen))]);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void take(e.dataTransfer.files);
  };

  return (
    <div
      className={dragging ? 'attach-zone dragging' : 'attach-zone'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <button
        type="button"
        onClick={() => input.current?.click()}
        disabled={busy}
        aria-describedby={error ? errId : undefined}
      >
        {busy ? 'Uploading…' : label}
      </button>
      <span className="muted"> or drop files here</span>
      <input
        ref={input}
        type="file"
        multiple
        className="sr-only"
        aria-label={label}
        tabIndex={-1}
        onChange={(e) => void take(e.target.files)}
      />
      {files.length > 0 && (
        <ul className="attached" aria-label="Attached files">
          {files.map((f) => (
            <li key={f.id}>
              <span>
                {f.filename} ({fileSize(f.size)})
              </span>{' '}
              <button
                type="button"
                className="link"
                aria-label={`Remove ${f.filename}`}
                onClick={() => onChange(files.filter((x) => x.id !== f.id))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="error" id={errId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** The files attached to a follow-up, as download links. */
export function AttachmentLinks({ files }: { files: UploadedAttachment[] }) {
  if (files.length === 0) return null;
  return (
    <ul className="attachments" aria-label="Attachments">
      {files.map((a) => (
        <li key={a.id}>
          <a href={a.url} download={a.filename}>
            {a.filename}
          </a>{' '}
          ({fileSize(a.size)})
        </li>
      ))}
    </ul>
  );
}
