// The MIME parser's worker thread (plain JavaScript, so it loads the same under
// tsx, vitest and node). The main thread sends {id, raw, options} and receives
// {id, ok, mail | error}. A message that makes the parser hang or run out of
// memory ends this thread, never the server: parse.ts terminates it and starts another.
import { Buffer } from 'node:buffer';
import { parentPort } from 'node:worker_threads';
import { simpleParser } from 'mailparser';
import { convert } from 'html-to-text';

/** Address objects → [{name, address}], groups flattened. */
function addresses(value) {
  const out = [];
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const walk = (entries) => {
    for (const e of entries) {
      if (e.group) walk(e.group);
      else if (e.address) out.push({ name: e.name || '', address: e.address });
    }
  };
  for (const obj of list) walk(obj.value || []);
  return out;
}

function headerText(headers, name) {
  const v = headers.get(name);
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(' ');
  return null;
}

/** The text of an HTML-only message (mailparser leaves it out in some structures). */
function textOf(html, options) {
  if (typeof html !== 'string' || html === '') return null;
  return convert(html, {
    wordwrap: false,
    limits: { maxInputLength: options.maxHtmlChars },
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
    ],
  });
}

parentPort.on('message', async (msg) => {
  const { id, raw, options } = msg;
  try {
    const mail = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
      keepCidLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      checksumAlgo: false,
      maxHtmlLengthToParse: options.maxHtmlChars,
      maxHeadSize: options.maxHeaderBytes,
      maxChildNodes: options.maxParts,
    });
    const refs =
      mail.references === undefined ? [] : Array.isArray(mail.references) ? mail.references : [mail.references];
    const result = {
      subject: mail.subject ?? null,
      from: addresses(mail.from),
      to: addresses(mail.to),
      cc: addresses(mail.cc),
      bcc: addresses(mail.bcc),
      replyTo: addresses(mail.replyTo),
      messageId: mail.messageId ?? null,
      inReplyTo: mail.inReplyTo ?? null,
      references: refs.map(String),
      date: mail.date instanceof Date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null,
      text: typeof mail.text === 'string' && mail.text.trim() !== '' ? mail.text : textOf(mail.html, options),
      html: typeof mail.html === 'string' ? mail.html : null,
      autoSubmitted: headerText(mail.headers, 'auto-submitted'),
      attachments: mail.attachments.map((a) => ({
        filename: a.filename ?? null,
        contentType: a.contentType || 'application/octet-stream',
        contentId: a.cid ?? null,
        inline: Boolean(a.related) || a.contentDisposition === 'inline',
        size: a.size ?? a.content.length,
        content: a.size > options.maxAttachmentBytes ? null : new Uint8Array(a.content),
      })),
    };
    parentPort.postMessage({ id, ok: true, mail: result });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: err && err.message ? String(err.message) : String(err) });
  }
});
