/**
 * Spreadsheet-safe cells (OWASP "CSV injection"): a spreadsheet program runs a
 * cell that begins with `=`, `+`, `-` or `@` as a formula, and tab, CR or LF
 * lead some of them to the same place. Exports write such a cell with a
 * leading `'`, which spreadsheets show as text and do not keep in the value.
 *
 * The importer strips exactly that prefix again (`restoreCell`), so a file
 * Switchboard exported imports back unchanged: an E.164 phone number `+44…`
 * leaves as `'+44…` and comes back as `+44…`. For the pair to be exact, a value
 * that already starts with quotes followed by one of those characters (`'=x`)
 * gets one more quote on the way out (`''=x`), and restore removes one.
 */

/** The first characters spreadsheets treat as the start of a formula. */
const TRIGGER = /^'*[=+\-@\t\r\n]/;

/** The cell as written to a CSV file: with a leading `'` when it would start a formula. */
export function neutraliseCell(value: string): string {
  return TRIGGER.test(value) ? `'${value}` : value;
}

/** The value of a cell read from a CSV file: exactly the prefix `neutraliseCell` adds is removed. */
export function restoreCell(cell: string): string {
  return cell.startsWith("'") && TRIGGER.test(cell) ? cell.slice(1) : cell;
}
