import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalisePhone, PhoneMemo, phoneLookupKeys } from './phones.js';

describe('normalisePhone', () => {
  const valid: [raw: string, region: string, e164: string, extension: string | null][] = [
    ['(415) 555-0100', 'US', '+14155550100', null],
    ['+1 415-555-0100', 'US', '+14155550100', null],
    ['001 415 555 0100', 'US', '+14155550100', null],
    ['0014155550100', 'DE', '+14155550100', null],
    ['4155550100', 'US', '+14155550100', null],
    ['1-415-555-0100', 'US', '+14155550100', null],
    ['011 44 20 7946 0958', 'US', '+442079460958', null],
    ['020 7946 0958', 'GB', '+442079460958', null],
    ['+44 20 7946 0958 ext. 123', 'US', '+442079460958', '123'],
    ['(415) 555-0100 x23', 'US', '+14155550100', '23'],
    ['415.555.0100;ext=7', 'US', '+14155550100', '7'],
    ['030 1234567', 'DE', '+49301234567', null],
    ['06 12 34 56 78', 'FR', '+33612345678', null],
    ['+33 6 12 34 56 78', 'US', '+33612345678', null],
    ['0412 345 678', 'AU', '+61412345678', null],
    ['090-1234-5678', 'JP', '+819012345678', null],
    ['  +1 (212) 555-1234  ', 'GB', '+12125551234', null],
  ];
  it.each(valid)('%s in %s → %s', (raw, region, e164, extension) => {
    expect(normalisePhone(raw, region)).toEqual({ e164, digits: e164.slice(1), extension, valid: true });
  });

  const invalid: [raw: string, region: string, digits: string, extension: string | null][] = [
    ['5550100', 'US', '5550100', null],
    ['12', 'US', '12', null],
    ['+999 1234', 'US', '9991234', null],
    ['call reception', 'US', '', null],
    ['555-0100 x12', 'US', '5550100', '12'],
    ['020 7946 0958', 'US', '02079460958', null],
    ['+1 800 FLOWERS', 'US', '1800', null],
  ];
  it.each(invalid)('%s in %s is kept and flagged invalid', (raw, region, digits, extension) => {
    expect(normalisePhone(raw, region)).toEqual({ e164: null, digits, extension, valid: false });
  });

  it('uses no country when the region is not one', () => {
    expect(normalisePhone('4155550100', 'ZZ').valid).toBe(false);
    expect(normalisePhone('+14155550100', 'ZZ').e164).toBe('+14155550100');
  });
});

describe('phoneLookupKeys', () => {
  it('gives the exact E.164 and the national number as the last-digits key', () => {
    const k = phoneLookupKeys('(415) 555-0100', 'US');
    expect(k.e164).toBe('+14155550100');
    expect(k.suffixRev).toBe('0010555514');
    expect(k.storedRevs[0]).toBe('0010555');
    expect(k.storedRevs.at(-1)).toBe('00105555141');
  });
  it('takes the typed digits when the number does not parse, from 7 digits on', () => {
    expect(phoneLookupKeys('555 0100', 'US')).toEqual({ e164: null, suffixRev: '0010555', storedRevs: ['0010555'] });
    expect(phoneLookupKeys('55 0100', 'US')).toEqual({ e164: null, suffixRev: null, storedRevs: [] });
  });
});

describe('libphonenumber-js', () => {
  // patches/libphonenumber-js+*.patch (applied by `npm install`) compiles each metadata pattern
  // once: uncompiled, they cost a loaded server about 13 of a phone lookup's 79 µs (bench/RESULTS.md).
  it('carries the patch that compiles its metadata patterns once', () => {
    const root = path.dirname(createRequire(import.meta.url).resolve('libphonenumber-js/package.json'));
    for (const build of ['es6', 'es6-modern', 'build']) {
      expect(readFileSync(path.join(root, build, 'helpers/matchesEntirely.js'), 'utf8')).toContain('compiledPatterns');
    }
  });
});

