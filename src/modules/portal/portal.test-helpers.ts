import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../test/helpers.js';

/** A customer signed in to the Support Center: portal cookie + CSRF token over app.inject. */
export class PortalClient {
  constructor(
    readonly t: TestApp,
    readonly headers: Record<string, string>,
  ) {}

  static async signIn(t: TestApp, login: string, password: string): Promise<PortalClient> {
    const res = await t.app.inject({ method: 'POST', url: '/api/portal/login', payload: { login, password } });
    if (res.statusCode !== 200) throw new Error(`portal sign-in failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'sb_portal')!;
    return new PortalClient(t, { cookie: `sb_portal=${cookie.value}`, 'x-csrf-token': res.json().csrfToken });
  }

  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse> {
    return this.t.app.inject({
      method,
      url,
      headers: this.headers,
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
  }
  get(url: string) {
    return this.request('GET', url);
  }
  post(url: string, body: unknown = {}) {
    return this.request('POST', url, body);
  }
}

/** Creates a customer with portal access and the given password (no credentials email). */
export async function customerWithAccess(
  t: TestApp,
  o: { firstName: string; lastName: string; email: string; password: string },
): Promise<{ id: string; accountNumber: string; email: string }> {
  const c = (
    await t.admin.post('/api/v1/customers', { firstName: o.firstName, lastName: o.lastName, email: o.email })
  ).json();
  const res = await t.admin.put(`/api/v1/customers/${c.id}/portal-access`, {
    enabled: true,
    password: o.password,
    sendCredentials: false,
  });
  if (res.statusCode !== 200) throw new Error(`portal access: ${res.statusCode} ${res.body}`);
  return { id: c.id, accountNumber: c.accountNumber, email: o.email };
}
