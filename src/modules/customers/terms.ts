/**
 * The words of a customer's names and company as search knows them: lowercased,
 * split on anything that is not a letter or a digit. The same function splits
 * what is typed in a search, so both sides always agree.
 */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .map((w) => w.slice(0, 100));
}

/** Distinct words of first name, last name and company, sorted (a stable lock order when stored). */
export function nameTerms(firstName: string | null, lastName: string | null, company: string | null): string[] {
  return [...new Set(words(`${firstName ?? ''} ${lastName ?? ''} ${company ?? ''}`))].sort();
}

/** Words this short are matched exactly or by prefix only (one letter less leaves too little). */
const MIN_VARIANT_WORD = 4;

/** The word itself and, from 4 letters on, the word with each one letter left out. */
export function variants(word: string): string[] {
  const out = new Set([word]);
  const chars = [...word];
  if (chars.length >= MIN_VARIANT_WORD) {
    // One letter per code unit (no surrogate pairs, the usual case): cut the text itself, without an array per variant.
    const units = chars.length === word.length;
    for (let i = 0; i < chars.length; i++)
      out.add(units ? word.slice(0, i) + word.slice(i + 1) : [...chars.slice(0, i), ...chars.slice(i + 1)].join(''));
  }
  return [...out];
}

/** Dictionary rows (variant, term) for these words, sorted: concurrent writers lock them in one order. */
export function dictionaryRows(terms: string[]): [variant: string, term: string][] {
  const rows = terms.flatMap((t) => variants(t).map((v) => [v, t] as [string, string]));
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}
