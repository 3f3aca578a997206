import { Worker } from 'node:worker_threads';
import type { EmailLimits } from './limits.js';

/** One address of a parsed header. */
export interface ParsedAddress {
  name: string;
  address: string;
}

interface ParsedAttachment {
  filename: string | null;
  contentType: string;
  /** The Content-ID without brackets, to resolve cid: links. */
  contentId: string | null;
  inline: boolean;
  size: number;
  /** null when the attachment is larger than the limit (the raw message still holds it). */
  content: Uint8Array | null;
}

/** What the parser worker answers (parse-worker.mjs). */
export interface ParsedMail {
  subject: string | null;
  from: ParsedAddress[];
  to: ParsedAddress[];
  cc: ParsedAddress[];
  bcc: ParsedAddress[];
  replyTo: ParsedAddress[];
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  date: string | null;
  text: string | null;
  html: string | null;
  autoSubmitted: string | null;
  attachments: ParsedAttachment[];
}

export class ParseError extends Error {}

interface Job {
  raw: Buffer;
  resolve: (m: ParsedMail) => void;
  reject: (e: Error) => void;
}

type WorkerAnswer = { id: number; ok: true; mail: ParsedMail } | { id: number; ok: false; error: string };

const WORKER_URL = new URL('./parse-worker.mjs', import.meta.url);

/**
 * Runs mailparser in a worker thread, one message at a time, with a wall-time
 * limit and a heap limit. A late or crashed parse ends the worker (the next
 * message gets a new one), so a hostile message costs at most the timeout and
 * never blocks or crashes the server's event loop.
 */
export class MailParserPool {
  private worker: Worker | null = null;
  private readonly queue: Job[] = [];
  private busy = false;
  private seq = 0;
  private closed = false;

  constructor(private readonly limits: EmailLimits) {}

  parse(raw: Buffer): Promise<ParsedMail> {
    if (this.closed) return Promise.reject(new ParseError('the parser is shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ raw, resolve, reject });
      this.next();
    });
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.parserHeapMb },
      stdout: false,
      stderr: false,
    });
    w.unref();
    return w;
  }

  private next(): void {
    if (this.busy || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.busy = true;
    const id = ++this.seq;
    const worker = (this.worker ??= this.spawn());
    let settled = false;
    const finish = (err: Error | null, mail?: ParsedMail, killWorker = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (killWorker || err) {
        if (this.worker === worker) this.worker = null;
        void worker.terminate();
      }
      this.busy = false;
      if (err) job.reject(err);
      else job.resolve(mail!);
      this.next();
    };
    const onMessage = (m: WorkerAnswer) => {
      if (m.id !== id) return;
      // A parser error leaves the worker usable.
      if (m.ok) finish(null, m.mail);
      else {
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.busy = false;
        job.reject(new ParseError(`the MIME parser refused the message: ${m.error}`));
        this.next();
      }
    };
    const onError = (e: Error) => {
      const oom = /ERR_WORKER_OUT_OF_MEMORY|heap/i.test(`${(e as { code?: string }).code ?? ''} ${e.message}`);
      finish(new ParseError(oom ? 'the MIME parser ran out of memory' : `the MIME parser crashed: ${e.message}`));
    };
    const onExit = (code: number) => finish(new ParseError(`the MIME parser stopped (exit ${code})`));
    const timer = setTimeout(
      () => finish(new ParseError(`parsing took longer than ${this.limits.parseTimeoutMs} ms`), undefined, true),
      this.limits.parseTimeoutMs,
    );
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({
      id,
      raw: job.raw,
      options: {
        maxHtmlChars: this.limits.maxHtmlChars,
        maxHeaderBytes: this.limits.maxHeaderBytes,
        maxParts: this.limits.maxParts,
        maxAttachmentBytes: this.limits.maxAttachmentBytes,
      },
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new ParseError('the parser is shut down'));
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
