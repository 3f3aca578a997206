import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers.js';

/**
 * Issue 16, defect 13: the OpenAPI document says what the server answers. The
 * test app checks every response against the document (`checkResponses`:
 * src/http/response-check.ts); these are the operations that answered 204 or
 * 202 while the document said 200.
 */
describe('responses match the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true });
  });
  afterAll(async () => t?.close());

  it('documents the 204 and 202 answers', async () => {
    const doc = (await t.anonymous.get('/api/openapi.json')).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const answers: [string, string, string][] = [
      ['/api/v1/api-keys/{id}', 'delete', '204'],
      ['/api/v1/cases/{id}', 'delete', '204'],
      ['/api/v1/tasks/{id}', 'delete', '204'],
      ['/api/v1/auth/logout', 'post', '204'],
      ['/api/portal/logout', 'post', '204'],
      ['/api/v1/tasks/{id}/reminder/dismiss', 'post', '204'],
      ['/api/portal/password-reset', 'post', '202'],
      ['/api/portal/password', 'post', '204'],
    ];
    for (const [path, method, status] of answers) {
      const responses = doc.paths[path]?.[method]?.responses ?? {};
      expect(Object.keys(responses), `${method} ${path}`).toContain(status);
      expect(Object.keys(responses), `${method} ${path}`).not.toContain('200');
    }
  });

  it('the answers of those operations match the document', async () => {
    const agent = await t.user('supervisor');
    const key = (await agent.post('/api/v1/api-keys', { name: 'k' })).json();
    expect((await agent.delete(`/api/v1/api-keys/${key.id}`)).statusCode).toBe(204);
    const c = (await t.admin.post('/api/v1/customers', { firstName: 'Doc', lastName: 'Umented' })).json();
    const k = (await t.admin.post('/api/v1/cases', { customerId: c.id, subject: 'x' })).json();
    expect((await t.admin.delete(`/api/v1/cases/${k.id}`)).statusCode).toBe(204);
    const task = await t.admin.post('/api/v1/tasks', { customerId: c.id, subject: 'Call back', type: 'call' });
    expect(task.statusCode, task.body).toBe(201);
    const dismissed = await t.admin.post(`/api/v1/tasks/${task.json().id}/reminder/dismiss`);
    expect(dismissed.statusCode, dismissed.body).toBeLessThan(500);
    expect((await t.admin.delete(`/api/v1/tasks/${task.json().id}`)).statusCode).toBe(204);
    expect((await t.anonymous.post('/api/portal/password-reset', { login: 'nobody@example.test' })).statusCode).toBe(
      202,
    );
    expect((await agent.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect(t.responseMismatches).toEqual([]);
  });
});
