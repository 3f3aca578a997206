import { createHash } from 'node:crypto';
import type { EmailLimits } from './limits.js';

/**
 * A linear pass over the raw MIME before the real parser sees it: counts the
 * parts, measures the nesting and the header blocks, and reads the few
 * top-level headers ingestion needs early (Message-ID for deduplication). A
 * message that breaks a bound never reaches the parser. The pass is lenient
 * about everything else: a malformed message is the parser's to judge.
 */
export interface PrescanOk {
  ok: true;
  parts: number;
  depth: number;
  /** The Message-ID without angle brackets, as sent (Message-IDs are case-sensitive); null when absent or unusable. */
  messageId: string | null;
  /** "mid:<Message-ID>", or "sha256:<hash of the content>" when there is none. */
  dedupeKey: string;
  /** Raw (still encoded) Subject and From, for the quarantine list. */
  subject: string | null;
  from: string | null;
}

interface PrescanFailed {
  ok: false;
  reason: string;
  dedupeKey: string;
  messageId: string | null;
  subject: string | null;
  from: string | null;
}

export type Prescan = PrescanOk | PrescanFailed;

interface Container {
  boundary: string;
  depth: number;
}

interface HeaderBlock {
  /** Unfolded headers, names lower-cased; repeated headers keep every value. */
  headers: Map<string, string[]>;
  /** Index just past the blank line ending the block (or the end of the text). */
  end: number;
  bytes: number;
}

class Limit extends Error {}

/** Trace headers mail servers add on the way: left out of the content hash so two relays' copies match. */
const TRACE_HEADERS =
  /^(received|x-received|return-path|delivered-to|x-original-to|authentication-results|arc-[a-z-]+|x-envelope-[a-z-]+|x-spam-[a-z-]+|x-virus-[a-z-]+)$/;

/** Reads a header block starting at `start`; throws Limit when it is too large. */
function readHeaders(text: string, start: number, maxBytes: number): HeaderBlock {
  const headers = new Map<string, string[]>();
  let pos = start;
  let bytes = 0;
  let current: { name: string; value: string } | null = null;
  const flush = () => {
    if (!current) return;
    const list = headers.get(current.name) ?? [];
    list.push(current.value);
    headers.set(current.name, list);
    current = null;
  };
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    const lineLength = nl - pos;
    bytes += lineLength + 1;
    if (bytes > maxBytes) throw new Limit(`a header block is larger than ${maxBytes} bytes`);
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (current) (current as { value: string }).value += ' ' + line.trim();
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() };
  }
  flush();
  return { headers, end: Math.min(pos, text.length), bytes };
}

const first = (h: Map<string, string[]>, name: string): string | null => h.get(name)?.[0] ?? null;

function mediaType(contentType: string | null): string {
  return (contentType ?? 'text/plain').split(';')[0].trim().toLowerCase();
}

function boundaryOf(contentType: string | null): string | null {
  if (!contentType) return null;
  const m = /(?:^|;)\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const b = m ? (m[1] ?? m[2]) : null;
  return b && b.length <= 200 ? b : null;
}

/**
 * `<abc@host>` → `abc@host`; null when the value holds no usable id. The case
 * is kept: Message-IDs are case-sensitive, and two messages whose ids differ
 * only in case are two messages.
 */
export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /<([^<>\s]{1,995})>/.exec(value);
  const id = m ? m[1] : value.trim();
  if (!id || id.length > 995 || /[\s<>]/.test(id)) return null;
  return id;
}

/** Every Message-ID in a References / In-Reply-To value, normalised. */
export function messageIdsIn(value: string | null | undefined, max = 50): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const m of value.matchAll(/<([^<>\s]{1,995})>/g)) {
    out.push(m[1]);
  }
  return out.slice(-max);
}

/**
 * The hash that identifies a message without a Message-ID: the root header
 * block without trace headers, then the body with its line endings made LF and
 * trailing whitespace (per line, and blank lines at the end) dropped, so the
 * same message by SMTP (CRLF, dot-stuffing undone) and over HTTP (often LF, a
 * final newline more or less) is one message.
 */
