import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAccess } from '../src/http/auth.js';
import { startTestApp, type TestApp, type TestClient } from './helpers.js';

/**
 * The privilege matrix: every API route × every kind of caller, against the
 * default privileges of each role (docs/product.md A2). A route added without the
 * right declared access, or a guard that lets the wrong caller through, fails here.
 */
const DEFAULT_ROLE_PRIVILEGES: Record<'agent' | 'supervisor', string[]> = {
  agent: [
    'customers.view',
    'customers.create',
    'customers.edit',
    'cases.view',
    'cases.create',
    'cases.edit',
    'cases.addFollowUp',
    'cases.changeStatus',
    'tasks.view',
    'tasks.create',
    'tasks.edit',
  ],
  supervisor: [
    'customers.view',
    'customers.create',
    'customers.edit',
    'customers.delete',
    'cases.view',
    'cases.create',
    'cases.edit',
    'cases.delete',
    'cases.addFollowUp',
    'cases.changeStatus',
    'cases.viewPrivate',
    'tasks.view',
    'tasks.create',
    'tasks.edit',
    'tasks.delete',
    'reports.view',
    'cannedReplies.manageShared',
    'cases.sharedViews',
  ],
};

/** Routes that cannot be called generically: they stream (SSE) or end the caller's own session. */
const SPECIAL = new Set(['GET /api/v1/events', 'POST /api/v1/auth/logout']);

function urlFor(route: RouteAccess): string {
  return route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'role' ? 'agent' : randomUUID()));
}

function allowed(route: RouteAccess, privileges: string[] | 'all'): boolean {
  if (route.access === 'public' || route.access === 'authenticated') return true;
  return privileges === 'all' || privileges.includes(route.access);
}

describe('privilege matrix: every route × every caller', () => {
  let t: TestApp;
  let callers: { name: string; client: TestClient; privileges: string[] | 'all'; lookupOnly: boolean }[];
  beforeAll(async () => {
    t = await startTestApp();
    callers = [
      { name: 'agent', client: await t.user('agent'), privileges: DEFAULT_ROLE_PRIVILEGES.agent, lookupOnly: false },
      {
        name: 'supervisor',
        client: await t.user('supervisor'),
        privileges: DEFAULT_ROLE_PRIVILEGES.supervisor,
        lookupOnly: false,
      },
      { name: 'admin', client: await t.user('admin'), privileges: 'all', lookupOnly: false },
      {
        name: 'agent API key',
        client: await t.apiKey('agent'),
        privileges: DEFAULT_ROLE_PRIVILEGES.agent,
        lookupOnly: false,
      },
      {
        name: 'lookup-only key (admin)',
        client: await t.apiKey('admin', 'lookup'),
        privileges: 'all',
        lookupOnly: true,
      },
    ];
  });
  afterAll(async () => t?.close());

  it('the default role privileges are the documented ones', async () => {
    const res = await t.admin.get('/api/v1/roles');
    const roles = res.json().items as { role: string; privileges: string[] }[];
    expect(roles.find((r) => r.role === 'agent')?.privileges.sort()).toEqual([...DEFAULT_ROLE_PRIVILEGES.agent].sort());
    expect(roles.find((r) => r.role === 'supervisor')?.privileges.sort()).toEqual(
      [...DEFAULT_ROLE_PRIVILEGES.supervisor].sort(),
    );
  });

  it('has API routes to check', () => {
    expect(t.ctx.routes.length).toBeGreaterThan(10);
  });

  it('no credentials: 401 on every non-public route', async () => {
    for (const route of t.ctx.routes) {
      if (route.access === 'public') continue;
      const res = await t.anonymous.request(
        route.method as 'GET',
        urlFor(route),
        route.method === 'GET' ? undefined : {},
      );
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
    }
  });

  it('each caller gets 403 exactly where the privilege table says so', async () => {
    const failures: string[] = [];
    for (const route of t.ctx.routes) {
      const key = `${route.method} ${route.url}`;
      if (SPECIAL.has(key) || route.access === 'public') continue;
      for (const caller of callers) {
        const res = await caller.client.request(
          route.method as 'GET',
          urlFor(route),
          route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        );
        const isKey = caller.name.includes('key');
        const mayCall =
          allowed(route, caller.privileges) &&
          (!caller.lookupOnly || route.scopes.includes('lookup')) &&
          !(isKey && route.sessionOnly);
        const denied = res.statusCode === 401 || res.statusCode === 403;
        if (mayCall === denied) {
          failures.push(
            `${caller.name} ${key}: ${res.statusCode} (expected ${mayCall ? 'allowed' : '403'}) ${res.body.slice(0, 120)}`,
          );
        }
        if (res.statusCode >= 500) failures.push(`${caller.name} ${key}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the SSE stream and sign-out refuse callers without credentials', async () => {
    expect((await t.anonymous.get('/api/v1/events')).statusCode).toBe(401);
    expect((await t.anonymous.post('/api/v1/auth/logout')).statusCode).toBe(401);
  });

  it('a per-user privilege list overrides the role', async () => {
    const agent = await t.user('agent', { privileges: ['customers.view'] });
    expect((await agent.get('/api/v1/me')).json().privileges).toEqual(['customers.view']);
    const admin = await t.admin.get('/api/v1/users');
    expect(admin.statusCode).toBe(200);
  });

  it('an administrator changes a role and its users feel it at once', async () => {
    const agent = await t.user('agent');
    const before = await agent.get('/api/v1/me');
    expect(before.json().privileges).toContain('customers.create');
    const roles = (await t.admin.get('/api/v1/roles')).json().items as {
      role: string;
      privileges: string[];
      version: number;
    }[];
    const agentRole = roles.find((r) => r.role === 'agent')!;
    const res = await t.admin.put('/api/v1/roles/agent', {
      privileges: agentRole.privileges.filter((p) => p !== 'customers.create'),
      version: agentRole.version,
    });
    expect(res.statusCode).toBe(200);
    expect((await agent.get('/api/v1/me')).json().privileges).not.toContain('customers.create');
    await t.admin.put('/api/v1/roles/agent', { privileges: agentRole.privileges });
  });
});
