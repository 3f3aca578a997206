import { useEffect, useId, useState } from 'react';
import { api } from '../api.js';
import type { TagCounts } from '../apiTypes.js';
import { useDebounced } from '../hooks.js';

/** Where a record kind's tags in use are listed (for autocomplete). */
export type TagSource = '/api/v1/cases/tags' | '/api/v1/customers/tags';

/** A record's tags as chips (read-only). */
export function TagChips({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tag-chips" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="tag-chip">
          {t}
        </li>
      ))}
    </ul>
  );
}

/** The tags in use starting with `text`, most used first: a datalist's options. */
export function useTagSuggestions(source: TagSource, text: string): string[] {
  const q = useDebounced(text.trim().toLowerCase(), 200);
  const [items, setItems] = useState<string[]>([]);
  useEffect(() => {
    const ctl = new AbortController();
    api.get<TagCounts>(source, { q: q || undefined, limit: 20 }, ctl.signal).then(
      (r) => setItems(r.items.map((i) => i.tag)),
      () => {},
    );
    return () => ctl.abort();
  }, [source, q]);
  return items;
}

/** A text box for one tag, with the tags in use as suggestions. */
export function TagInput({
  id,
  source,
  value,
  onChange,
  onEnter,
  placeholder = 'Tag',
  label,
}: {
  id: string;
  source: TagSource;
  value: string;
  onChange: (v: string) => void;
  onEnter?: () => void;
  placeholder?: string;
  label?: string;
}) {
  const listId = useId();
  const suggestions = useTagSuggestions(source, value);
  return (
    <>
      <input
        id={id}
        list={listId}
        value={value}
        maxLength={40}
        placeholder={placeholder}
        aria-label={label}
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && onEnter) {
            e.preventDefault();
            onEnter();
          }
        }}
      />
      <datalist id={listId}>
        {suggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
    </>
  );
}

/**
 * A record's tags as chips with a remove button each and a box to add one.
 * `onSave` receives the whole new list (the record's PATCH); while it runs the
 * controls are disabled. Tags are shown lower-cased, as the server keeps them.
 */
export function TagEditor({
  tags,
  source,
  onSave,
  disabled = false,
}: {
  tags: readonly string[];
  source: TagSource;
  onSave: (tags: string[]) => Promise<void>;
  disabled?: boolean;
}) {
  const inputId = useId();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const save = async (next: string[]) => {
    setBusy(true);
    try {
      await onSave(next);
      setText('');
    } finally {
      setBusy(false);
    }
  };
  const add = () => {
    const t = text.trim().replace(/\s+/g, ' ').toLowerCase();
    if (!t) return;
    if (tags.includes(t)) {
      setText('');
      return;
    }
    void save([...tags, t]);
  };
  const off = disabled || busy;
  return (
    <div className="tag-editor">
      <ul className="tag-chips" aria-label="Tags">
        {tags.map((t) => (
          <li key={t} className="tag-chip">
            {t}
            {!disabled && (
              <button
                type="button"
                className="tag-remove"
                aria-label={`Remove tag ${t}`}
                disabled={off}
                onClick={() => void save(tags.filter((x) => x !== t))}
              >
                ×
              </button>
            )}
          </li>
        ))}
        {tags.length === 0 && <li className="muted">No tags</li>}
      </ul>
      {!disabled && (
        <div className="tag-add">
          <label htmlFor={inputId} className="sr-only">
            New tag
          </label>
          <TagInput
            id={inputId}
            source={source}
            value={text}
            onChange={setText}
            onEnter={add}
            placeholder="Add a tag"
          />
          <button type="button" disabled={off || !text.trim()} onClick={add}>
            Add tag
          </button>
        </div>
      )}
    </div>
  );
}

/** The tag filter's text as the list's `tag` parameters (every one of them), or undefined. */
export function tagList(text: string): string[] | undefined {
  const tags = text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  return tags.length > 0 ? [...new Set(tags)] : undefined;
}
