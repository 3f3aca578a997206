import { Type, type Static } from '@sinclair/typebox';
import { Invalid } from '../http/errors.js';

/**
 * Tags on cases and customers: free-form short labels. One rule for both:
 * trimmed, inner runs of spaces collapsed to one, lower-cased (so "VIP" and
 * "vip" are one tag), 1–40 characters, no commas or control characters, at
 * most 20 on a record, each once.
 */
const TAG_MAX_LENGTH = 40;
const TAGS_PER_RECORD = 20;

/** A tag as a request sends it (normalised by the service, which names a bad one in plain words). */
export const TagInput = Type.String({ maxLength: 200 });
/** A record's tags as a request sends them: the whole list, replacing the stored one. */
export const TagsInput = Type.Array(TagInput, {
  maxItems: 100,
  description: `the record's tags, replacing the stored ones: trimmed and lower-cased, 1–${TAG_MAX_LENGTH} characters, no commas, at most ${TAGS_PER_RECORD}; repeats count once`,
});
/** `?tag=a&tag=b`: records carrying every one of them. */
export const TagFilter = Type.Optional(
  Type.Array(Type.String({ maxLength: 200 }), {
    maxItems: 20,
    description: 'repeatable: only records carrying every tag given (compared lower-cased)',
  }),
);

const TagCount = Type.Object({
  tag: Type.String(),
  count: Type.Integer({ description: 'how many records the caller may see carry it' }),
});
export const TagCounts = Type.Object({ items: Type.Array(TagCount) });
export type TagCounts = Static<typeof TagCounts>;

export const TagCountsQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'only tags starting with this text' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

/** A tag's text as stored (trimmed, inner spaces collapsed, lower-cased), unchecked: for filters and prefixes. */
export function tagText(raw: string): string {
  return raw.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** One tag normalised, or the plain-words reason it is refused. */
function normaliseTag(raw: string): { tag: string } | { error: string } {
  const tag = tagText(raw);
  if (tag === '') return { error: 'a tag cannot be empty' };
  if ([...tag].length > TAG_MAX_LENGTH) return { error: `"${tag}" is longer than ${TAG_MAX_LENGTH} characters` };
  if (tag.includes(',')) return { error: `"${tag}" contains a comma; a tag cannot` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(tag)) return { error: 'a tag cannot contain control characters' };
  return { tag };
}

/** One tag normalised, or 400 naming `field`. */
export function tagOf(raw: string, field: string): string {
  const n = normaliseTag(raw);
  if ('error' in n) throw new Invalid([{ field, message: n.error }]);
  return n.tag;
}

/** A record's tags normalised (order kept, repeats dropped), or 400 naming `field`. */
export function tagsOf(raw: readonly string[], field = 'tags'): string[] {
  const out: string[] = [];
  for (const r of raw) {
    const t = tagOf(r, field);
    if (!out.includes(t)) out.push(t);
  }
  if (out.length > TAGS_PER_RECORD) {
    throw new Invalid([{ field, message: `a record can carry at most ${TAGS_PER_RECORD} tags` }]);
  }
  return out;
}

/** A list filter's tags normalised (for `tags @> …`), or 400 naming `tag`. */
export function tagFilterOf(raw: readonly string[] | undefined): string[] | undefined {
  if (!raw || raw.length === 0) return undefined;
  return [...new Set(raw.map((r) => tagOf(r, 'tag')))];
}
