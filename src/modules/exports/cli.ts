import { createWriteStream } from 'node:fs';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parseArgs } from 'node:util';
import type { Config } from '../../config.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open.js';
import { systemActor } from '../../http/actor.js';
import { AppError } from '../../http/errors.js';
import { CustomFieldsService } from '../custom-fields/service.js';
import type { ExportFormat } from './format.js';
import { EXPORT_OBJECTS, type ExportObject } from './objects.js';
import { ExportsService, type ExportSpec } from './service.js';

/**
 * `switchboard export customers|cases|follow-ups|tasks|interactions|history`:
 * writes the file to standard output (or --out), through a running server's
 * API with a key, or directly on the configured database (the embedded
 * database must be stopped: the CLI takes its lock), like `switchboard import`.
 */
export const EXPORT_USAGE = `switchboard export customers|cases|follow-ups|tasks|interactions|history [options] > FILE
  --format csv|jsonl     csv (default) or JSON Lines
  --filter NAME=VALUE    a list filter (repeatable), e.g. --filter vip=true --filter cf.tier=gold
  --since TIME           only records changed at or after TIME (ISO 8601), with tombstones for deletions
  --columns K,K          column keys in this order (default: all)
  --bom                  CSV: begin with a UTF-8 byte-order mark (Excel)
  --gzip                 compress the output
  --out F                write to F instead of standard output
  --server URL           export through a running server (or SWITCHBOARD_URL) with
  --api-key K            an API key of a user holding data.export (or SWITCHBOARD_API_KEY)`;

export class ExportUsageError extends Error {}

const OBJECT_NAMES: Record<string, ExportObject> = {
  'follow-ups': 'followUps',
  followups: 'followUps',
  ...Object.fromEntries(EXPORT_OBJECTS.map((o) => [o, o])),
};

const BOOLEAN = /^(true|false)$/;

export async function exportCommand(config: Config, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      filter: { type: 'string', multiple: true },
      since: { type: 'string' },
      columns: { type: 'string' },
      bom: { type: 'boolean' },
      gzip: { type: 'boolean' },
      out: { type: 'string' },
      server: { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
  const object = OBJECT_NAMES[positionals[0] ?? ''];
  if (!object) throw new ExportUsageError(`say what to export: ${Object.keys(OBJECT_NAMES).join(', ')}`);
  const format = (values.format ?? 'csv') as ExportFormat;
  if (format !== 'csv' && format !== 'jsonl') throw new ExportUsageError('--format is csv or jsonl');
  const filters: Record<string, string> = {};
  for (const f of values.filter ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new ExportUsageError(`--filter ${f}: write NAME=VALUE`);
    filters[f.slice(0, eq)] = f.slice(eq + 1);
  }
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) {
    throw new ExportUsageError(`--since ${values.since}: not a time (write e.g. 2026-01-31T00:00:00Z)`);
  }
  const file: Writable = values.out ? createWriteStream(values.out) : process.stdout;
  // Standard output is left open (the process ends it); a file is closed when the export ends.
  const sink = (source: Readable) =>
    values.gzip
      ? pipeline(source, createGzip(), file, { end: Boolean(values.out) })
      : pipeline(source, file, { end: Boolean(values.out) });

  const server = values.server ?? process.env.SWITCHBOARD_URL;
  if (server) {
    const key = values['api-key'] ?? process.env.SWITCHBOARD_API_KEY;
    if (!key) throw new ExportUsageError('an export through a server needs --api-key (or SWITCHBOARD_API_KEY)');
    const query = new URLSearchParams({ format, ...filters });
    if (values.since) query.set('updatedSince', new Date(values.since).toISOString());
    if (values.columns) query.set('columns', values.columns);
    if (values.bom) query.set('bom', 'true');
    const path = object === 'followUps' ? 'followUps' : object;
    const res = await fetch(`${server.replace(/\/$/, '')}/api/v1/exports/${path}?${query}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (!res.ok || !res.body) throw new AppError(res.status, 'Error', problemText(await res.text(), res.status));
    await sink(Readable.fromWeb(res.body as never));
    return 0;
  }

  const db = await openDatabase(config);
  try {
    await migrate(db);
    const exports = new ExportsService(db, new CustomFieldsService(db, config));
    const actor = systemActor('system', 'command line');
    const spec: ExportSpec = {
      object,
      format,
      // On the command line every value is text: true/false become booleans for yes/no filters.
      filters: Object.fromEntries(
        Object.entries(filters).map(([k, v]) => [k, !k.startsWith('cf.') && BOOLEAN.test(v) ? v === 'true' : v]),
      ),
      updatedSince: values.since ? new Date(values.since) : undefined,
      columns: values.columns?.split(',').map((c) => c.trim()),
      bom: values.bom ?? false,
    };
    const prep = await exports.prepare(actor, spec);
    const out = new PassThrough();
    const done = sink(out);
    const outcome = await exports.write(actor, prep, out);
    await done;
    process.stderr.write(
      `Exported ${outcome.rows.toLocaleString('en-US')} ${object}` +
        (spec.updatedSince ? ` and ${outcome.tombstones} deletions` : '') +
        ` (snapshot at ${outcome.snapshotAt.toISOString()})\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
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
