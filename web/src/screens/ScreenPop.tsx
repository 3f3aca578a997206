import { useEffect, useRef, useState } from 'react';
import { useStoredState } from '../hooks.js';
import { live } from '../live.js';
import { useSession } from '../session.js';
import { interactionsApi, type Interaction } from './interactionsApi.js';
import { PopCard } from './PopCard.js';

/** Most pops the panel keeps (beyond the agent's open interactions, which always stay). */
const KEEP = 5;

/**
 * The server's open interactions merged into what this tab has: the server's
 * copy wins for the ones it lists (newest first), the tab keeps the others
 * (closed ones the agent has not dismissed yet) after them.
 */
function mergeOpen(had: Interaction[], open: Interaction[]): Interaction[] {
  const ids = new Set(open.map((o) => o.id));
  const rest = had.filter((o) => !ids.has(o.id));
  return [...open, ...rest].slice(0, Math.max(KEEP, open.length));
}

/**
 * The screen-pop panel: each interaction popped to this agent, newest first,
 * kept (per tab) until the agent closes it, so a reload does not lose a call.
 * At sign-in (in any browser) the agent's open interactions come from the
 * server (GET /interactions/open) and join what the tab kept, except those
 * the agent closed in this tab. Changes made elsewhere (association, wrap-up
 * closing) arrive as live events.
 */
export function ScreenPopPanel() {
  const [pops, setPops] = useStoredState<Interaction[]>('screenpops', []);
  // Pops the agent closed in this tab: a reload does not bring them back (a new sign-in does).
  const [dismissed, setDismissed] = useStoredState<string[]>('screenpops:dismissed', []);
  const [collapsed, setCollapsed] = useState(false);
  const mayPop = useSession().can('customers.view');

  // The effect below reads the latest dismissals, not those of its first render.
  const dismissedRef = useRef(dismissed);
  dismissedRef.current = dismissed;

  useEffect(() => {
    if (!mayPop) return;
    let alive = true;
    const load = () =>
      interactionsApi.open().then(
        ({ items }) => {
          const shown = items.filter((i) => !dismissedRef.current.includes(i.id));
          if (alive && shown.length > 0) setPops((had) => mergeOpen(had, shown));
        },
        () => {
          // Offline or no access to customers: the tab's own pops are all there is.
        },
      );
    void load();
    // A call popped while the event stream was still connecting (or reconnecting)
    // reached no one: ask again each time the stream is live.
    const off = live.onStatus((s) => {
      if (s === 'live') void load();
    });
    return () => {
      alive = false;
      off();
    };
    // Once per mount (sign-in or reload) and per reconnection: the rest arrives as live events.
  }, [setPops, mayPop]);

  useEffect(
    () =>
      live.on(['screen.pop', 'interaction.updated', 'interaction.closed'], (e) => {
        const got: Interaction = e.interaction;
        if (e.type === 'screen.pop') {
          const pop: Interaction = { ...got, matches: e.matches, drafts: e.drafts, external: e.external };
          setPops((old) => [pop, ...old.filter((o) => o.id !== pop.id)].slice(0, KEEP));
          setDismissed((d) => (d.includes(pop.id) ? d.filter((x) => x !== pop.id) : d));
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
          return old.map((o) =>
            o.id === got.id ? { ...o, ...got, matches: o.matches, drafts: o.drafts, external: o.external } : o,
          );
        });
      }),
    [setPops, setDismissed],
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
                setPops((old) =>
                  old.map((o) =>
                    o.id === i.id
                      ? { ...i, matches: i.matches ?? o.matches, drafts: o.drafts, external: o.external }
                      : o,
                  ),
                )
              }
              onClose={() => {
                setPops((old) => old.filter((o) => o.id !== p.id));
                setDismissed((d) => [p.id, ...d.filter((x) => x !== p.id)].slice(0, 50));
              }}
            />
          ))}
      </div>
    </aside>
  );
}
