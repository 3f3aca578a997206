import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { PLACEHOLDERS } from './placeholders.js';
import {
  CannedReply,
  CannedReplyCreate,
  CannedReplyList,
  CannedReplyListQuery,
  CannedReplyPatch,
  CannedReplyRenderRequest,
  RenderedCannedReply,
} from './schema.js';

const tags = ['canned replies'];
const placeholderList = Object.entries(PLACEHOLDERS)
  .map(([name, what]) => `\`{{${name}}}\`: ${what}`)
  .join('; ');

/**
 * `/api/v1/canned-replies` (docs/canned-replies.md): every signed-in user reads the shared
 * replies and their own, and writes their own; shared ones need cannedReplies.manageShared
 * (checked by the service, as the route cannot tell a shared write from a personal one).
 */
export async function registerCannedReplyRoutes(app: App, ctx: AppContext): Promise<void> {
  const service = ctx.services.cannedReplies;

  app.get(
    '/api/v1/canned-replies',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'The shared canned replies and your own, shared first, then by title',
        querystring: CannedReplyListQuery,
        response: { 200: CannedReplyList, 400: Problem },
      },
    },
    async (request) => ({ items: await service.list(actorOf(request), request.query) }),
  );

  app.get(
    '/api/v1/canned-replies/:id',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'One canned reply', params: IdParams, response: { 200: CannedReply, 404: Problem } },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  app.post(
    '/api/v1/canned-replies',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Create a canned reply: your own, or shared (`shared: true`, needs cannedReplies.manageShared)',
        description: `Placeholders: ${placeholderList}. Others are kept as written.`,
        body: CannedReplyCreate,
        response: { 201: CannedReply, 400: Problem, 403: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await service.create(actorOf(request), request.body)),
  );

  app.patch(
    '/api/v1/canned-replies/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Change a canned reply (your own; a shared one needs cannedReplies.manageShared)',
        description: 'Send the version read (If-Match or `version`).',
        params: IdParams,
        body: CannedReplyPatch,
        response: { 200: CannedReply, 400: Problem, 403: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request) =>
      service.update(actorOf(request), request.params.id, request.body, versionRead(request, request.body)!),
  );

  app.delete(
    '/api/v1/canned-replies/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Delete a canned reply (your own; a shared one needs cannedReplies.manageShared)',
        description: 'If-Match is checked when sent.',
        params: IdParams,
        response: { 204: Type.Null({ description: 'deleted' }), 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await service.remove(actorOf(request), request.params.id, versionRead(request, undefined, false));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/canned-replies/:id/render',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'A canned reply filled in for a case and you, ready to insert in an email reply',
        description:
          `Placeholders: ${placeholderList}. A placeholder without a value (an unknown name, or a customer ` +
          'you may not see) stays as written and is listed in `unfilled`.',
        params: IdParams,
        body: CannedReplyRenderRequest,
        response: { 200: RenderedCannedReply, 400: Problem, 404: Problem },
      },
    },
    async (request) => service.render(actorOf(request), request.params.id, request.body.caseId),
  );
}
