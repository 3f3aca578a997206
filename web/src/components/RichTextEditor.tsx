import { useEffect, useId, useRef, type KeyboardEvent, type RefObject } from 'react';

/** Plain text as the editor's HTML: escaped, paragraphs kept as line breaks. */
export function textToHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '<br>');
}

type Command = 'bold' | 'italic' | 'insertUnorderedList' | 'insertOrderedList' | 'createLink' | 'removeFormat';

const BUTTONS: { command: Command; label: string; text: string; keys?: string }[] = [
  { command: 'bold', label: 'Bold', text: 'B', keys: 'Control+B' },
  { command: 'italic', label: 'Italic', text: 'I', keys: 'Control+I' },
  { command: 'insertUnorderedList', label: 'Bulleted list', text: '•' },
  { command: 'insertOrderedList', label: 'Numbered list', text: '1.' },
  { command: 'createLink', label: 'Link', text: 'Link' },
  { command: 'removeFormat', label: 'Clear formatting', text: 'Tx' },
];

/**
 * A small rich-text editor (bold, italic, lists, links): a contentEditable
 * region with a toolbar, through the browser's own editing commands. What it
 * produces is only a draft: the server sanitises the HTML and derives the
 * plain-text part from it.
 */
export function RichTextEditor({
  label,
  html,
  onChange,
  error,
  editorRef,
  keyShortcuts,
}: {
  label: string;
  html: string;
  onChange: (html: string, text: string) => void;
  error?: string;
  editorRef?: RefObject<HTMLDivElement | null>;
  keyShortcuts?: string;
}) {
  const own = useRef<HTMLDivElement>(null);
  const box = editorRef ?? own;
  const id = useId();
  const errId = `${id}-err`;

  // The editor owns its DOM while typing; outside changes (a draft restored, a canned reply) are written in.
  useEffect(() => {
    const el = box.current;
    if (el && el.innerHTML !== html) el.innerHTML = html;
  }, [html, box]);

  const changed = () => {
    const el = box.current;
    if (el) onChange(el.innerHTML, el.innerText);
  };
  const run = (command: Command) => {
    box.current?.focus();
    if (command === 'createLink') {
      const url = window.prompt('Link address (https://…)', 'https://');
      if (!url || !/^(https?:\/\/|mailto:)/i.test(url.trim())) return;
      document.execCommand('createLink', false, url.trim());
    } else {
      document.execCommand(command);
    }
    changed();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    if (e.key === 'b' || e.key === 'B') {
      e.preventDefault();
      run('bold');
    } else if (e.key === 'i' || e.key === 'I') {
      e.preventDefault();
      run('italic');
    }
  };

  return (
    <div className={error ? 'field rich-text has-error' : 'field rich-text'}>
      <span className="label" id={`${id}-label`}>
        {label}
      </span>
      <div role="toolbar" aria-label="Formatting" aria-controls={id} className="rich-toolbar">
        {BUTTONS.map((b) => (
          <button
            key={b.command}
            type="button"
            className={`rt-${b.command}`}
            title={b.keys ? `${b.label} (${b.keys.replace('Control', 'Ctrl')})` : b.label}
            aria-keyshortcuts={b.keys}
            // Keep the selection in the editor while clicking.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => run(b.command)}
          >
            <span aria-hidden="true">{b.text}</span>
            <span className="sr-only">{b.label}</span>
          </button>
        ))}
      </div>
      <div
        id={id}
        ref={box}
        className="rich-editor"
        role="textbox"
        aria-multiline="true"
        aria-labelledby={`${id}-label`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errId : undefined}
        aria-keyshortcuts={keyShortcuts}
        contentEditable
        suppressContentEditableWarning
        tabIndex={0}
        onInput={changed}
        onBlur={changed}
        onKeyDown={onKeyDown}
      />
      {error && (
        <div className="error" id={errId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
