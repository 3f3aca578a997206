import { Type, type Static } from '@sinclair/typebox';

/** One entry of a record's history (`GET …/{id}/history` of customers, cases, tasks, interactions, custom fields). */
export const HistoryEntry = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({ id: Type.Union([Type.String(), Type.Null()]), name: Type.String() }),
  channel: Type.String(),
  action: Type.String(),
  changes: Type.Array(Type.Object({ field: Type.String(), from: Type.Unknown(), to: Type.Unknown() })),
});
export type HistoryEntry = Static<typeof HistoryEntry>;
