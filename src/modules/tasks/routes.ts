import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf, PageQuery } from '../../http/pagination.js';
import { IdParams, Problem, NoContent } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { ACTIVE_LIMIT } from './reminders.js';
import { ActiveReminder, Snooze, Task, TaskCreate, TaskListQuery, TaskPatch } from './schema.js';
import { HistoryEntry } from '../history/schema.js';

const REMINDER_POLL_MS = 500;

/** Tasks (T1, T3), their reminders (T2) and the reminder poller every server process runs. */
export async function registerTaskRoutes(app: App, ctx: AppContext): Promise<void> {
  const { tasks, reminders } = ctx.services;

  ctx.jobs.every('reminders', REMINDER_POLL_MS, async () => {
    const n = await reminders.fireDue();
    if (n > 0) ctx.log.debug({ fired: n }, 'reminders fired');
  });

  app.get(
    '/api/v1/tasks',
    {
      config: { access: 'tasks.view' },
      schema: {
        tags: ['tasks'],
        summary: 'Tasks: "my tasks" views (assigneeId=me&due=today|overdue|upcoming|done), by customer or case',
        querystring: TaskListQuery,
        response: { 200: PageOf(Task), 400: Problem },
      },
    },
    async (request) => tasks.list(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/tasks',
    {
      config: { access: 'tasks.create' },
      schema: {
        tags: ['tasks'],
        summary: 'Plan a task (or log one after the fact with status done); a reminder is set 30 minutes before dueAt',
        body: TaskCreate,
        response: { 201: Task, 400: Problem },
      },
    },
    async (request, reply) => {
      const task = await tasks.create(actorOf(request), request.body);
      return reply.status(201).header('ETag', `"${task.version}"`).send(task);
    },
  );

  app.get(
    '/api/v1/tasks/:id',
    {
      config: { access: 'tasks.view' },
      schema: { tags: ['tasks'], params: IdParams, response: { 200: Task, 404: Problem } },
    },
    async (request, reply) => {
      const task = await tasks.get(actorOf(request), request.params.id);
      return reply.header('ETag', `"${task.version}"`).send(task);
    },
  );

  app.patch(
    '/api/v1/tasks/:id',
    {
      config: { access: 'tasks.edit' },
      schema: {
        tags: ['tasks'],
        summary:
          'Change a task (only the fields sent; If-Match or version required). status done/cancelled cancels its reminders',
        params: IdParams,
        body: TaskPatch,
        response: { 200: Task, 400: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request, reply) => {
      const version = versionRead(request, request.body)!;
      const task = await tasks.update(actorOf(request), request.params.id, request.body, version);
      return reply.header('ETag', `"${task.version}"`).send(task);
    },
  );

  app.delete(
    '/api/v1/tasks/:id',
    {
      config: { access: 'tasks.delete' },
      schema: {
        tags: ['tasks'],
        summary: 'Delete a task (If-Match optional)',
        params: IdParams,
        response: { 204: NoContent, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await tasks.delete(actorOf(request), request.params.id, versionRead(request, undefined, false));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/tasks/:id/history',
    {
      config: { access: 'tasks.view' },
      schema: {
        tags: ['tasks'],
        summary: "The task's history of changes, newest first",
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(HistoryEntry), 404: Problem },
      },
    },
    async (request) =>
      tasks.history(actorOf(request), request.params.id, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );

  for (const path of ['/api/v1/tasks/:id/reminder/snooze', '/api/v1/tasks/:id/reminders/snooze']) {
    app.post(
      path,
      {
        config: { access: 'tasks.view' },
        schema: {
          tags: ['reminders'],
          summary: 'Snooze my shown reminder of this task: {minutes: 5|10|30} or {until: time}',
          params: IdParams,
          body: Snooze,
          response: { 200: Type.Object({ items: Type.Array(ActiveReminder) }), 400: Problem, 404: Problem },
        },
      },
      async (request) => ({ items: await reminders.snooze(actorOf(request), request.params.id, request.body) }),
    );
  }

  for (const path of ['/api/v1/tasks/:id/reminder/dismiss', '/api/v1/tasks/:id/reminders/dismiss']) {
    app.post(
      path,
      {
        config: { access: 'tasks.view' },
        schema: {
          tags: ['reminders'],
          summary: 'Dismiss my shown reminder of this task (the other consoles take it down too)',
          params: IdParams,
          response: { 204: NoContent, 404: Problem },
        },
      },
      async (request, reply) => {
        await reminders.dismiss(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  }

  for (const path of ['/api/v1/reminders/active', '/api/v1/reminders']) {
    app.get(
      path,
      {
        config: { access: 'tasks.view' },
        schema: {
          tags: ['reminders'],
          summary: `Reminders shown to me and not yet dismissed or snoozed, oldest first (at most ${ACTIVE_LIMIT}): the console loads them at start`,
          response: { 200: Type.Object({ items: Type.Array(ActiveReminder) }) },
        },
      },
      async (request) => ({ items: await reminders.active(actorOf(request)) }),
    );
  }
}
