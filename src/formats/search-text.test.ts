import { describe, expect, it } from 'vitest';
import { textQuery, tsQuerySql } from './search-text.js';

describe('textQuery: the last word as a prefix', () => {
  it('takes the last word of 3 letters or more as a prefix, the words before it whole', () => {
    expect(textQuery('printe')).toEqual({ whole: '', words: [], prefix: 'printe' });
    expect(textQuery('Router REBO')).toEqual({ whole: 'Router', words: ['router'], prefix: 'rebo' });
    expect(textQuery('"paper jam" tra')).toMatchObject({ whole: '"paper jam"', prefix: 'tra' });
  });

  it('keeps the query whole for a short, negated, quoted or or-ed last word', () => {
    for (const q of ['printer ab', 'printer -toner', '"printe', '"printer jam"', 'toner or ink', 'jam!']) {
      expect(textQuery(q), q).toMatchObject({ whole: q, prefix: null });
    }
  });

  it('renders the tsquery with its values appended after those already there', () => {
    const params: unknown[] = ['x'];
    expect(tsQuerySql('simple', textQuery('router rebo'), params)).toBe(
      `(websearch_to_tsquery('simple', $2) && to_tsquery('simple', $3))`,
    );
    expect(params).toEqual(['x', 'router', 'rebo:*']);
    const only: unknown[] = [];
    expect(tsQuerySql('english', textQuery('rebo'), only)).toBe(`to_tsquery('english', $1)`);
    expect(tsQuerySql('simple', textQuery('a b'), only)).toBe(`websearch_to_tsquery('simple', $2)`);
    expect(only).toEqual(['rebo:*', 'a b']);
  });
});
