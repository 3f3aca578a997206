import { useState, type DragEvent } from 'react';
import type { FieldDef } from '../customFields.js';
import { availableColumns, columnByKey, dropColumn, moveColumn } from './customerColumns.js';

/**
 * Choose and order the list's columns: drag a row (or a table header) to move
 * it, or use the move buttons from the keyboard.
 */
export function ColumnChooser({
  columns: chosen,
  onChange,
  defs = [],
}: {
  columns: string[];
  onChange: (cols: string[]) => void;
  /** Custom field definitions: the active ones are offered as columns too. */
  defs?: readonly FieldDef[];
}) {
  const columns = chosen.filter((k) => columnByKey(k, defs));
  const [open, setOpen] = useState(false);
  const [dragging, setDragging] = useState<string | null>(null);
  const hidden = availableColumns(defs).filter((c) => !columns.includes(c.key));

  const onDrop = (e: DragEvent, target: string) => {
    e.preventDefault();
    const key = e.dataTransfer.getData('text/plain') || dragging;
    setDragging(null);
    if (key && columns.includes(key)) onChange(dropColumn(columns, key, target));
  };

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
              const col = columnByKey(key, defs)!;
              return (
                <li
                  key={key}
                  draggable
                  data-column={key}
                  className={dragging === key ? 'dragging' : undefined}
                  onDragStart={(e) => {
                    e.dataTransfer.setData('text/plain', key);
                    e.dataTransfer.effectAllowed = 'move';
                    setDragging(key);
                  }}
                  onDragEnd={() => setDragging(null)}
                  onDragOver={(e) => e.preventDefault()}
                  onDrop={(e) => onDrop(e, key)}
                >
                  <span className="grip" aria-hidden="true">
                    ⋮⋮
                  </span>
                  <label>
                    <input
                      type="checkbox"
                      checked
                      disabled={key === 'name'}
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
