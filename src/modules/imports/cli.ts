import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../config.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open.js';
import { systemActor } from '../../http/actor.js';
import { AppError } from '../../http/errors.js';
import type { Mapping } from './mapping.js';
import { countsOf } from './runner.js';
import { ImportsService, type SettingsInput } from './service.js';
import type { ImportRow } from './store.js';

/**
 * `switchboard import customers|cases|follow-ups FILE …`: against a running
 * server through its API (--server/SWITCHBOARD_URL with an API key), or
 * directly on the configured database when no server is named (the embedded
 * database must be stopped: the CLI takes its lock). Prints a progress bar.
 */
export const IMPORT_USAGE = `switchboard import customers|cases|follow-ups FILE [options]
  --mapping F        a mapping file (JSON: {"columns": [{"column", "field", "phoneType"?, "blank"?}]}); default: suggested
  --mode M           create (default) | upsert | update
  --match K,K        match keys in order (customers: accountNumber,email,phone; cases: caseNumber)
  --region CC        country for phone numbers without a country code (default DEFAULT_PHONE_REGION)
  --replace-phones   the file's phones replace a matched customer's
  --dry-run          read, check and match everything, write nothing, print the counts
  --format csv|jsonl, --encoding utf-8|utf-16le|utf-16be|windows-1252, --delimiter ',' | ';' | tab | '|'
  --errors F         write the failed rows (with an error column) to F
  --server URL       import through a running server (or SWITCHBOARD_URL) with
  --api-key K        an API key of a user holding data.import (or SWITCHBOARD_API_KEY)
Exit status: 0 every row imported, 2 finished with failed rows, 1 cancelled or failed.`;

export class ImportUsageError extends Error {}

const OBJECTS: Record<string, 'customers' | 'cases' | 'followUps'> = {
  customers: 'customers',
  cases: 'cases',
  'follow-ups': 'followUps',
  followups: 'followUps',
};

interface Progress {
  status: string;
  read: number;
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  rate: number | null;
  left: number | null;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** One line of progress: a bar on a terminal (redrawn in place), plain lines now and then otherwise. */
class ProgressBar {
  private last = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}
  draw(p: Progress, final = false): void {
    const now = Date.now();
    if (!this.out.isTTY && !final && now - this.last < 5000) return;
    this.last = now;
    const share = p.total > 0 ? Math.min(1, p.read / p.total) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const rate = p.rate ? ` · ${fmt(Math.round(p.rate))} rows/s` : '';
    const left = p.left !== null && !final ? ` · ${p.left} s left` : '';
    const line = `${bar} ${Math.floor(share * 100)}% ${fmt(p.read)}/${fmt(p.total)} rows${rate}${left}`;
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else this.out.write(`${line}\n`);
  }
}

function summary(p: Progress, dryRun: boolean): string {
  return (
    `${dryRun ? 'Dry run ' : 'Import '}${p.status}: ${fmt(p.read)} rows read, ${fmt(p.created)} created, ` +
    `${fmt(p.updated)} updated, ${fmt(p.unchanged)} unchanged, ${fmt(p.failed)} failed\n`
  );
}

const exitCode = (p: Progress) => (p.status !== 'completed' ? 1 : p.failed > 0 ? 2 : 0);

