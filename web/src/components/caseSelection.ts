import { useCallback, useEffect, useMemo, useState } from 'react';
import type { CaseSelection } from './CasesTable.js';

/** The Cases list's selected rows: kept while the rows stay shown, dropped when they leave the list. */
export function useCaseSelection(items: readonly { id: string }[]): CaseSelection & { clear: () => void } {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    setSelected((s) => {
      const shown = new Set(items.map((i) => i.id));
      const kept = [...s].filter((id) => shown.has(id));
      return kept.length === s.size ? s : new Set(kept);
    });
  }, [items]);
  const toggle = useCallback((id: string) => {
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }, []);
  const toggleAll = useCallback(() => {
    setSelected((s) =>
      items.length > 0 && items.every((i) => s.has(i.id)) ? new Set() : new Set(items.map((i) => i.id)),
    );
  }, [items]);
  const clear = useCallback(() => setSelected(new Set()), []);
  return useMemo(() => ({ selected, toggle, toggleAll, clear }), [selected, toggle, toggleAll, clear]);
}
