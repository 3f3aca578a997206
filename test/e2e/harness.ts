/**
 * Browser-test harness: builds the console when it is missing or older than
 * its sources, starts the real server (`switchboard serve`) on a free port
 * with a temporary PGlite data directory, and drives Debian's Chromium with
 * playwright-core. Each test file gets one server and one browser.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WEB_INDEX = path.join(ROOT, 'dist', 'web', 'index.html');
export const RESULTS_DIR = path.join(ROOT, 'test-results', 'e2e');
export const ADMIN_EMAIL = 'admin@e2e.test';
export const ADMIN_PASSWORD = 'e2e-admin-password';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Builds dist/web when missing or older than web/ (one builder at a time across test files). */
export async function ensureWebBuilt(): Promise<void> {
  const stale = () =>
    !existsSync(WEB_INDEX) ||
    statSync(WEB_INDEX).mtimeMs <
      Math.max(newestMtime(path.join(ROOT, 'web')), statSync(path.join(ROOT, 'vite.config.ts')).mtimeMs);
  if (!stale()) return;
  const lock = path.join(ROOT, 'dist', '.web-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building: wait for it (a lock older than 3 minutes is abandoned).
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000)
        rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      if (i > 600) throw new Error('timed out waiting for the web build lock');
    }
  }
  try {
    if (!stale()) return;
    const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    // Vitest sets NODE_ENV=test; the console must be built as for production (React's production build).
    const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface E2EServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** An API client signed in as the first administrator (cookie + CSRF), for test setup. */
  admin: ApiClient;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<E2EServer> {
  await ensureWebBuilt();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'switchboard.mjs'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SWITCHBOARD_ADMIN_EMAIL: ADMIN_EMAIL,
      SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      // The tests' own setup calls go beyond a person's budget; a test turns limits on with env.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_LOOKUP_PER_MINUTE: '0',
      ...env,
    },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}`);
    }
    await sleep(200);
  }
  const admin = await ApiClient.signIn(url, ADMIN_EMAIL, ADMIN_PASSWORD);
  return {
    url,
    child,
    admin,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await once(child, 'exit');
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A tiny HTTP client for setting up data: session cookie + CSRF token, or an API key. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly headers: Record<string, string>,
    readonly userId: string | null,
  ) {}

  static async signIn(url: string, email: string, password: string): Promise<ApiClient> {
    const res = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .find((c) => c.startsWith('sb_session='))!;
    const me = (await res.json()) as { id: string; csrfToken: string };
    return new ApiClient(url, { cookie, 'x-csrf-token': me.csrfToken }, me.id);
  }

  static withKey(url: string, key: string, userId: string | null = null): ApiClient {
    return new ApiClient(url, { authorization: `Bearer ${key}` }, userId);
  }

  async request<T = unknown>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${p}`, {
      method,
      headers: { ...this.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Sends a raw body (e.g. message/rfc822) and answers the parsed JSON. */
  async raw<T = Record<string, unknown>>(method: string, p: string, body: string, contentType: string): Promise<T> {
    const res = await fetch(`${this.url}${p}`, {
      method,
      headers: { ...this.headers, 'content-type': contentType },
      body,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** Like request, but throws unless the answer is 2xx. */
  async ok<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export const DESKTOP = { width: 1280, height: 720 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(browser: Browser, viewport = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Opens the console and signs in through the sign-in page. */
export async function signIn(page: Page, url: string, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** A new page of the console, signed in as the administrator, with its page errors collected (watchErrors). */
export async function signedInPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await (await newContext(browser)).newPage();
  const errors = watchErrors(page);
  await signIn(page, url);
  return { page, errors };
}

/** Saves a screenshot under test-results/e2e/ for a person to look at. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core on the page; returns serious and critical violations (tests expect none). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated, not added as a <script>: the pages' Content-Security-Policy refuses inline scripts.
  if (!loaded) await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: {
        run: (
          ctx: unknown,
          opts: unknown,
        ) => Promise<{
          violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
        }>;
      };
    };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails with a readable list when axe finds serious or critical problems. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const v = await seriousA11yViolations(page);
  if (v.length > 0) {
    throw new Error(
      `accessibility violations on ${screen}:\n` +
        v.map((x) => `  [${x.impact}] ${x.id}: ${x.help}\n    ${x.nodes.join('\n    ')}`).join('\n'),
    );
  }
}

/** Collects page errors (uncaught exceptions) so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
