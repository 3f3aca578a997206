import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { EmailPreferences, Notification, NotificationListQuery, UnreadCount } from './schema.js';

/** The caller's notification inbox (docs/agent-workflow.md). Each user sees only their own. */
export async function registerNotificationRoutes(app: App, ctx: AppContext): Promise<void> {
  const notifications = ctx.services.notifications;
  const tags = ['notifications'];

  app.get(
    '/api/v1/notifications',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'My notifications, newest first (unread=true for the unread ones), paginated',
        querystring: NotificationListQuery,
        response: { 200: PageOf(Notification), 400: Problem },
      },
    },
    async (request) => notifications.list(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/notifications/unread-count',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'How many of my notifications are unread', response: { 200: UnreadCount } },
    },
    async (request) => ({ unread: await notifications.unreadCount(actorOf(request)) }),
  );

  app.post(
    '/api/v1/notifications/:id/read',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Mark one of my notifications read',
        params: IdParams,
        response: { 200: Type.Object({ marked: Type.Integer() }), 404: Problem },
      },
    },
    async (request) => ({ marked: await notifications.markRead(actorOf(request), request.params.id) }),
  );

  app.post(
    '/api/v1/notifications/read-all',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Mark all my notifications read',
        response: { 200: Type.Object({ marked: Type.Integer() }) },
      },
    },
    async (request) => ({ marked: await notifications.markAllRead(actorOf(request)) }),
  );

  app.get(
    '/api/v1/notifications/email-preferences',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Which kinds of my notifications are also sent to me by email',
        response: { 200: EmailPreferences },
      },
    },
    async (request) => notifications.emailPreferences(actorOf(request)),
  );

  app.put(
    '/api/v1/notifications/email-preferences',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Choose which kinds of my notifications are also sent to me by email (the whole list)',
        body: EmailPreferences,
        response: { 200: EmailPreferences, 400: Problem },
      },
    },
    async (request) => notifications.setEmailPreferences(actorOf(request), request.body),
  );
}
