import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { AttachFiles } from '../components/AttachFiles.js';
import { CannedReplyPicker } from '../components/CannedReplyPicker.js';
import { FaqLinkPicker } from '../components/FaqLinkPicker.js';
import { Field, FormErrors, TextArea } from '../components/Field.js';
import { RichTextEditor, textToHtml } from '../components/RichTextEditor.js';
import { useStoredState } from '../hooks.js';
import type { Case, RenderedCannedReply, UploadedAttachment } from '../apiTypes.js';

const split = (s: string) =>
  s
    .split(/[,;\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Reply to the customer by email: a public follow-up sent through the mail relay. Alt+I (or the
 * button) inserts a canned reply at the cursor of the message, its placeholders filled; "Insert
 * FAQ link" inserts the Support Center address of a published FAQ article.
 */
export function EmailReply({
  c,
  customerEmail,
  onSent,
  onCancel,
}: {
  c: Case;
  customerEmail: string | null;
  onSent: () => void;
  onCancel: () => void;
}) {
  const [v, setV, clear] = useStoredState(`case:reply:${c.id}`, {
    to: customerEmail ?? '',
    cc: '',
    bcc: '',
    subject: `Re: ${c.subject}`,
    body: '',
    // Rich text: the editor's HTML (the server sanitises it and derives the plain-text part).
    rich: false,
    html: '',
  });
  const [files, setFiles] = useState<UploadedAttachment[]>([]);
  const editor = useRef<HTMLDivElement>(null);
  // The editor's selection when the canned-reply picker opened.
  const richRange = useRef<Range | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (p: Partial<typeof v>) => setV((o) => ({ ...o, ...p }));
  const [picking, setPicking] = useState(false);
  const [pickingFaq, setPickingFaq] = useState(false);
  const bodyBox = useRef<HTMLDivElement>(null);
  const messageArea = () => bodyBox.current?.querySelector('textarea') ?? null;
  // Where the cursor (or selection) was in the message when the picker opened.
  const caret = useRef<{ start: number; end: number } | null>(null);
  const pendingCaret = useRef<number | null>(null);
  // Runs after the picker's dialog closed (a child's effects run first), which hands focus back.
  useEffect(() => {
    const at = pendingCaret.current;
    const ta = messageArea();
    if (picking || pickingFaq || at === null || !ta) return;
    pendingCaret.current = null;
    ta.focus();
    ta.setSelectionRange(at, at);
  });

  /** Remembers where the cursor is in the message, then opens a picker. */
  const openPicker = (open: (on: boolean) => void = setPicking) => {
    if (v.rich) {
      const sel = window.getSelection();
      const r = sel && sel.rangeCount ? sel.getRangeAt(0) : null;
      richRange.current = r && editor.current?.contains(r.commonAncestorContainer) ? r.cloneRange() : null;
      open(true);
      return;
    }
    const ta = messageArea();
    caret.current = ta ? { start: ta.selectionStart, end: ta.selectionEnd } : null;
    open(true);
  };
  const insert = (r: RenderedCannedReply) => {
    setPicking(false);
    insertText(r.body);
  };
  /** A FAQ article's link: a real link in rich text, "Title: address" in plain text. */
  const insertFaq = (a: { title: string; url: string }) => {
    setPickingFaq(false);
    insertText(`${a.title}: ${a.url}`, `<a href="${escapeHtml(a.url)}">${escapeHtml(a.title)}</a>`);
  };
  /** Inserts at the remembered cursor: `html` (when given) into rich text, else `text`. */
  const insertText = (text: string, html?: string) => {
    if (v.rich) {
      const el = editor.current;
      if (!el) return;
      el.focus();
      const sel = window.getSelection();
      if (sel) {
        sel.removeAllRanges();
        if (richRange.current) sel.addRange(richRange.current);
        else {
          const end = document.createRange();
          end.selectNodeContents(el);
          end.collapse(false);
          sel.addRange(end);
        }
      }
      if (html) document.execCommand('insertHTML', false, html);
      else document.execCommand('insertText', false, text);
      set({ html: el.innerHTML, body: el.innerText });
      return;
    }
    const at = caret.current ?? { start: v.body.length, end: v.body.length };
    const body = v.body.slice(0, at.start) + text + v.body.slice(at.end);
    set({ body });
    // Back to the message, the cursor after the inserted text (once the picker has closed).
    pendingCaret.current = at.start + text.length;
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'i' || e.key === 'I' || e.code === 'KeyI')) {
      e.preventDefault();
      openPicker();
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body: Record<string, unknown> = { body: v.body, subject: v.subject };
      if (v.rich) body.html = v.html;
      if (files.length) body.attachmentIds = files.map((f) => f.id);
      if (v.to.trim()) body.to = split(v.to);
      if (v.cc.trim()) body.cc = split(v.cc);
      if (v.bcc.trim()) body.bcc = split(v.bcc);
      await api.post(`/api/v1/cases/${c.id}/replies`, body);
      clear();
      onSent();
    } catch (err) {
      const fe = fieldErrors(err);
      // Errors on list items ("to.0") belong to the list's field.
      for (const k of Object.keys(fe)) {
        const top = k.split('.')[0];
        if (top !== k && !fe[top]) fe[top] = fe[k];
      }
      setErrors(fe);
      setMessage(err instanceof ApiError && err.errors.length ? 'Please correct the fields marked.' : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Reply by email" onKeyDown={onKeyDown}>
      <Field
        label="To"
        value={v.to}
        onChange={(e) => set({ to: e.target.value })}
        error={errors.to}
        hint="Separate addresses with commas."
      />
      <div className="row">
        <Field label="CC" value={v.cc} onChange={(e) => set({ cc: e.target.value })} error={errors.cc} />
        <Field label="BCC" value={v.bcc} onChange={(e) => set({ bcc: e.target.value })} error={errors.bcc} />
      </div>
      <Field
        label="Subject"
        value={v.subject}
        onChange={(e) => set({ subject: e.target.value })}
        error={errors.subject}
      />
      <div ref={bodyBox}>
        {v.rich ? (
          <RichTextEditor
            label="Message"
            html={v.html}
            editorRef={editor}
            onChange={(html, text) => set({ html, body: text })}
            error={errors.body ?? errors.html}
            keyShortcuts="Alt+I"
          />
        ) : (
          <TextArea
            label="Message"
            rows={8}
            value={v.body}
            onChange={(e) => set({ body: e.target.value })}
            error={errors.body}
            aria-keyshortcuts="Alt+I"
          />
        )}
      </div>
      <AttachFiles caseId={c.id} files={files} onChange={setFiles} />
      {errors.attachmentIds && (
        <p className="error" role="alert">
          {errors.attachmentIds}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => openPicker()} aria-keyshortcuts="Alt+I">
          Insert canned reply <kbd>Alt+I</kbd>
        </button>
        <button type="button" onClick={() => openPicker(setPickingFaq)}>
          Insert FAQ link
        </button>
        <button
          type="button"
          aria-pressed={v.rich}
          onClick={() =>
            v.rich
              ? set({ rich: false, body: editor.current?.innerText ?? v.body })
              : set({ rich: true, html: textToHtml(v.body) })
          }
        >
          Rich text
        </button>
      </div>
      <CannedReplyPicker open={picking} caseId={c.id} onPick={insert} onClose={() => setPicking(false)} />
      <FaqLinkPicker open={pickingFaq} onPick={insertFaq} onClose={() => setPickingFaq(false)} />
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Send reply
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
