import { useEffect, useState } from 'react';
import { useStoredState } from '../hooks.js';
import { live } from '../live.js';
import type { LiveEvent } from '../types.js';
import { interactionsApi, type Interaction } from './interactionsApi.js';
import { PopCard } from './PopCard.js';

/** The interaction carried by a screen-pop event (the whole record, or its id to fetch). */
function interactionOf(e: LiveEvent): Interaction | string | null {
  const embedded = (e.interaction ?? null) as Interaction | null;
  if (embedded && typeof embedded === 'object' && embedded.id) return { ...embedded, ...pick(e) };
  const id = (e.interactionId as string | undefined) ?? (e.recordType === 'interaction' ? e.recordId : null);
  return id ?? null;
}

function pick(e: LiveEvent): Partial<Interaction> {
  const out: Partial<Interaction> = {};
  if (e.result) out.result = e.result as Interaction['result'];
  if (Array.isArray(e.matches)) out.matches = e.matches as Interaction['matches'];
  return out;
}

/**
 * The screen-pop panel: each interaction popped to this agent, newest first,
 * kept (per tab) until the agent closes it, so a reload does not lose a call.
 */
export function ScreenPopPanel() {
  const [pops, setPops] = useStoredState<Interaction[]>('screenpops', []);
  const [collapsed, setCollapsed] = useState(false);

  useEffect(
    () =>
      live.subscribe((e) => {
        if (e.type !== 'screen.pop' && e.type !== 'interaction.pop' && e.type !== 'interaction.updated') return;
        const got = interactionOf(e);
        if (!got) return;
        const apply = (i: Interaction) => {
          setPops((old) => {
            const existing = old.find((o) => o.id === i.id);
            if (!existing && e.type === 'interaction.updated') return old;
            const merged = existing ? { ...existing, ...i } : i;
            return [merged, ...old.filter((o) => o.id !== i.id)].slice(0, 5);
          });
          if (e.type !== 'interaction.updated') setCollapsed(false);
        };
        if (typeof got === 'string')
          interactionsApi.get(got).then(
            (i) => apply({ ...i, ...pick(e) }),
            () => {},
          );
        else apply(got);
      }),
    [setPops],
  );

  if (pops.length === 0) return null;
  return (
    <aside className={`screenpop ${collapsed ? 'collapsed' : ''}`} aria-label="Screen pop" aria-live="polite">
      <div className="screenpop-head">
        <h2>Interactions ({pops.length})</h2>
        <button type="button" aria-expanded={!collapsed} onClick={() => setCollapsed((c) => !c)}>
          {collapsed ? 'Show' : 'Hide'}
        </button>
      </div>
      {!collapsed &&
        pops.map((p) => (
          <PopCard
            key={p.id}
            interaction={p}
            onChange={(i) => setPops((old) => old.map((o) => (o.id === i.id ? { ...o, ...i } : o)))}
            onClose={() => setPops((old) => old.filter((o) => o.id !== p.id))}
          />
        ))}
    </aside>
  );
}
