import { describe, expect, it } from 'vitest';
import { normaliseValue, type FieldType, type PickOption, type ValueResult } from './values.js';

/** Every field type's rules, edge values included (pure: no database). */
const options: PickOption[] = [
  { key: 'gold', label: 'Gold', retired: false },
  { key: 'silver', label: 'Silver', retired: false },
  { key: 'bronze', label: 'Bronze', retired: true },
];
const check = (type: FieldType, raw: unknown, previous?: unknown): ValueResult =>
  normaliseValue({ type, options }, raw, { phoneRegion: 'US', previous });
const value = (type: FieldType, raw: unknown, previous?: unknown) => {
  const r = check(type, raw, previous);
  if (!r.ok) throw new Error(`${type} ${JSON.stringify(raw)} refused: ${r.message}`);
  return r.value;
};
const refused = (type: FieldType, raw: unknown, previous?: unknown) => {
  const r = check(type, raw, previous);
  return r.ok ? `accepted ${JSON.stringify(r.value)}` : r.message;
};

describe('custom field values', () => {
  it('null and empty mean "no value" for every type', () => {
    for (const t of ['text', 'longText', 'number', 'decimal', 'date', 'dateTime', 'boolean'] as const) {
      expect(value(t, null)).toBeNull();
    }
    expect(value('text', '   ')).toBeNull();
    expect(value('multiPick', [])).toBeNull();
    expect(value('email', '')).toBeNull();
  });

  it('text: one line, trimmed, at most 255 characters (code points)', () => {
    expect(value('text', '  hello  ')).toBe('hello');
    expect(value('text', 'x'.repeat(255))).toHaveLength(255);
    expect(refused('text', 'x'.repeat(256))).toMatch(/at most 255/);
    expect(value('text', '😀'.repeat(255))).toBe('😀'.repeat(255)); // 510 UTF-16 units, 255 characters
    expect(refused('text', 'two\nlines')).toMatch(/one line/);
    expect(refused('text', 'nul\u0000byte')).toMatch(/control/);
    expect(refused('text', 42)).toMatch(/string/);
  });

  it('longText: lines allowed, at most 10,000 characters, no NUL', () => {
    expect(value('longText', 'a\nb\r\n\tc')).toBe('a\nb\r\n\tc');
    expect(value('longText', 'y'.repeat(10000))).toHaveLength(10000);
    expect(refused('longText', 'y'.repeat(10001))).toMatch(/at most 10000/);
    expect(refused('longText', 'bad\u0000')).toMatch(/control/);
  });

  it('number: whole, within the safe integer range; numeric strings accepted', () => {
    expect(value('number', 0)).toBe(0);
    expect(value('number', -0)).toBe(0);
    expect(value('number', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(value('number', -Number.MAX_SAFE_INTEGER)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(refused('number', Number.MAX_SAFE_INTEGER + 1)).toMatch(/between/);
    expect(value('number', ' 42 ')).toBe(42);
    expect(value('number', '-7')).toBe(-7);
    expect(refused('number', 1.5)).toMatch(/whole/);
    expect(refused('number', '1.0')).toMatch(/whole/);
    expect(refused('number', '12abc')).toMatch(/whole/);
    expect(refused('number', true)).toMatch(/whole/);
    expect(refused('number', '')).toMatch(/whole/);
  });

  it('decimal: finite, < 1e15, at most 15 significant digits', () => {
    expect(value('decimal', 12.5)).toBe(12.5);
    expect(value('decimal', '0.1')).toBe(0.1);
    expect(value('decimal', '-.5')).toBe(-0.5);
    expect(value('decimal', '1e3')).toBe(1000);
    expect(value('decimal', 999999999999999)).toBe(999999999999999);
    expect(refused('decimal', 1e15)).toMatch(/less than/);
    expect(value('decimal', '1.23456789012345')).toBe(1.23456789012345);
    expect(refused('decimal', '1.234567890123456')).toMatch(/significant/);
    expect(refused('decimal', 0.1 + 0.2)).toMatch(/significant/);
    expect(refused('decimal', 'NaN')).toMatch(/number/);
    expect(refused('decimal', '1,5')).toMatch(/number/);
  });

  it('date: YYYY-MM-DD, a real calendar day, years 1–9999', () => {
    expect(value('date', '2024-02-29')).toBe('2024-02-29');
    expect(refused('date', '2023-02-29')).toMatch(/date/);
    expect(value('date', '2000-02-29')).toBe('2000-02-29');
    expect(refused('date', '1900-02-29')).toMatch(/date/);
    expect(value('date', '0001-01-01')).toBe('0001-01-01');
    expect(value('date', '9999-12-31')).toBe('9999-12-31');
    expect(refused('date', '0000-01-01')).toMatch(/date/);
    expect(refused('date', '2024-04-31')).toMatch(/date/);
    expect(refused('date', '2024-13-01')).toMatch(/date/);
    expect(refused('date', '2024-1-1')).toMatch(/date/);
    expect(refused('date', '2024-05-01T00:00:00Z')).toMatch(/date/);
  });

  it('dateTime: ISO 8601 with a zone, stored as UTC with milliseconds', () => {
    expect(value('dateTime', '2024-05-01T14:30:00Z')).toBe('2024-05-01T14:30:00.000Z');
    expect(value('dateTime', '2024-05-01T14:30+02:00')).toBe('2024-05-01T12:30:00.000Z');
    expect(value('dateTime', '2024-01-01T00:30:00.123456-0100')).toBe('2024-01-01T01:30:00.123Z');
    expect(value('dateTime', '2024-12-31T23:30:00-05:00')).toBe('2025-01-01T04:30:00.000Z');
    expect(value('dateTime', '0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(refused('dateTime', '0001-01-01T00:00:00+01:00')).toMatch(/zone/); // before year 1 in UTC
    expect(refused('dateTime', '2024-05-01T14:30:00')).toMatch(/zone/);
    expect(refused('dateTime', '2024-05-01')).toMatch(/zone/);
    expect(refused('dateTime', '2024-02-30T10:00:00Z')).toMatch(/zone/);
    expect(refused('dateTime', '2024-05-01T24:00:00Z')).toMatch(/zone/);
    expect(refused('dateTime', '2024-05-01T10:60:00Z')).toMatch(/zone/);
  });

  it('boolean: true/false (also as strings, for imports)', () => {
    expect(value('boolean', true)).toBe(true);
    expect(value('boolean', false)).toBe(false);
    expect(value('boolean', 'TRUE')).toBe(true);
    expect(refused('boolean', 1)).toMatch(/true or false/);
    expect(refused('boolean', 'yes')).toMatch(/true or false/);
  });

  it('singlePick: an active option key; a retired option only when already held', () => {
    expect(value('singlePick', 'gold')).toBe('gold');
    expect(refused('singlePick', 'Gold')).toMatch(/not one of the options/);
    expect(refused('singlePick', 'bronze')).toMatch(/retired/);
    expect(value('singlePick', 'bronze', 'bronze')).toBe('bronze');
    expect(refused('singlePick', ['gold'])).toMatch(/key of one of the options/);
  });

  it('multiPick: option keys, deduplicated, in option order; retired ones only when held', () => {
    expect(value('multiPick', ['silver', 'gold', 'silver'])).toEqual(['gold', 'silver']);
    expect(value('multiPick', 'gold')).toEqual(['gold']);
    expect(refused('multiPick', ['gold', 'platinum'])).toMatch(/not one of the options/);
    expect(refused('multiPick', ['bronze'])).toMatch(/retired/);
    expect(value('multiPick', ['bronze', 'gold'], ['bronze'])).toEqual(['gold', 'bronze']);
    expect(refused('multiPick', [1])).toMatch(/list of option keys/);
    expect(value('multiPick', ['gold', 'silver', 'gold', 'silver', 'gold'])).toEqual(['gold', 'silver']);
    expect(refused('multiPick', Array(501).fill('gold'))).toMatch(/more than 500/);
  });

  it('phone: any format, normalised to E.164 with the default region; extensions kept', () => {
    expect(value('phone', '(415) 555-0100')).toBe('+14155550100');
    expect(value('phone', '+44 20 7946 0958')).toBe('+442079460958');
    expect(value('phone', '415-555-0100 ext. 23')).toBe('+14155550100;ext=23');
    expect(refused('phone', '12345')).toMatch(/valid phone/);
    expect(refused('phone', 'call me')).toMatch(/valid phone/);
    expect(refused('phone', '4'.repeat(65))).toMatch(/at most 64/);
  });

  it('email: syntactically valid, at most 254 characters, stored lower-case', () => {
    expect(value('email', ' Ann.Lee+vip@Example.COM ')).toBe('ann.lee+vip@example.com');
    expect(refused('email', 'ann@localhost')).toMatch(/valid email/);
    expect(refused('email', 'ann@@example.com')).toMatch(/valid email/);
    expect(refused('email', 'ann lee@example.com')).toMatch(/valid email/);
    expect(refused('email', `${'a'.repeat(65)}@example.com`)).toMatch(/valid email/);
    const at254 = (d: number) => `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(d)}.com`;
    expect(at254(57)).toHaveLength(254);
    expect(value('email', at254(57))).toBe(at254(57));
    expect(refused('email', at254(58))).toMatch(/at most 254/);
  });

  it('url: http or https only, at most 2048 characters', () => {
    expect(value('url', 'https://example.com/a?b=c')).toBe('https://example.com/a?b=c');
    expect(value('url', 'http://localhost:8080')).toBe('http://localhost:8080');
    expect(refused('url', 'javascript:alert(1)')).toMatch(/http/);
    expect(refused('url', 'ftp://example.com')).toMatch(/http/);
    expect(refused('url', 'example.com')).toMatch(/http/);
    expect(refused('url', `https://example.com/${'p'.repeat(2030)}`)).toMatch(/at most 2048/);
  });
});
