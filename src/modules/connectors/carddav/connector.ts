import { XMLParser } from 'fast-xml-parser';
import { exchangePinned } from '../../webhooks/send.js';
import {
  ConnectorError,
  connectorTarget,
  ContactConflict,
  answerFailure,
  type ChangesPage,
  type Connector,
  type ConnectorConfig,
  type ConnectorEnv,
  type ExternalContact,
  type LookupKeys,
} from '../connector.js';
import { formatVcard, parseVcard } from './vcard.js';

/** At most this much of an answer is read (a whole address book's first sync). */
const ANSWER_LIMIT = 32 * 1024 * 1024;
/** At most this many matches of one lookup are kept. */
const MAX_MATCHES = 10;
/** hrefs per addressbook-multiget REPORT. */
const MULTIGET_BATCH = 100;

type Method = 'GET' | 'PUT' | 'DELETE' | 'REPORT' | 'PROPFIND';

const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>';
const NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"';

const xml = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'response' || name === 'propstat' || name === 'href',
});

const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

interface DavResponse {
  href: string;
  /** The response's own status (a deleted member in a sync-collection answer), else that of its 200 propstat. */
  status: number;
  etag: string | null;
  addressData: string | null;
}

const statusOf = (line: unknown): number => {
  const m = /HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(String(line ?? ''));
  return m ? Number(m[1]) : 200;
};

const str = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && '#text' in v) return String((v as Record<string, unknown>)['#text']);
  return null;
};

/** The members of a 207 multistatus answer, and its sync-token. */
function parseMultistatus(body: string): { responses: DavResponse[]; syncToken: string | null } {
  let doc: Record<string, unknown>;
  try {
    doc = xml.parse(body) as Record<string, unknown>;
  } catch {
    throw new ConnectorError('the server answered XML that does not parse');
  }
  const ms = doc.multistatus as Record<string, unknown> | undefined;
  if (!ms || typeof ms !== 'object') throw new ConnectorError('the server did not answer a multistatus');
  const responses = ((ms.response as Record<string, unknown>[] | undefined) ?? []).map((r) => {
    const href = decodeURI(str((r.href as unknown[] | undefined)?.[0])?.trim() ?? '');
    let status = r.status !== undefined ? statusOf(r.status) : 200;
    let etag: string | null = null;
    let addressData: string | null = null;
    const ok = ((r.propstat as Record<string, unknown>[] | undefined) ?? []).find((p) => statusOf(p.status) === 200);
    if (ok) {
      const prop = (ok.prop ?? {}) as Record<string, unknown>;
      etag = str(prop.getetag)?.trim() || null;
      addressData = str(prop['address-data']);
    } else if (r.status === undefined && r.propstat !== undefined) {
      status = statusOf((r.propstat as Record<string, unknown>[])[0]?.status);
    }
    return { href, status, etag, addressData };
  });
  return { responses, syncToken: str(ms['sync-token'])?.trim() || null };
}

/**
 * The CardDAV connector (RFC 6352): one address book collection, synced with
 * a sync-collection REPORT (RFC 6578) from the stored sync-token, or, on a
 * server without sync tokens, a full listing the service compares by ETag;
 * written with conditional PUTs (If-Match the ETag last seen, If-None-Match *
 * for a new contact). Its own small client on the SSRF guard's pinned
 * exchange (docs/webhooks.md, "The CardDAV connector", says why).
 */
