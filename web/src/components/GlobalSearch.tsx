import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { api, errorText } from '../api.js';
import type { SearchResults } from '../apiTypes.js';
import { useDebounced } from '../hooks.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';
import { Dialog } from './Dialog.js';

type Group = SearchResults['groups'][number];
type Hit = Group['items'][number];

const GROUP_LABELS: Record<Group['type'], string> = {
  customers: 'Customers',
  cases: 'Cases',
  tasks: 'Tasks',
  interactions: 'Interactions',
};

/** How long after `g` the second key of a "go to" shortcut counts (ms). */
const CHORD_MS = 1500;

/** The keyboard shortcuts, as the `?` list shows them. */
const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ['/'], what: 'Search everything (customers, cases, tasks, interactions)' },
  { keys: ['g', 'c'], what: 'Go to Customers' },
  { keys: ['g', 'k'], what: 'Go to Cases' },
  { keys: ['g', 't'], what: 'Go to Tasks' },
  { keys: ['n'], what: 'New customer' },
  { keys: ['?'], what: 'Show this list' },
  { keys: ['↑', '↓', 'Enter'], what: 'In the search: choose a result and open it' },
  { keys: ['Esc'], what: 'Close the search or this list' },
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/**
 * The console's global search (GET /api/v1/search) and its keyboard shortcuts: `/` opens
 * the search, `g c` / `g k` / `g t` go to Customers, Cases and Tasks, `?` lists the
 * shortcuts. None of them fires while typing in a field or while another dialog is open.
 * Renders a Search button for the header and the two dialogs.
 */
export function GlobalSearch() {
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  const [help, setHelp] = useState(false);
  const chord = useRef<number | null>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const afterG = chord.current !== null && e.timeStamp - chord.current < CHORD_MS;
      chord.current = null;
      if (afterG) {
        const to = { c: '/customers', k: '/cases', t: '/tasks' }[e.key];
        if (to) {
          e.preventDefault();
          navigate(to);
          return;
        }
      }
      if (e.key === '/') {
        e.preventDefault();
        setOpen(true);
      } else if (e.key === '?') {
        e.preventDefault();
        setHelp(true);
      } else if (e.key === 'g') {
        chord.current = e.timeStamp;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const mayView = can('customers.view') || can('cases.view') || can('tasks.view');
  return (
    <>
      {mayView && (
        <button
          type="button"
          className="global-search-button"
          onClick={() => setOpen(true)}
          aria-keyshortcuts="/"
          title="Search everything (/)"
        >
          Search <kbd aria-hidden="true">/</kbd>
        </button>
      )}
      <Dialog open={open} title="Search" onClose={() => setOpen(false)} wide>
        <SearchPanel
          onDone={(link) => {
            setOpen(false);
            if (link) navigate(link);
          }}
        />
      </Dialog>
      <Dialog open={help} title="Keyboard shortcuts" onClose={() => setHelp(false)}>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.what}>
                <th scope="row">
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 && (s.keys.length === 2 && s.keys[0] === 'g' ? ' then ' : ' ')}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </th>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Dialog>
    </>
  );
}

/** The search box and its grouped results: ↑/↓ move through the results, Enter opens one. */
function SearchPanel({ onDone }: { onDone: (link: string | null) => void }) {
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 200);
  const [results, setResults] = useState<SearchResults | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);

  // After the dialog opened (showModal focuses its first button): the box takes the focus.
  useEffect(() => {
    const frame = requestAnimationFrame(() => input.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);
  useEffect(() => {
    if (!/[\p{L}\p{N}]/u.test(q)) {
      setResults(null);
      setError(null);
      return;
    }
    const ctl = new AbortController();
    api.get<SearchResults>('/api/v1/search', { q }, ctl.signal).then(
      (r) => {
        setResults(r);
        setError(null);
        setActive(0);
      },
      (e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      },
    );
    return () => ctl.abort();
  }, [q]);

  const flat = useMemo(() => (results?.groups ?? []).flatMap((g) => g.items), [results]);
  const optionId = (i: number) => `${listId}-${i}`;

  const onKeyDown = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (flat.length === 0) return;
      setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : flat.length - 1)) % flat.length);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const hit = flat[active];
      if (hit) onDone(hit.link);
    }
  };
  useEffect(() => {
    document.getElementById(optionId(active))?.scrollIntoView({ block: 'nearest' });
  });

  let index = 0;
  const searched = results !== null && results.q === q;
  return (
    <div className="global-search">
      <label htmlFor={`${listId}-q`} className="sr-only">
        Search everything
      </label>
      <input
        id={`${listId}-q`}
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={flat.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={flat.length > 0 ? optionId(active) : undefined}
        placeholder="Names, case numbers, words in notes and emails, phone digits…"
        maxLength={200}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div id={listId} role="listbox" aria-label="Results" className="global-search-results">
        {(results?.groups ?? []).map((g) => (
          <div role="group" aria-labelledby={`${listId}-${g.type}`} key={g.type} data-group={g.type}>
            <div className="global-search-group" id={`${listId}-${g.type}`}>
              {GROUP_LABELS[g.type]}
            </div>
            {g.items.length === 0 && <div className="muted global-search-none">No {g.type} found</div>}
            {g.items.map((hit: Hit) => {
              const i = index++;
              return (
                <div
                  key={hit.id}
                  id={optionId(i)}
                  role="option"
                  aria-selected={i === active}
                  className={i === active ? 'global-search-hit active' : 'global-search-hit'}
                  onMouseMove={() => setActive(i)}
                  onClick={() => onDone(hit.link)}
                >
                  <span className="global-search-title">{hit.title}</span>
                  {hit.snippet && <span className="global-search-snippet">{hit.snippet}</span>}
                </div>
              );
            })}
          </div>
        ))}
      </div>
      <p className="muted global-search-hint" aria-live="polite">
        {searched
          ? flat.length === 0
            ? 'Nothing found.'
            : `${flat.length} result${flat.length === 1 ? '' : 's'}. ↑ ↓ to choose, Enter to open, Esc to close.`
          : 'Type to search. Press ? outside a field for every shortcut.'}
      </p>
    </div>
  );
}
