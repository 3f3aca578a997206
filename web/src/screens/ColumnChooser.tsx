import { useState } from 'react';
import { useDragReorder } from '../useDragReorder.js';
import { dropColumn, moveColumn } from '../columns.js';

/**
 * Choose and order a list's columns (Customers, Cases): drag a row (or a table
 * header) to move it, or use the move buttons from the keyboard.
 */
export function ColumnChooser({
  columns: chosen,
  onChange,
  available,
  required,
}: {
  columns: string[];
  onChange: (cols: string[]) => void;
  /** Every column one may show: the built-in ones, then the active custom fields. */
  available: readonly { key: string; label: string }[];
  /** The column that cannot be hidden (the record's link). */
  required: string;
}) {
  const byKey = (k: string) => available.find((c) => c.key === k);
  const columns = chosen.filter((k) => byKey(k));
  const [open, setOpen] = useState(false);
  const hidden = available.filter((c) => !columns.includes(c.key));

  const dragProps = useDragReorder((key, target) => {
    if (columns.includes(key)) onChange(dropColumn(columns, key, target));
  });

  return (
    <div className="column-chooser">
      <button type="button" aria-expanded={open} aria-controls="column-panel" onClick={() => setOpen((o) => !o)}>
        Columns
      </button>
      {open && (
        <div
          id="column-panel"
          className="panel"
          role="group"
          aria-label="Columns"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              setOpen(false);
              document.querySelector<HTMLButtonElement>('[aria-controls="column-panel"]')?.focus();
            }
          }}
        >
          <p className="hint">Drag to reorder, or use the arrows. Your layout is saved for you.</p>
          <ol className="column-list">
            {columns.map((key, i) => {
              const col = byKey(key)!;
              return (
                <li key={key} {...dragProps(key)}>
                  <span className="grip" aria-hidden="true">
                    ⋮⋮
                  </span>
                  <label>
                    <input
                      type="checkbox"
                      checked
                      disabled={key === required}
                      onChange={() => onChange(columns.filter((c) => c !== key))}
                    />{' '}
                    {col.label}
                  </label>
                  <span className="move">
                    <button
                      type="button"
                      className="icon"
                      aria-label={`Move ${col.label} left`}
                      disabled={i === 0}
                      onClick={() => onChange(moveColumn(columns, key, -1))}
                    >
                      ←
                    </button>
                    <button
                      type="button"
                      className="icon"
                      aria-label={`Move ${col.label} right`}
                      disabled={i === columns.length - 1}
                      onClick={() => onChange(moveColumn(columns, key, 1))}
                    >
                      →
                    </button>
                  </span>
                </li>
              );
            })}
          </ol>
          {hidden.length > 0 && (
            <ul className="column-list hidden-cols">
              {hidden.map((col) => (
                <li key={col.key}>
                  <label>
                    <input type="checkbox" checked={false} onChange={() => onChange([...columns, col.key])} />{' '}
                    {col.label}
                  </label>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
