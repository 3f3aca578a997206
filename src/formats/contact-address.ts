/**
 * How a phone number or a telephone system's address is shown to a person.
 * Pure functions, shared by the server (subjects it writes) and the console
 * (web/src/format.ts re-exports them).
 */

/** An extension written at the end of a number: "x12", "ext. 12", "extension 12", "#12", ";ext=12", ", 12". */
const TRAILING_EXTENSION = /\s*(?:;\s*ext\s*=|,|#|\bx\.?|\bext\.?|\bextension)\s*(\d{1,10})\s*$/i;

/**
 * A phone number with its extension, the extension once: the number as typed
 * may already end with it ("555-0100 x12" and extension "12" → "555-0100 ext. 12").
 */
export function formatPhone(number: string, extension?: string | null): string {
  let base = number.trim();
  let ext = extension?.trim() || null;
  const m = TRAILING_EXTENSION.exec(base);
  if (m && (!ext || m[1] === ext)) {
    base = base.slice(0, m.index).trim();
    ext = m[1];
  }
  return ext ? `${base} ext. ${ext}` : base;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A `tel:` or `sip:` URI as a person reads it: "tel:+1-415-555-0100;ext=12" →
 * "+1-415-555-0100 ext. 12"; "sip:+14155550100@pbx.example;user=phone" →
 * "+14155550100"; "sip:alice@pbx.example" → "alice@pbx.example" (a SIP address).
 * Anything else is returned as it is.
 */
export function formatContactAddress(raw: string | null | undefined): string {
  const s = (raw ?? '').trim();
  const m = /^(tel|sips?):(.*)$/i.exec(s);
  if (!m) return s;
  const scheme = m[1].toLowerCase();
  const [head, ...params] = m[2].split(';');
  const ext = params.map((p) => /^(?:ext|extension)=(\d+)$/i.exec(p.trim())?.[1]).find(Boolean) ?? null;
  const userPhone = params.some((p) => /^user=phone$/i.test(p.trim()));
  if (scheme === 'tel') return formatPhone(decode(head), ext);
  const at = head.lastIndexOf('@');
  const user = decode(at >= 0 ? head.slice(0, at) : head);
  const host = at >= 0 ? head.slice(at + 1) : '';
  // A SIP user part that is a telephone number: shown as the number.
  if (userPhone || /^\+?[\d().\-\s]{3,}$/.test(user)) return formatPhone(user, ext);
  return host ? `${user}@${host}` : user;
}
