// html-to-text ships no types; the one function the server calls.
declare module 'html-to-text' {
  export function convert(html: string, options?: Record<string, unknown>): string;
}
