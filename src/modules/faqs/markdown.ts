import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * FAQ articles are written in Markdown and shown as HTML. Two layers keep that HTML safe:
 *
 * 1. markdown-it renders with `html: false`, so HTML typed into the Markdown comes out as
 *    text, and its own link check refuses `javascript:`, `vbscript:` and most `data:` links;
 * 2. sanitize-html (the library the email module sanitises mail with) then keeps only the
 *    tags Markdown produces, links to http(s) and mailto addresses, images from https only,
 *    and no attributes beyond those (no `style`, no event handlers).
 *
 * Links open in a new tab with `rel="noopener noreferrer nofollow"`.
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

const TAGS = [
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'p',
  'br',
  'hr',
  'blockquote',
  'ul',
  'ol',
  'li',
  'strong',
  'em',
  's',
  'code',
  'pre',
  'a',
  'img',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: TAGS,
  allowedAttributes: {
    a: ['href', 'title', 'target', 'rel'],
    img: ['src', 'alt', 'title'],
    ol: ['start'],
    th: ['align'],
    td: ['align'],
    code: ['class'],
  },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' },
    }),
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
};

/** The article's Markdown as sanitised HTML. */
export function renderArticle(markdown: string): string {
  return sanitizeHtml(md.render(markdown), OPTIONS).trim();
}

/** The start of the article's text without any Markdown (for lists and suggestions), at most `max` characters. */
export function excerptOf(markdown: string, max = 200): string {
  const words: string[] = [];
  let length = 0;
  for (const token of md.parse(markdown, {})) {
    if (token.type !== 'inline' || !token.children) continue;
    for (const child of token.children) {
      if (child.type === 'text' || child.type === 'code_inline') words.push(child.content);
      else if (child.type === 'softbreak' || child.type === 'hardbreak') words.push(' ');
    }
    words.push(' ');
    length += token.content.length;
    if (length > max * 2) break;
  }
  const text = words.join('').replace(/\s+/g, ' ').trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?-]+$/, '')}…`;
}
