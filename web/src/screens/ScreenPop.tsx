import { useEffect, useState } from 'react';
import { useStoredState } from '../hooks.js';
import { live } from '../live.js';
import { interactionsApi, type Interaction } from './interactionsApi.js';
import { PopCard } from './PopCard.js';

/**
 * The screen-pop panel: each interaction popped to this agent, newest first,
 * kept (per tab) until the agent closes it, so a reload does not lose a call.
 * Changes made elsewhere (association, wrap-up closing) arrive as live events.
 */
export function ScreenPopPanel() {
  const [pops, setPops] = useStoredState<Interaction[]>('screenpops', []);
  const [collapsed, setCollapsed] = useState(false);

  useEffect(
    () =>
      live.on(['screen.pop', 'interaction.updated', 'interaction.closed'], (e) => {
        const got: Interaction = e.interaction;
        if (e.type === 'screen.pop') {
          const pop: Interaction = { ...got, matches: e.matches };
          setPops((old) => [pop, ...old.filter((o) => o.id !== pop.id)].slice(0, 5));
          setCollapsed(false);
          return;
        }
        setPops((old) => {
          const existing = old.find((o) => o.id === got.id);
          if (!existing) return old;
          if (existing.customerId !== got.customerId) {
            // Associated (here or in another tab): fetch its customer's context.
            interactionsApi.get(got.id).then(
              (full) => setPops((now) => now.map((o) => (o.id === full.id ? full : o))),
              () => {},
            );
          }
          return old.map((o) => (o.id === got.id ? { ...o, ...got, matches: o.matches } : o));
        });
      }),
    [setPops],
  );

  if (pops.length === 0) return null;
  return (
    <aside className={`screenpop ${collapsed ? 'collapsed' : ''}`} aria-labelledby="screenpop-title">
      <div className="screenpop-head">
        <h2 id="screenpop-title">Interactions ({pops.length})</h2>
        <button type="button" aria-expanded={!collapsed} onClick={() => setCollapsed((c) => !c)}>
          {collapsed ? 'Show' : 'Hide'}
        </button>
      </div>
      <div aria-live="polite">
        {!collapsed &&
          pops.map((p) => (
            <PopCard
              key={p.id}
              interaction={p}
              onChange={(i) =>
                setPops((old) => old.map((o) => (o.id === i.id ? { ...i, matches: i.matches ?? o.matches } : o)))
              }
              onClose={() => setPops((old) => old.filter((o) => o.id !== p.id))}
            />
          ))}
      </div>
    </aside>
  );
}
