import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limits.js';
import { MailParserPool, ParseError } from './parse.js';
import { messageIdsIn, normaliseMessageId, prescan } from './prescan.js';
import { sanitizeEmailHtml } from './sanitize.js';
import { caseNumberInSubject, clean, namesFromDisplayName, tagSubject } from './text.js';

const CRLF = '\r\n';
const msg = (headers: string[], body: string) => Buffer.from([...headers, '', body].join(CRLF));

describe('pre-scan of raw MIME', () => {
  it('counts parts and depth, reads the Message-ID', () => {
    const raw = msg(
      ['From: a@b.test', 'Message-ID: <ABC@Host>', 'Content-Type: multipart/mixed; boundary="o"'],
      [
        '--o',
        'Content-Type: multipart/alternative;',
        ' boundary=inner',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'x',
        '--inner--',
        '--o',
        'Content-Type: text/plain',
        '',
        'y',
        '--o--',
      ].join(CRLF),
    );
    const p = prescan(raw, DEFAULT_LIMITS);
    expect(p).toMatchObject({ ok: true, parts: 4, depth: 2, messageId: 'ABC@Host', dedupeKey: 'mid:ABC@Host' });
  });

  it('refuses too many parts, too deep nesting and oversized header blocks with a reason', () => {
    const limits = { ...DEFAULT_LIMITS, maxParts: 10, maxDepth: 3, maxHeaderBytes: 1000 };
    const many = msg(
      ['Content-Type: multipart/mixed; boundary=m'],
      Array.from({ length: 20 }, (_, i) => `--m${CRLF}${CRLF}p${i}`).join(CRLF) + `${CRLF}--m--`,
    );
    expect(prescan(many, limits)).toMatchObject({ ok: false, reason: 'the message has more than 10 parts' });
    let deep = 'leaf';
    for (let i = 5; i >= 1; i--)
      deep = `--d${i}${CRLF}Content-Type: multipart/mixed; boundary=d${i + 1}${CRLF}${CRLF}${deep}`;
    const nested = msg(['Content-Type: multipart/mixed; boundary=d1'], deep);
    expect(prescan(nested, limits)).toMatchObject({ ok: false, reason: 'parts are nested more than 3 deep' });
    const big = msg([`Subject: ${'x'.repeat(2000)}`], 'b');
    expect(prescan(big, limits)).toMatchObject({ ok: false, reason: 'a header block is larger than 1000 bytes' });
  });

  it('hashes content without a Message-ID, ignoring the trace headers relays add', () => {
    const body = msg(['From: a@b.test', 'Subject: s'], 'same');
    const a = prescan(Buffer.concat([Buffer.from(`Received: from x${CRLF}`), body]), DEFAULT_LIMITS);
    const b = prescan(
      Buffer.concat([Buffer.from(`Received: from y${CRLF}Return-Path: <z@z>${CRLF}`), body]),
      DEFAULT_LIMITS,
    );
    const c = prescan(msg(['From: a@b.test', 'Subject: s'], 'different'), DEFAULT_LIMITS);
    expect(a.dedupeKey).toMatch(/^sha256:/);
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(c.dedupeKey).not.toBe(a.dedupeKey);
  });

  it('normalises Message-IDs', () => {
    expect(normaliseMessageId(' <X.Y@Z> ')).toBe('X.Y@Z'); // case kept: Message-IDs are case-sensitive;
    expect(normaliseMessageId('no brackets@host')).toBeNull();
    expect(normaliseMessageId('bare@host')).toBe('bare@host');
    expect(messageIdsIn('<a@b> junk <c@d>')).toEqual(['a@b', 'c@d']);
  });
});

describe('the parser worker', () => {
  it('gives up on a parse that takes too long, and the next message gets a fresh worker', async () => {
    const limits = { ...DEFAULT_LIMITS, parseTimeoutMs: 1 };
    const pool = new MailParserPool(limits);
    const raw = msg(['From: a@b.test', 'Content-Type: text/plain'], 'x'.repeat(2_000_000));
    try {
      await expect(pool.parse(raw)).rejects.toThrow(ParseError);
      await expect(pool.parse(raw)).rejects.toThrow(/longer than 1 ms/);
      limits.parseTimeoutMs = 30_000;
      const ok = await pool.parse(msg(['From: Ann <a@b.test>', 'Subject: fine'], 'body'));
      expect(ok).toMatchObject({ subject: 'fine', from: [{ name: 'Ann', address: 'a@b.test' }] });
    } finally {
      await pool.close();
    }
  });
});

describe('sanitising and text helpers', () => {
  it('removes active content, keeps formatting, blocks remote images and maps cid: images', () => {
    const s = sanitizeEmailHtml(
      '<div style="color:red;background:url(http://t/x)" onclick="x()"><img src="http://t/p.gif"><img src="cid:A@B">' +
        '<a href="javascript:alert(1)">j</a><a href="https://ok.test">k</a><iframe src="https://e"></iframe>' +
        '<img src="/api/v1/me" alt="internal"></div>',
      (cid) => (cid === 'a@b' || cid === 'A@B' ? '/api/v1/email/attachments/1' : null),
    );
    expect(s.remoteImagesBlocked).toBe(true);
    expect(s.html).toContain('style="color:red"');
    expect(s.html).not.toMatch(/onclick|url\(|iframe|javascript/);
    expect(s.html).toContain('src="/api/v1/email/attachments/1"');
    expect(s.html).not.toContain('/api/v1/me');
    expect(s.html).toContain('href="https://ok.test"');
    expect(s.html).toContain('rel="noopener noreferrer nofollow"');
  });

  it('cleans NUL and control characters, names customers, tags subjects', () => {
    expect(clean('a\u0000b\u0007c\td')).toBe('abc\td');
    expect(namesFromDisplayName('"Doe, Jane"')).toEqual({ firstName: 'Jane', lastName: 'Doe' });
    expect(namesFromDisplayName('Jean Luc Picard')).toEqual({ firstName: 'Jean Luc', lastName: 'Picard' });
    expect(namesFromDisplayName('x@y.test')).toEqual({ firstName: null, lastName: null });
    expect(caseNumberInSubject('Re: [#100234] help')).toBe(100234);
    expect(caseNumberInSubject('#100234')).toBeNull();
    expect(tagSubject('Re: x', 7)).toBe('Re: x [#7]');
    expect(tagSubject('Re: x [#7]', 7)).toBe('Re: x [#7]');
  });
});
