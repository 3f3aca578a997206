import { Type, type TSchema } from '@sinclair/typebox';
import { Invalid } from './errors.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 50;

/** The querystring part every list shares. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
  cursor: Type.Optional(Type.String({ maxLength: 2000 })),
};

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** Cursors are opaque to clients: base64url of a JSON array of the sort key values. */
export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

type KeyType = 'number' | 'string' | 'date' | 'nullable-string';

/** Decodes and checks a cursor; a tampered or foreign cursor is a 400 naming `cursor`. */
export function decodeCursor(cursor: string, types: KeyType[]): unknown[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
  }
  const ok =
    Array.isArray(values) &&
    values.length === types.length &&
    values.every((v, i) => {
      const t = types[i];
      if (t === 'number') return typeof v === 'number' && Number.isFinite(v);
      if (t === 'string') return typeof v === 'string';
      if (t === 'nullable-string') return v === null || typeof v === 'string';
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    });
  if (!ok) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
  return values as unknown[];
}

/**
 * The one keyset page rule: a list asks its store for `limit + 1` rows; the
 * extra row only says a next page exists. The cursor is built from the last
 * row shown (`keyOf` gives its sort key values), and `toItem` shapes the rows.
 */
export function keysetPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  keyOf: (last: Row) => unknown[],
  toItem: (row: Row) => Item,
): Page<Item> {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
