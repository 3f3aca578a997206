import sanitizeHtml from 'sanitize-html';
import { convert } from 'html-to-text';

/**
 * Email HTML made safe to show: no scripts, styles sheets, forms, frames or
 * event handlers; links only to http(s), mailto and tel; CSS only from a list
 * of properties and never with url(); remote images blocked (the address is
 * kept in data-remote-src so a reader may choose to load them). cid: images
 * point at the stored attachment.
 */
interface SanitizedHtml {
  html: string;
  remoteImagesBlocked: boolean;
}

/** A CSS value without url(), expression(), imports or anything that escapes the declaration. */
const SAFE_CSS = /^(?![\s\S]*(?:url|expression|image-set|image|element|paint|src)\s*\()(?![\s\S]*@import)[^<>{};\\]*$/i;

const STYLE_PROPERTIES = [
  'color',
  'background-color',
  'font',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'line-height',
  'letter-spacing',
  'text-align',
  'text-decoration',
  'text-transform',
  'vertical-align',
  'white-space',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-collapse',
  'border-radius',
  'width',
  'max-width',
  'min-width',
  'height',
  'max-height',
  'min-height',
  'display',
  'direction',
];

const ALLOWED_STYLES = { '*': Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_CSS]])) };

const TAGS = [
  ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'style'),
  'img',
  'font',
  'center',
  'u',
  's',
  'strike',
  'del',
  'ins',
  'sub',
  'sup',
];

const ATTRIBUTES: sanitizeHtml.IOptions['allowedAttributes'] = {
  '*': ['style', 'dir', 'lang', 'title', 'align', 'valign', 'width', 'height', 'bgcolor', 'class'],
  a: ['href', 'name', 'target', 'rel'],
  img: ['src', 'alt', 'data-remote-src', 'border'],
  font: ['color', 'face', 'size'],
  table: ['border', 'cellpadding', 'cellspacing', 'summary'],
  td: ['colspan', 'rowspan', 'nowrap'],
  th: ['colspan', 'rowspan', 'scope', 'nowrap'],
  col: ['span'],
  colgroup: ['span'],
  ol: ['start', 'type', 'reversed'],
  li: ['value'],
};

const isRemote = (src: string) => /^\s*(https?:)?\/\//i.test(src);

function baseOptions(): sanitizeHtml.IOptions {
  return {
    allowedTags: TAGS,
    allowedAttributes: ATTRIBUTES,
    allowedStyles: ALLOWED_STYLES,
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'data-remote-src'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    enforceHtmlBoundary: false,
    parseStyleAttributes: true,
  };
}

/**
 * Sanitises an email's HTML. `cidUrl` maps a cid: reference to a URL of the
 * stored attachment (null: not stored, the image is dropped).
 */
export function sanitizeEmailHtml(html: string, cidUrl: (cid: string) => string | null): SanitizedHtml {
  let blocked = false;
  const out = sanitizeHtml(html, {
    ...baseOptions(),
    allowedSchemesByTag: { img: ['data', 'cid', 'http', 'https'] },
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' },
      }),
      img: (tagName, attribs) => {
        const src = (attribs.src ?? '').trim();
        const next: Record<string, string> = { ...attribs };
        delete next['data-remote-src'];
        if (/^cid:/i.test(src)) {
          const url = cidUrl(src.slice(4).replace(/^<|>$/g, ''));
          if (url) next.src = url;
          else delete next.src;
        } else if (isRemote(src)) {
          blocked = true;
          next['data-remote-src'] = src;
          next.src = '';
        } else if (!/^data:image\//i.test(src)) {
          // Relative and other addresses: only our own attachment links (made above from cid:) stay.
          delete next.src;
        }
        return { tagName, attribs: next };
      },
    },
  });
  return { html: out, remoteImagesBlocked: blocked };
}

/** The stored (sanitised) HTML with its remote images let through, for a reader who asked. */
export function allowRemoteImages(html: string): string {
  return sanitizeHtml(html, {
    ...baseOptions(),
    allowedSchemesByTag: { img: ['data', 'http', 'https'] },
    transformTags: {
      img: (tagName, attribs) => {
        const remote = attribs['data-remote-src'];
        const next: Record<string, string> = { ...attribs };
        delete next['data-remote-src'];
        if (remote && /^\s*https?:\/\//i.test(remote)) next.src = remote.trim();
        return { tagName, attribs: next };
      },
    },
  });
}

/**
 * A rich-text reply written in the console: its sanitised HTML (the same
 * sanitiser as inbound mail; no images from elsewhere) and the plain-text part
 * derived from it (links as "text [address]", lists as "* item").
 */
export function replyHtml(html: string): { html: string; text: string } {
  const safe = sanitizeEmailHtml(html, () => null).html;
  const text = convert(safe, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    ],
  }).trim();
  return { html: safe, text };
}
