import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';

const Title = Type.String({ minLength: 1, maxLength: 200, description: 'the question or topic, as customers read it' });
const Body = Type.String({
  minLength: 1,
  maxLength: 50000,
  description: 'the answer in Markdown; raw HTML is shown as text, and the rendered HTML is sanitised',
});
const Category = Type.String({
  minLength: 1,
  maxLength: 80,
  description: 'the group the Support Center lists it under, e.g. "Billing"',
});

/** An article as staff see it. */
export const FaqArticle = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String({ description: 'the Markdown as written' }),
  bodyHtml: Type.String({ description: 'the Markdown rendered to sanitised HTML, as the Support Center shows it' }),
  category: Type.String(),
  published: Type.Boolean({ description: 'shown in the Support Center (true) or a draft (false)' }),
  publishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when it was last published; null if never',
  }),
  publicUrl: Type.String({ description: "the article's address in the Support Center, to give to customers" }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer(),
});
export type FaqArticle = Static<typeof FaqArticle>;

/** A row of the staff list: the article without its body. */
export const FaqArticleSummary = Type.Object({
  id: Type.String(),
  title: Type.String(),
  category: Type.String(),
  published: Type.Boolean(),
  publishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  excerpt: Type.String({ description: 'the start of the text, without Markdown' }),
  publicUrl: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer(),
});
export type FaqArticleSummary = Static<typeof FaqArticleSummary>;

export const FaqCreate = Type.Object(
  {
    title: Title,
    body: Body,
    category: Category,
    published: Type.Optional(Type.Boolean({ description: 'publish at once (default: a draft)' })),
  },
  { additionalProperties: false },
);
export type FaqCreate = Static<typeof FaqCreate>;

export const FaqPatch = Type.Object(
  {
    title: Type.Optional(Title),
    body: Type.Optional(Body),
    category: Type.Optional(Category),
    published: Type.Optional(Type.Boolean({ description: 'publish (true) or take back to a draft (false)' })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version read (or If-Match)' })),
  },
  { additionalProperties: false },
);
export type FaqPatch = Static<typeof FaqPatch>;

const SearchText = Type.String({
  maxLength: 200,
  description: 'words to search for in title, category and text ("quoted phrase", -without)',
});

export const FaqListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(SearchText),
    category: Type.Optional(Type.String({ maxLength: 80, description: 'only this category (any case)' })),
    published: Type.Optional(Type.Boolean({ description: 'only published (true) or only drafts (false)' })),
  },
  { additionalProperties: false },
);
export type FaqListQuery = Static<typeof FaqListQuery>;

export const FaqPreviewRequest = Type.Object(
  { body: Type.String({ maxLength: 50000, description: 'Markdown to render' }) },
  { additionalProperties: false },
);
export type FaqPreviewRequest = Static<typeof FaqPreviewRequest>;

export const FaqPreview = Type.Object({
  html: Type.String({ description: 'the sanitised HTML the Support Center would show' }),
});

// ---------------------------------------------------------------- the Support Center

/** A published article in a Support Center list. */
export const PortalFaqSummary = Type.Object({
  id: Type.String(),
  title: Type.String(),
  category: Type.String(),
  excerpt: Type.String({ description: 'the start of the text, without Markdown' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type PortalFaqSummary = Static<typeof PortalFaqSummary>;

/** A published article, to read. */
export const PortalFaqArticle = Type.Object({
  id: Type.String(),
  title: Type.String(),
  category: Type.String(),
  html: Type.String({ description: 'the article rendered to sanitised HTML' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type PortalFaqArticle = Static<typeof PortalFaqArticle>;

export const PortalFaqListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(SearchText),
    category: Type.Optional(Type.String({ maxLength: 80, description: 'only this category (any case)' })),
  },
  { additionalProperties: false },
);
export type PortalFaqListQuery = Static<typeof PortalFaqListQuery>;

export const PortalFaqCategory = Type.Object({
  name: Type.String(),
  articles: Type.Integer({ description: 'how many published articles it holds' }),
});
export type PortalFaqCategory = Static<typeof PortalFaqCategory>;

export const PortalFaqCategories = Type.Object({ items: Type.Array(PortalFaqCategory) });

export const PortalFaqSuggestQuery = Type.Object(
  {
    subject: Type.String({
      maxLength: 500,
      description: 'what the customer has typed so far as the subject of a new case',
    }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 5 })),
  },
  { additionalProperties: false },
);
export type PortalFaqSuggestQuery = Static<typeof PortalFaqSuggestQuery>;

export const PortalFaqSuggestions = Type.Object({ items: Type.Array(PortalFaqSummary) });