export async function importCommand(config: Config, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mapping: { type: 'string' },
      mode: { type: 'string' },
      match: { type: 'string' },
      region: { type: 'string' },
      'replace-phones': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      format: { type: 'string' },
      encoding: { type: 'string' },
      delimiter: { type: 'string' },
      errors: { type: 'string' },
      server: { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
  const [what, file] = positionals;
  const objectType = OBJECTS[what ?? ''];
  if (!objectType) throw new ImportUsageError('say what to import: customers, cases or follow-ups');
  if (!file) throw new ImportUsageError('give the file to import');
  if (!existsSync(file) || !statSync(file).isFile()) throw new ImportUsageError(`no such file: ${file}`);
  const settings: SettingsInput = {};
  if (values.mapping) {
    try {
      const parsed = JSON.parse(readFileSync(values.mapping, 'utf8')) as Mapping | { mapping: Mapping };
      settings.mapping = 'mapping' in parsed ? parsed.mapping : parsed;
    } catch (err) {
      throw new ImportUsageError(`--mapping ${values.mapping}: not a JSON mapping (${(err as Error).message})`);
    }
  }
  if (values.mode) settings.mode = values.mode as SettingsInput['mode'];
  if (values.match) settings.match = values.match.split(',').map((s) => s.trim());
  if (values.region) settings.region = values.region;
  if (values['replace-phones']) settings.replacePhones = true;
  const delimiter = values.delimiter === 'tab' ? '\t' : values.delimiter;
  const query = new URLSearchParams({ objectType, fileName: path.basename(file) });
  if (values.format) query.set('format', values.format);
  if (values.encoding) query.set('encoding', values.encoding);
  if (delimiter) query.set('delimiter', delimiter);
  const dryRun = values['dry-run'] ?? false;
  const server = values.server ?? process.env.SWITCHBOARD_URL;
  const bar = new ProgressBar(process.stderr);
  if (server) {
    const key = values['api-key'] ?? process.env.SWITCHBOARD_API_KEY;
    if (!key) throw new ImportUsageError('an import through a server needs --api-key (or SWITCHBOARD_API_KEY)');
    return remoteImport(server.replace(/\/$/, ''), key, file, query, settings, dryRun, values.errors, bar);
  }
  return localImport(config, file, query, settings, dryRun, values.errors, bar);
}

async function remoteImport(
  base: string,
  key: string,
  file: string,
  query: URLSearchParams,
  settings: SettingsInput,
  dryRun: boolean,
  errorsFile: string | undefined,
  bar: ProgressBar,
): Promise<number> {
  const auth = { authorization: `Bearer ${key}` };
  const call = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new AppError(res.status, 'Error', problemText(text, res.status));
    return JSON.parse(text) as T;
  };
  const upload = await fetch(`${base}/api/v1/imports?${query}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(statSync(file).size) },
    body: Readable.toWeb(createReadStream(file)) as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  const uploaded = await upload.text();
  if (!upload.ok) throw new AppError(upload.status, 'Error', problemText(uploaded, upload.status));
  const { id, totalRows } = JSON.parse(uploaded) as { id: string; totalRows: number };
  process.stderr.write(`Uploaded ${path.basename(file)}: ${fmt(totalRows)} rows (import ${id})\n`);
  await call('POST', `/api/v1/imports/${id}/${dryRun ? 'dry-run' : 'start'}`, settings);
  type RunJson = {
    status: string;
    counts: { read: number; created: number; updated: number; unchanged: number; failed: number };
    total: number;
    rowsPerSecond: number | null;
    secondsLeft: number | null;
  };
  let p: Progress;
  for (;;) {
    const got = await call<{ run: RunJson | null; dryRun: RunJson | null }>('GET', `/api/v1/imports/${id}`);
    const r = (dryRun ? got.dryRun : got.run)!;
    p = { status: r.status, ...r.counts, total: r.total, rate: r.rowsPerSecond, left: r.secondsLeft };
    const done = r.status !== 'queued' && r.status !== 'running';
    bar.draw(p, done);
    if (done) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  process.stdout.write(summary(p, dryRun));
  if (p.failed > 0 && errorsFile) {
    const res = await fetch(`${base}/api/v1/imports/${id}/errors.csv${dryRun ? '?dryRun=true' : ''}`, {
      headers: auth,
    });
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(errorsFile));
    process.stdout.write(`Failed rows written to ${errorsFile}\n`);
  } else if (p.failed > 0) {
    process.stdout.write(`Failed rows: ${base}/api/v1/imports/${id}/errors.csv${dryRun ? '?dryRun=true' : ''}\n`);
  }
  return exitCode(p);
}

function problemText(body: string, status: number): string {
  try {
    const p = JSON.parse(body) as { detail?: string; errors?: { field: string; message: string }[] };
    return p.errors?.length
      ? p.errors.map((e) => `${e.field}: ${e.message}`).join('\n')
      : (p.detail ?? `HTTP ${status}`);
  } catch {
    return `HTTP ${status}`;
  }
}

async function localImport(
  config: Config,
  file: string,
  query: URLSearchParams,
  settings: SettingsInput,
  dryRun: boolean,
  errorsFile: string | undefined,
  bar: ProgressBar,
): Promise<number> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const { buildApp } = await import('../../app.js');
    const { app, ctx } = await buildApp(db, { ...config, logLevel: 'silent' }, { runJobs: false, logger: false });
    await app.ready();
    const imports = new ImportsService(db, ctx.config, ctx.clock, ctx.services, ctx.services.jobs);
    const actor = systemActor('import', 'command line');
    const imp: ImportRow = await imports.upload(actor, createReadStream(file), {
      objectType: query.get('objectType') as ImportRow['object_type'],
      fileName: query.get('fileName') ?? path.basename(file),
      format: (query.get('format') ?? undefined) as never,
      encoding: (query.get('encoding') ?? undefined) as never,
      delimiter: (query.get('delimiter') ?? undefined) as never,
    });
    process.stderr.write(`Read ${path.basename(file)}: ${fmt(imp.total_rows)} rows (import ${imp.id})\n`);
    await imports.start(actor, imp.id, settings, dryRun);
    const started = Date.now();
    const progress = async (): Promise<Progress> => {
      const { runs } = await imports.get(actor, imp.id);
      const r = runs.find((x) => x.dry_run === dryRun)!;
      const c = countsOf(r);
      const secs = (Date.now() - started) / 1000;
      const rate = secs > 0 && c.read > 0 ? c.read / secs : null;
      return {
        status: r.status,
        ...c,
        total: imp.total_rows,
        rate,
        left: rate ? Math.ceil((imp.total_rows - c.read) / rate) : null,
      };
    };
    const stop = () => void ctx.services.jobs.shutdown();
    process.once('SIGINT', stop);
    const timer = setInterval(() => void progress().then((p) => bar.draw(p)), 500);
    try {
      if (db.engine === 'pglite') await ctx.services.jobs.requeueOrphans();
      await ctx.services.jobs.runUntilIdle();
    } finally {
      clearInterval(timer);
      process.off('SIGINT', stop);
    }
    const p = await progress();
    bar.draw(p, true);
    process.stdout.write(summary(p, dryRun));
    if (p.failed > 0 && errorsFile) {
      const out = createWriteStream(errorsFile);
      const csv = imp.format === 'csv';
      const { stringify } = await import('csv-stringify/sync');
      if (csv) out.write('\ufeff' + stringify([[...imp.columns, 'error']]));
      for (let after = 0; ;) {
        const page = await imports.errors(actor, imp.id, dryRun, after, 1000);
        if (page.length === 0) break;
        for (const e of page) {
          const msg = `row ${e.row}: ${e.errors.map((x) => (x.column ? `${x.column}: ${x.message}` : x.message)).join('; ')}`;
          if (csv) {
            const cells = Array.isArray(e.record) ? (e.record as string[]) : [];
            out.write(stringify([[...imp.columns.map((_, i) => cells[i] ?? ''), msg]]));
          } else out.write(JSON.stringify({ ...((e.record as object) ?? {}), _error: msg }) + '\n');
        }
        after = page[page.length - 1].row;
      }
      await new Promise((r) => out.end(r));
      process.stdout.write(`Failed rows written to ${errorsFile}\n`);
    }
    await app.close();
    return exitCode(p);
  } finally {
    await db.close();
  }
}
