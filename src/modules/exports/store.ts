import type { Queryable } from '../../db/adapter.js';

/** A finished background export's file (export_files), kept until `expires_at`. */
interface ExportFileRow {
  job_id: string;
  owner_id: string;
  object_type: string;
  format: 'csv' | 'jsonl';
  gzip: boolean;
  file_name: string;
  content_type: string;
  bytes: number;
  rows: number;
  created_at: Date;
  expires_at: Date;
}

export async function deleteFile(tx: Queryable, jobId: string): Promise<void> {
  await tx.query('DELETE FROM export_file_chunks WHERE job_id = $1', [jobId]);
  await tx.query('DELETE FROM export_files WHERE job_id = $1', [jobId]);
}

export async function insertChunk(tx: Queryable, jobId: string, seq: number, data: Buffer): Promise<void> {
  await tx.query('INSERT INTO export_file_chunks (job_id, seq, data) VALUES ($1, $2, $3)', [jobId, seq, data]);
}

export async function insertFile(tx: Queryable, f: ExportFileRow): Promise<void> {
  await tx.query(
    `INSERT INTO export_files (job_id, owner_id, object_type, format, gzip, file_name, content_type, bytes, rows,
                               created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      f.job_id,
      f.owner_id,
      f.object_type,
      f.format,
      f.gzip,
      f.file_name,
      f.content_type,
      f.bytes,
      f.rows,
      f.created_at,
      f.expires_at,
    ],
  );
}

export async function getFile(q: Queryable, jobId: string): Promise<ExportFileRow | null> {
  const rows = await q.query<ExportFileRow>('SELECT * FROM export_files WHERE job_id = $1', [jobId]);
  return rows[0] ?? null;
}

/** The owner's files not yet expired, newest first. */
export async function listFiles(q: Queryable, ownerId: string, now: Date): Promise<ExportFileRow[]> {
  return q.query<ExportFileRow>(
    'SELECT * FROM export_files WHERE owner_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 200',
    [ownerId, now],
  );
}

export async function chunk(q: Queryable, jobId: string, seq: number): Promise<Buffer | null> {
  const rows = await q.query<{ data: Uint8Array }>(
    'SELECT data FROM export_file_chunks WHERE job_id = $1 AND seq = $2',
    [jobId, seq],
  );
  return rows[0] ? Buffer.from(rows[0].data) : null;
}

/** Deletes files past their time (and their bytes); returns how many. */
export async function deleteExpired(tx: Queryable, now: Date): Promise<number> {
  const gone = await tx.query<{ job_id: string }>('DELETE FROM export_files WHERE expires_at <= $1 RETURNING job_id', [
    now,
  ]);
  if (gone.length) {
    await tx.query('DELETE FROM export_file_chunks WHERE job_id = ANY($1::uuid[])', [gone.map((g) => g.job_id)]);
  }
  return gone.length;
}
