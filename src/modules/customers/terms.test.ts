import { describe, expect, it } from 'vitest';
import { dictionaryRows, nameTerms, variants, words } from './terms.js';

describe('search words', () => {
  it('splits names and companies into lowercase words', () => {
    expect(words("Mary-Jane O'Brien & Sons, Ltd.")).toEqual(['mary', 'jane', 'o', 'brien', 'sons', 'ltd']);
    expect(words('José Müller 3M')).toEqual(['josé', 'müller', '3m']);
    expect(nameTerms('Ann', 'Smith', 'Smith & Smith')).toEqual(['ann', 'smith']);
    expect(nameTerms(null, null, null)).toEqual([]);
  });

  it('a typo one letter away shares a variant with the word meant', () => {
    const shares = (a: string, b: string) => variants(a).some((v) => variants(b).includes(v));
    expect(shares('jmaes', 'james')).toBe(true); // two letters swapped
    expect(shares('jams', 'james')).toBe(true); // one missing
    expect(shares('jaames', 'james')).toBe(true); // one extra
    expect(shares('smyth', 'smith')).toBe(true); // one wrong
    expect(shares('jones', 'james')).toBe(false); // two away
    expect(variants('lee')).toEqual(['lee']); // short words: exact or prefix only
  });

  it('gives dictionary rows in one sorted order', () => {
    const rows = dictionaryRows(['smith', 'ann']);
    expect(rows).toContainEqual(['smth', 'smith']);
    expect(rows).toContainEqual(['ann', 'ann']);
    expect(rows.map((r) => r.join(' '))).toEqual(rows.map((r) => r.join(' ')).sort());
  });

  it('cuts a letter, not half of one, from words outside the basic plane', () => {
    // "𝒜" is one letter in two UTF-16 code units: each variant leaves out whole letters.
    expect(variants('a𝒜bc')).toEqual(['a𝒜bc', '𝒜bc', 'abc', 'a𝒜c', 'a𝒜b']);
    expect(variants('müller')).toEqual(['müller', 'üller', 'mller', 'müler', 'müllr', 'mülle']);
  });
});