describe('PhoneMemo (an import parses each number once)', () => {
  it('answers what normalisePhone answers, per region, and starts afresh past its bound', () => {
    const memo = new PhoneMemo(3);
    const inputs: [string, string][] = [
      ['(415) 555-0100', 'US'],
      ['020 7946 0958', 'GB'],
      ['020 7946 0958', 'US'],
      ['001 415 555 0100 x23', 'US'],
      ['not a number', 'US'],
      ['(415) 555-0100', 'US'],
    ];
    for (let round = 0; round < 2; round++)
      for (const [raw, region] of inputs) expect(memo.normalise(raw, region)).toEqual(normalisePhone(raw, region));
    expect(memo.normalise('(415) 555-0100', 'US')).toBe(memo.normalise('(415) 555-0100', 'US'));
  });
});

/** Numbers as files carry them: national, international, 00/011 prefixes, extensions, junk, several regions. */
function phoneCorpus(): string[] {
  const numbers = [
    '4155550100',
    '2125551234',
    '6175550199',
    '3035550142',
    '8005550123',
    '5550100',
    '14155550100',
    '2079460958',
    '02079460958',
    '442079460958',
    '07700900123',
    '301234567',
    '0301234567',
    '49301234567',
    '612345678',
    '0612345678',
    '33612345678',
    '412345678',
    '0412345678',
    '61412345678',
    '9012345678',
    '09012345678',
    '819012345678',
    '9876543210',
    '09876543210',
    '11987654321',
    '5511987654321',
    '4165550100',
    '12',
    '123',
    '1234567890123456',
    '0000000000',
    '999',
    '112',
    '911',
  ];
  const shapes: ((d: string) => string)[] = [
    (d) => d,
    (d) => `+${d}`,
    (d) => `00${d}`,
    (d) => `011 ${d}`,
    (d) => `+ ${d}`,
    (d) => `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`,
    (d) => `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`,
    (d) => `${d.slice(0, 1)}-${d.slice(1, 4)}-${d.slice(4, 7)}-${d.slice(7)}`,
    (d) => `+${d.slice(0, 2)} (0)${d.slice(2)}`,
    (d) => `  ${d.slice(0, 4)} ${d.slice(4)}  `,
    (d) => `${d}-`,
    (d) => `(${d})`,
    (d) => `${d} x23`,
    (d) => `${d} ext. 7`,
    (d) => `${d};ext=45`,
    (d) => `${d}#12`,
    (d) => `tel:+${d}`,
    (d) => `${d}\t`,
    (d) => `${d.slice(0, 3)}\u00a0${d.slice(3)}`,
    (d) => `${d.slice(0, 3)}/${d.slice(3)}`,
    (d) => `++${d}`,
    (d) => `${d.slice(0, 3)}+${d.slice(3)}`,
    (d) => `call ${d} now`,
    (d) => `${d.slice(0, 4)}FLOWERS`,
    (d) => `${d}${' '.repeat(250)}`,
    (d) => `${'('.repeat(240)}${d}`,
  ];
  const corpus = ['', ' ', '+', '-', '()', 'call reception', 'x23', '+1 800 FLOWERS', '１２３４５６７８９０'];
  for (const d of numbers) for (const shape of shapes) corpus.push(shape(d));
  return corpus;
}

describe('PhoneMemo on numbers as files carry them', () => {
  it('answers, for every number of the corpus in every region, what normalisePhone answers', () => {
    const regions = ['US', 'GB', 'DE', 'FR', 'AU', 'JP', 'IN', 'BR', 'CA', 'ZZ', 'us', ''];
    const corpus = phoneCorpus();
    const memo = new PhoneMemo(1_000);
    let valid = 0;
    for (let round = 0; round < 2; round++)
      for (const region of regions)
        for (const raw of corpus) {
          const direct = normalisePhone(raw, region);
          expect(memo.normalise(raw, region), `${raw} in ${region}`).toEqual(direct);
          if (direct.valid) valid++;
        }
    // The corpus reaches both the parsed and the kept-as-typed paths in earnest.
    expect(valid).toBeGreaterThan(1000);
    expect(valid).toBeLessThan(2 * (corpus.length * regions.length - 1000));
  });
});
