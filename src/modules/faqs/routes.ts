import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import {
  FaqArticle,
  FaqArticleSummary,
  FaqCreate,
  FaqListQuery,
  FaqPatch,
  FaqPreview,
  FaqPreviewRequest,
  PortalFaqArticle,
  PortalFaqCategories,
  PortalFaqListQuery,
  PortalFaqSuggestions,
  PortalFaqSuggestQuery,
  PortalFaqSummary,
} from './schema.js';

/**
 * FAQ articles (docs/email-and-support-center.md, "FAQ articles"): `/api/v1/faqs` for staff
 * (every signed-in user reads published articles; faqs.manage writes, and reads drafts), and
 * `/api/portal/faqs` for the Support Center, open to anybody, published articles only.
 */
export async function registerFaqRoutes(app: App, ctx: AppContext): Promise<void> {
  const service = ctx.services.faqs;
  const tags = ['faqs'];

  app.get(
    '/api/v1/faqs',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'FAQ articles, most recently changed first (with `q`: best match first); drafts need faqs.manage',
        querystring: FaqListQuery,
        response: { 200: PageOf(FaqArticleSummary), 400: Problem },
      },
    },
    async (request) => service.list(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/faqs/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'One FAQ article, with its Markdown and the HTML the Support Center shows (a draft needs faqs.manage)',
        params: IdParams,
        response: { 200: FaqArticle, 404: Problem },
      },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  app.post(
    '/api/v1/faqs',
    {
      config: { access: 'faqs.manage' },
      schema: {
        tags,
        summary: 'Write a FAQ article (a draft unless `published: true`)',
        body: FaqCreate,
        response: { 201: FaqArticle, 400: Problem, 403: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await service.create(actorOf(request), request.body)),
  );

  app.post(
    '/api/v1/faqs/preview',
    {
      config: { access: 'faqs.manage' },
      schema: {
        tags,
        summary: 'Render Markdown as the Support Center would show it, without saving anything',
        body: FaqPreviewRequest,
        response: { 200: FaqPreview, 400: Problem, 403: Problem },
      },
    },
    async (request) => service.preview(actorOf(request), request.body.body),
  );

  app.patch(
    '/api/v1/faqs/:id',
    {
      config: { access: 'faqs.manage' },
      schema: {
        tags,
        summary: 'Change a FAQ article; `published` publishes it or takes it back to a draft',
        description: 'Send the version read (If-Match or `version`).',
        params: IdParams,
        body: FaqPatch,
        response: { 200: FaqArticle, 400: Problem, 403: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request) =>
      service.update(actorOf(request), request.params.id, request.body, versionRead(request, request.body)!),
  );

  app.delete(
    '/api/v1/faqs/:id',
    {
      config: { access: 'faqs.manage' },
      schema: {
        tags,
        summary: 'Delete a FAQ article',
        description: 'If-Match is checked when sent.',
        params: IdParams,
        response: {
          204: Type.Null({ description: 'deleted' }),
          400: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request, reply) => {
      await service.remove(actorOf(request), request.params.id, versionRead(request, undefined, false));
      return reply.status(204).send(null);
    },
  );

  // ---------------------------------------------------------------- the Support Center (anybody)

  const portal = { access: 'public' as const, portal: 'anonymous' as const };
  const portalTags = ['support-center (customers)'];

  app.get(
    '/api/portal/faqs',
    {
      config: portal,
      schema: {
        tags: portalTags,
        summary: 'Published FAQ articles: A–Z (optionally in one category), or with `q` best match first',
        querystring: PortalFaqListQuery,
        response: { 200: PageOf(PortalFaqSummary), 400: Problem },
      },
    },
    async (request) => service.portalList(request.query),
  );

  app.get(
    '/api/portal/faqs/categories',
    {
      config: portal,
      schema: {
        tags: portalTags,
        summary: 'The categories that hold published FAQ articles, A–Z, with how many each holds',
        response: { 200: PortalFaqCategories },
      },
    },
    async () => ({ items: await service.portalCategories() }),
  );

  app.get(
    '/api/portal/faqs/suggest',
    {
      config: portal,
      schema: {
        tags: portalTags,
        summary: 'Published FAQ articles matching the subject of a case being opened, best match first',
        querystring: PortalFaqSuggestQuery,
        response: { 200: PortalFaqSuggestions, 400: Problem },
      },
    },
    async (request) => ({ items: await service.suggest(request.query) }),
  );

  app.get(
    '/api/portal/faqs/:id',
    {
      config: portal,
      schema: {
        tags: portalTags,
        summary: 'One published FAQ article (a draft is 404)',
        params: IdParams,
        response: { 200: PortalFaqArticle, 404: Problem },
      },
    },
    async (request) => service.portalGet(request.params.id),
  );
}
