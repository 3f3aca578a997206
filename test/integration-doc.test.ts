import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './cli.js';
import { startTestApp, type TestApp } from './helpers.js';
import { baseUrl } from './sse-client.js';

/**
 * docs/INTEGRATION.md's examples, run: every ```sh block, in order, as one bash
 * script (so `X=$(curl … | jq -r .id)` carries on), against a real server
 * listening on a port. `curl` fails on any HTTP error (--fail-with-body), and
 * `set -euo pipefail` stops the script at the first failure. The live-events
 * block streams forever: it runs in the background, and must see the pops.
 */
const DOC = path.join(ROOT, 'docs', 'INTEGRATION.md');
const PRELUDE = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n';

function shBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

interface Run {
  child: ChildProcess;
  out: () => string;
  done: Promise<number | null>;
}

function bash(script: string, env: Record<string, string>): Run {
  const child = spawn('bash', ['-c', PRELUDE + script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd: ROOT,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, done };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('docs/INTEGRATION.md: the curl examples work as written', () => {
  let t: TestApp;
  let env: Record<string, string>;
  const background: Run[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { users, auth } = t.ctx.services;
    const user = (email: string) =>
      users.create(null, {
        email,
        password: 'correct horse battery staple',
        role: 'agent',
        firstName: 'A',
        lastName: 'B',
      });
    const platform = await user('platform@example.com');
    const ann = await user('ann@example.com');
    const key = async (userId: string, scope: 'full' | 'lookup') =>
      (await auth.createApiKey(null, { userId, scope })).key;

    // The customers and the case the examples talk about.
    const ada = await t.admin.post('/api/v1/customers', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      vip: true,
      phones: [{ number: '(415) 555-0100' }],
    });
    expect(ada.statusCode, ada.body).toBe(201);
    const alan = await t.admin.post('/api/v1/customers', {
      firstName: 'Alan',
      lastName: 'Turing',
      primaryAddress: { street: '10 Downing St', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' },
    });
    expect(alan.statusCode, alan.body).toBe(201);
    const kase = await t.admin.post('/api/v1/cases', { customerId: ada.json().id, subject: 'Broken laptop' });
    expect(kase.statusCode, kase.body).toBe(201);

    env = {
      SWITCHBOARD: baseUrl(t.app.server.address()),
      KEY: await key(platform.id, 'full'),
      LOOKUP_KEY: await key(platform.id, 'lookup'),
      AGENT_KEY: await key(ann.id, 'full'),
      CASE_NUMBER: String(kase.json().caseNumber),
    };
  });
  afterAll(async () => {
    for (const b of background) b.child.kill('SIGTERM');
    await t?.close();
  });

  it('runs every sh block in order against a real server', { timeout: 120_000 }, async () => {
    const blocks = shBlocks(readFileSync(DOC, 'utf8'));
    const curls = blocks.join('\n').match(/(^|\()\s*curl /gm) ?? [];
    expect(curls.length).toBeGreaterThanOrEqual(20);

    // Ann's console (the live-events example) connects first.
    const streams = blocks.filter((b) => b.includes('/api/v1/events'));
    expect(streams).toHaveLength(1);
    const sse = bash(streams[0], env);
    background.push(sse);
    await until(() => sse.out().includes('event: ready'), 'the event stream');

    const script = blocks
      .filter((b) => !b.includes('/api/v1/events'))
      .map((b, i) => `echo '--- block ${i + 1}'\n${b}`)
      .join('\n');
    const run = bash(script, env);
    const code = await run.done;
    expect(code, run.out()).toBe(0);

    // The IVR branch example routed the VIP with an open case to the senior queue.
    expect(run.out()).toMatch(/^senior$/m);

    // The pops reached Ann's stream (only hers: it is her key's stream).
    await until(() => (sse.out().match(/event: screen\.pop/g) ?? []).length >= 6, 'the screen pops');

    // What the examples did, checked through the API.
    const agent = { authorization: `Bearer ${env.AGENT_KEY}` };
    const get = async (url: string) => {
      const res = await t.app.inject({ method: 'GET', url, headers: agent });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const ada = (await get('/api/v1/customers?q=Lovelace')).items[0];
    const log = (await get(`/api/v1/customers/${ada.id}/interactions?limit=50`)).items as {
      id: string;
      reference: string | null;
      channel: string;
      state: string;
      notes: string | null;
      followOnTaskId: string | null;
      caseId: string | null;
    }[];
    const call = log.filter((i) => i.reference === 'pbx-call-7f3a9');
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({ state: 'wrap_up', notes: 'Laptop still overheating; replacement approved.' });
    const task = await get(`/api/v1/tasks/${call[0].followOnTaskId}`);
    expect(task).toMatchObject({ type: 'call', subject: 'Confirm the replacement arrived', customerId: ada.id });
    expect(task.remindAt).toBe('2031-01-15T14:30:00.000Z');
    expect(log.find((i) => i.reference === 'pbx-call-7f3c1')?.caseId).not.toBeNull();
    expect(log.map((i) => i.channel).sort()).toEqual(['chat', 'email', 'phone', 'phone', 'phone']);

    const alan = (await get('/api/v1/customers?postalCode=SW1A1AA')).items[0];
    expect((await get(`/api/v1/customers/${alan.id}/interactions`)).items).toHaveLength(1);
    const katherine = (await get('/api/v1/customers?q=Katherine%20Johnson')).items[0];
    expect(katherine.phones[0].e164).toBe('+16465550142');
  });
});