export function carddavConnector(config: ConnectorConfig, env: ConnectorEnv): Connector {
  const book = new URL(config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`);
  const auth = `Basic ${Buffer.from(`${config.username ?? ''}:${config.secret}`).toString('base64')}`;

  async function call(
    method: Method,
    url: URL,
    opts: { body?: string; headers?: Record<string, string>; signal?: AbortSignal; contentType?: string } = {},
  ) {
    const pinned = await connectorTarget(url, env);
    const res = await exchangePinned({
      method,
      url,
      pinned,
      headers: { authorization: auth, ...opts.headers },
      body: opts.body ?? null,
      contentType: opts.contentType ?? 'application/xml; charset=utf-8',
      timeoutMs: env.timeoutMs,
      limit: ANSWER_LIMIT,
      signal: opts.signal,
    });
    if (res.status === null) throw answerFailure(null, `${method} ${url.pathname}: ${res.error ?? 'no answer'}`);
    if (res.truncated)
      throw new ConnectorError(`${method} ${url.pathname}: the answer is larger than ${ANSWER_LIMIT} bytes`);
    // 403 is not always the credentials (a forgotten sync-token is a 403 too): the callers read it.
    if (res.status === 401) {
      throw answerFailure(401, `${method} ${url.pathname} answered 401: check the user name and password`);
    }
    return { ...res, status: res.status };
  }

  const failed = (method: Method, url: URL, status: number, body: string) =>
    answerFailure(status, `${method} ${url.pathname} answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);

  const urlOf = (href: string) => new URL(href, book);
  const idOfHref = (href: string) =>
    decodeURIComponent(href.replace(/\/+$/, '').split('/').pop() ?? href).replace(/\.vcf$/i, '');

  /** addressbook-multiget: the vCards at these hrefs. */
  async function multiget(hrefs: string[]): Promise<DavResponse[]> {
    const out: DavResponse[] = [];
    for (let i = 0; i < hrefs.length; i += MULTIGET_BATCH) {
      const batch = hrefs.slice(i, i + MULTIGET_BATCH);
      const body = `${XML_HEAD}<c:addressbook-multiget ${NS}><d:prop><d:getetag/><c:address-data/></d:prop>${batch
        .map((h) => `<d:href>${escapeXml(urlOf(h).pathname)}</d:href>`)
        .join('')}</c:addressbook-multiget>`;
      const res = await call('REPORT', book, { body, headers: { depth: '1' } });
      if (res.status !== 207) throw failed('REPORT', book, res.status, res.body);
      out.push(...parseMultistatus(res.body).responses);
    }
    return out;
  }

  function changeOf(r: DavResponse): ChangesPage['changes'][number] {
    const fallbackId = idOfHref(r.href);
    if (r.status === 404 || r.addressData === null) {
      return { externalId: fallbackId, deleted: true, contact: null, href: r.href, etag: null };
    }
    const contact = parseVcard(r.addressData, fallbackId);
    return { externalId: contact?.externalId ?? fallbackId, deleted: false, contact, href: r.href, etag: r.etag };
  }

  const isMember = (r: DavResponse) => urlOf(r.href).pathname !== book.pathname;

  /** A server without sync-collection: every member's ETag and vCard (the service compares ETags). */
  async function fullListing(): Promise<ChangesPage> {
    const res = await call('PROPFIND', book, {
      body: `${XML_HEAD}<d:propfind ${NS}><d:prop><d:getetag/></d:prop></d:propfind>`,
      headers: { depth: '1' },
    });
    if (res.status !== 207) throw failed('PROPFIND', book, res.status, res.body);
    const members = parseMultistatus(res.body).responses.filter((r) => isMember(r) && r.status === 200);
    const cards = await multiget(members.map((m) => m.href));
    return { changes: cards.filter((r) => r.status === 200).map(changeOf), cursor: null, more: false, full: true };
  }

  async function syncCollection(token: string | null): Promise<ChangesPage> {
    const body = `${XML_HEAD}<d:sync-collection ${NS}><d:sync-token>${escapeXml(token ?? '')}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/><c:address-data/></d:prop></d:sync-collection>`;
    const res = await call('REPORT', book, { body });
    if (res.status === 207) {
      const { responses, syncToken } = parseMultistatus(res.body);
      // 507 on the collection itself: the server truncated the answer; ask again from the new token.
      const more = responses.some((r) => !isMember(r) && r.status === 507);
      const members = responses.filter(isMember);
      // Members reported without their vCard (allowed by RFC 6578): fetched with a multiget.
      const missing = members.filter((r) => r.status === 200 && r.addressData === null).map((r) => r.href);
      const fetched = new Map((await multiget(missing)).map((r) => [urlOf(r.href).pathname, r]));
      const changes = members.map((r) => changeOf(fetched.get(urlOf(r.href).pathname) ?? r));
      return { changes, cursor: syncToken, more, full: token === null };
    }
    if (token !== null && /valid-sync-token/.test(res.body)) {
      // The server forgot the token (RFC 6578 3.2): start again with a full sync.
      return syncCollection(null);
    }
    if ([400, 403, 405, 409, 415, 422, 501].includes(res.status)) return fullListing();
    throw failed('REPORT', book, res.status, res.body);
  }

  const connector: Connector = {
    /**
     * An addressbook-query REPORT: an email equal (case-insensitively) to the
     * key, or a TEL containing the number as given (E.164). Numbers written
     * with spaces or dashes in the address book are found by the local lookup
     * of the synced customers instead.
     */
    async lookup(keys: LookupKeys, signal: AbortSignal): Promise<ExternalContact[]> {
      const filters: string[] = [];
      if (keys.email) {
        filters.push(
          `<c:prop-filter name="EMAIL"><c:text-match collation="i;unicode-casemap" match-type="equals">${escapeXml(keys.email)}</c:text-match></c:prop-filter>`,
        );
      }
      if (keys.phone) {
        filters.push(
          `<c:prop-filter name="TEL"><c:text-match collation="i;unicode-casemap" match-type="contains">${escapeXml(keys.phone)}</c:text-match></c:prop-filter>`,
        );
      }
      if (filters.length === 0) return [];
      const body = `${XML_HEAD}<c:addressbook-query ${NS}><d:prop><d:getetag/><c:address-data/></d:prop><c:filter test="anyof">${filters.join('')}</c:filter><c:limit><c:nresults>${MAX_MATCHES}</c:nresults></c:limit></c:addressbook-query>`;
      const res = await call('REPORT', book, { body, headers: { depth: '1' }, signal });
      if (res.status !== 207) throw failed('REPORT', book, res.status, res.body);
      return parseMultistatus(res.body)
        .responses.filter((r) => isMember(r) && r.addressData !== null)
        .map((r) => parseVcard(r.addressData!, idOfHref(r.href)))
        .filter((c): c is ExternalContact => c !== null)
        .slice(0, MAX_MATCHES);
    },

    async logInteraction(): Promise<void> {
      // An address book has no place for interactions: nothing is written back.
    },

    changes: (cursor) => syncCollection(cursor),

    async test(): Promise<void> {
      const res = await call('PROPFIND', book, {
        body: `${XML_HEAD}<d:propfind ${NS}><d:prop><d:resourcetype/><d:sync-token/></d:prop></d:propfind>`,
        headers: { depth: '0' },
      });
      if (res.status !== 207) throw failed('PROPFIND', book, res.status, res.body);
      if (!/addressbook/.test(res.body)) throw new ConnectorError(`${book.pathname} is not an address book`);
    },

    twoWay: {
      hrefFor: (externalId) => `${book.pathname}${encodeURIComponent(externalId)}.vcf`,

      async putContact(contact, at) {
        const url = urlOf(at.href ?? connector.twoWay!.hrefFor(contact.externalId));
        const document = formatVcard(contact, env.wallClock.now(), at.base);
        const res = await call('PUT', url, {
          body: document,
          contentType: 'text/vcard; charset=utf-8',
          headers: at.etag === null ? { 'if-none-match': '*' } : { 'if-match': at.etag },
        });
        if (res.status === 412) throw new ContactConflict(`PUT ${url.pathname}: the contact changed on the server`);
        if (res.status < 200 || res.status > 299) throw failed('PUT', url, res.status, res.body);
        return { href: url.pathname, etag: res.headers.etag ?? null, document };
      },

      async getContact(href) {
        const url = urlOf(href);
        const res = await call('GET', url, { headers: { accept: 'text/vcard' } });
        if (res.status === 404 || res.status === 410) return null;
        if (res.status !== 200) throw failed('GET', url, res.status, res.body);
        const contact = parseVcard(res.body, idOfHref(href));
        if (!contact) throw new ConnectorError(`GET ${url.pathname}: not a vCard`);
        return { contact, etag: res.headers.etag ?? null };
      },

      async deleteContact(href, etag) {
        const url = urlOf(href);
        const res = await call('DELETE', url, { headers: etag === null ? {} : { 'if-match': etag } });
        if (res.status === 412) throw new ContactConflict(`DELETE ${url.pathname}: the contact changed on the server`);
        if (res.status === 404 || res.status === 410) return;
        if (res.status < 200 || res.status > 299) throw failed('DELETE', url, res.status, res.body);
      },
    },
  };
  return connector;
}
