import { Type, type Static } from '@sinclair/typebox';

const SEARCH_TYPES = ['customers', 'cases', 'tasks', 'interactions'] as const;

/** How many results each group holds at most (the `limit` parameter). */
export const SEARCH_LIMIT = { default: 5, max: 20 } as const;

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'what to look for: words (all of them must match; "quoted phrase" and -word work; the last word, 3 letters ' +
        'or more, also matches as a prefix), a case number, ' +
        'phone digits (4 or more), an email or account number prefix, a name',
    }),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: SEARCH_LIMIT.max,
        default: SEARCH_LIMIT.default,
        description: 'results per group (type), at most',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

const SearchHit = Type.Object({
  id: Type.String(),
  title: Type.String({ description: 'what the console shows as the result’s first line' }),
  snippet: Type.String({ description: 'a short excerpt around the match ("" when the title is the match)' }),
  link: Type.String({ description: 'the console path that opens the record (or the record it belongs to)' }),
  matchedIn: Type.String({
    description:
      'where the words were found: customer, number, subject, description, followUp, transcript (a chat or call ' +
      'transcript the platform posted), email, task, notes…',
  }),
});

const SearchGroup = Type.Object({
  type: Type.Union(SEARCH_TYPES.map((t) => Type.Literal(t))),
  items: Type.Array(SearchHit, { description: 'best first; at most `limit`' }),
});

export const SearchResults = Type.Object({
  q: Type.String({ description: 'the query as searched (trimmed)' }),
  groups: Type.Array(SearchGroup, {
    description:
      'one group per type the caller may see (customers, cases, tasks, interactions, in that order), ' +
      'present even when empty; a type whose view privilege the caller lacks has no group',
  }),
});
export type SearchResults = Static<typeof SearchResults>;
