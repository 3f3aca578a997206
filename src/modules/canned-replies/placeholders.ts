/**
 * The placeholders a canned reply may hold (docs/canned-replies.md). A placeholder is written
 * `{{name}}` (spaces inside the braces allowed). Rendering fills the known names that have a
 * value and leaves everything else exactly as written, so an unknown or misspelt placeholder
 * stays visible in the reply for the agent to fix instead of silently disappearing.
 */
export const PLACEHOLDERS = {
  'customer.name': "the case's customer: first and last name (else company, email or account number)",
  'case.number': 'the case number',
  'agent.name': 'the name of the agent sending the reply',
} as const;
type PlaceholderName = keyof typeof PLACEHOLDERS;

const PATTERN = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

export function render(
  template: string,
  values: Partial<Record<PlaceholderName, string | null>>,
): { text: string; unfilled: string[] } {
  const unfilled = new Set<string>();
  const text = template.replace(PATTERN, (whole, name: string) => {
    const v = Object.prototype.hasOwnProperty.call(PLACEHOLDERS, name) ? values[name as PlaceholderName] : undefined;
    if (v === undefined || v === null || v === '') {
      unfilled.add(name);
      return whole;
    }
    return v;
  });
  return { text, unfilled: [...unfilled] };
}
