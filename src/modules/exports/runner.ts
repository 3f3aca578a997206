import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';
import { isPrivilege } from '../../http/privileges.js';
import type { JobHandler } from '../jobs/queue.js';
import type { ExportFormat } from './format.js';
import type { ExportObject } from './objects.js';
import type { ExportsService, ExportSpec } from './service.js';
import * as store from './store.js';

export const EXPORT_JOB = 'export';

/** Bytes per stored chunk of a file. */
const CHUNK_BYTES = 1024 * 1024;

/** A background export's parameters (jobs.params): the spec and who asked, with the privileges they had then. */
export interface ExportJobParams {
  object: ExportObject;
  format: ExportFormat;
  filters: Record<string, unknown>;
  updatedSince: string | null;
  columns: string[] | null;
  bom: boolean;
  gzip: boolean;
  requestedBy: { userId: string; name: string; privileges: string[] };
}

export function specOf(p: ExportJobParams): ExportSpec {
  return {
    object: p.object,
    format: p.format,
    filters: p.filters,
    updatedSince: p.updatedSince ? new Date(p.updatedSince) : undefined,
    columns: p.columns ?? undefined,
    bom: p.bom,
  };
}

function actorOfParams(p: ExportJobParams): Actor {
  return {
    kind: 'user',
    userId: p.requestedBy.userId,
    name: p.requestedBy.name,
    role: null,
    privileges: new Set(p.requestedBy.privileges.filter(isPrivilege)),
    channel: 'api',
    scopes: ['full'],
  };
}

function fileNameOf(p: ExportJobParams, at: Date): string {
  const ext = p.format === 'csv' ? 'csv' : 'jsonl';
  return `${p.object}-${at.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.${ext}${p.gzip ? '.gz' : ''}`;
}

/**
 * The `export` job kind: runs the export in one REPEATABLE READ transaction and
 * stores the file's bytes in chunks in that same transaction, so a file is
 * complete or absent: a process killed half-way leaves nothing, and the job
 * (claimed again) starts over from the first row. Progress is written as rows
 * go (PostgreSQL; the embedded database has one connection, held by the export).
 */
export function exportJobHandler(
  db: Db,
  clock: Clock,
  exports: ExportsService,
  keepMs: number,
): JobHandler<ExportJobParams, { done: true }> {
  return {
    maxAttempts: 3,
    async run(run) {
      const p = run.job.params;
      const actor = actorOfParams(p);
      const prep = await exports.prepare(actor, specOf(p));
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      let seq = 0;
      let bytes = 0;
      const collector = new Writable({
        write(chunk: Buffer, _enc, done) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          bytes += chunk.length;
          done();
        },
      });
      const out = p.gzip ? createGzip() : collector;
      if (p.gzip) out.pipe(collector);
      const flush = async (tx: Queryable, all: boolean) => {
        while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
          const data = Buffer.concat(pending.splice(0));
          const piece = data.subarray(0, CHUNK_BYTES);
          const rest = data.subarray(piece.length);
          if (rest.length) pending.push(rest);
          pendingBytes = rest.length;
          await store.insertChunk(tx, run.job.id, seq++, piece);
        }
      };
      const startedAt = clock.now();
      const outcome = await exports.write(actor, prep, out, {
        signal: run.signal,
        // A run before this one that committed its file but not its step leaves a file: replace it.
        onStart: (tx) => store.deleteFile(tx, run.job.id),
        onPage: async (tx, rows) => {
          await flush(tx, false);
          if (db.engine === 'postgres') await run.progress({ done: rows });
        },
        onEnd: async (tx, o) => {
          await finished(collector);
          await flush(tx, true);
          await store.insertFile(tx, {
            job_id: run.job.id,
            owner_id: p.requestedBy.userId,
            object_type: p.object,
            format: p.format,
            gzip: p.gzip,
            file_name: fileNameOf(p, startedAt),
            content_type: p.gzip ? 'application/gzip' : p.format === 'csv' ? 'text/csv' : 'application/x-ndjson',
            bytes,
            rows: o.rows + o.tombstones,
            created_at: clock.now(),
            expires_at: new Date(clock.now().getTime() + keepMs),
          });
        },
      });
      // The step checks the job is still ours and not cancelled (a cancelled export's file is then deleted).
      await run.step(async () => ({
        record: { checkpoint: { done: true }, done: outcome.rows, total: outcome.rows },
        value: null,
      }));
      return {
        rows: outcome.rows,
        tombstones: outcome.tombstones,
        bytes,
        snapshotAt: outcome.snapshotAt.toISOString(),
        expiresAt: new Date(clock.now().getTime() + keepMs).toISOString(),
      };
    },
    async onFinish(tx, job, outcome) {
      if (outcome.status !== 'succeeded') await store.deleteFile(tx, job.id);
    },
  };
}