function contentHash(text: string, root: HeaderBlock, rootEnd: number): string {
  const hash = createHash('sha256');
  for (const [name, values] of [...root.headers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (TRACE_HEADERS.test(name)) continue;
    for (const v of values) hash.update(`${name}:${v}\n`, 'latin1');
  }
  const body = text
    .slice(rootEnd)
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/[ \t]+$/, ''));
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  hash.update(body.join('\n'), 'latin1');
  return hash.digest('hex');
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Repairs, at the door, what real mail gets wrong before the first header in
 * ways every reader forgives: a UTF-8 byte-order mark before the headers, and
 * the obsolete header syntax with white space before the colon (`From  :`,
 * RFC 5322 section 4.5) in the top-level header block. Returns `raw` itself when
 * there is nothing to repair.
 */
export function repairRaw(raw: Buffer): Buffer {
  let out = raw.subarray(0, 3).equals(BOM) ? raw.subarray(3) : raw;
  const text = out.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  const fixed = head.replace(/^([!-9;-~]+)[ \t]+:/gm, '$1:');
  if (fixed !== head) out = Buffer.concat([Buffer.from(fixed, 'latin1'), out.subarray(head.length)]);
  return out;
}

/** Scans the raw message; never throws. */
export function prescan(raw: Buffer, limits: EmailLimits): Prescan {
  // latin1 keeps one character per byte: positions and lengths are byte counts.
  const text = raw.toString('latin1');
  let root: HeaderBlock;
  let messageId: string | null = null;
  let subject: string | null = null;
  let from: string | null = null;
  try {
    root = readHeaders(text, 0, limits.maxHeaderBytes);
  } catch (err) {
    // A header block too large to read: the bytes as they are are the key.
    const dedupeKey = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    return { ok: false, reason: (err as Error).message, dedupeKey, messageId, subject, from };
  }
  messageId = normaliseMessageId(first(root.headers, 'message-id'));
  subject = first(root.headers, 'subject')?.slice(0, 1000) ?? null;
  from = first(root.headers, 'from')?.slice(0, 1000) ?? null;
  const dedupeKey = messageId ? `mid:${messageId}` : `sha256:${contentHash(text, root, root.end)}`;
  const fail = (reason: string): PrescanFailed => ({ ok: false, reason, dedupeKey, messageId, subject, from });

  let parts = 1;
  let maxDepth = 0;
  const stack: Container[] = [];

  /** A part (or the root) begins with `block`: note its containers. */
  const enter = (block: HeaderBlock, depth: number): number => {
    let ct = first(block.headers, 'content-type');
    let type = mediaType(ct);
    let pos = block.end;
    let d = depth;
    const encoding = (first(block.headers, 'content-transfer-encoding') ?? '7bit').toLowerCase();
    // An embedded message in clear text: its own header block follows at once.
    if (type === 'message/rfc822' && !/base64|quoted-printable/.test(encoding)) {
      d += 1;
      if (d > limits.maxDepth) throw new Limit(`parts are nested more than ${limits.maxDepth} deep`);
      const inner = readHeaders(text, pos, limits.maxHeaderBytes);
      pos = inner.end;
      ct = first(inner.headers, 'content-type');
      type = mediaType(ct);
    }
    if (type.startsWith('multipart/')) {
      const boundary = boundaryOf(ct);
      if (boundary) {
        d += 1;
        if (d > limits.maxDepth) throw new Limit(`parts are nested more than ${limits.maxDepth} deep`);
        stack.push({ boundary, depth: d });
      }
    }
    maxDepth = Math.max(maxDepth, d);
    return pos;
  };

  try {
    let pos = enter(root, 0);
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1) nl = text.length;
      const lineStart = pos;
      pos = nl + 1;
      if (stack.length === 0) break; // no container is open: the rest is one body
      if (text.charCodeAt(lineStart) !== 45 || text.charCodeAt(lineStart + 1) !== 45) continue; // "--"
      const line = text.slice(lineStart + 2, Math.min(nl, lineStart + 2 + 210)).trimEnd();
      for (let k = stack.length - 1; k >= 0; k--) {
        const b = stack[k].boundary;
        if (line === b + '--') {
          stack.length = k;
          break;
        }
        if (line === b) {
          stack.length = k + 1;
          parts += 1;
          if (parts > limits.maxParts) throw new Limit(`the message has more than ${limits.maxParts} parts`);
          const block = readHeaders(text, pos, limits.maxHeaderBytes);
          pos = enter(block, stack[k].depth);
          break;
        }
      }
    }
  } catch (err) {
    if (err instanceof Limit) return fail(err.message);
    return fail(`the message structure could not be read: ${(err as Error).message}`);
  }
  return { ok: true, parts, depth: maxDepth, messageId, dedupeKey, subject, from };
}
