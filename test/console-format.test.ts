import { describe, expect, it } from 'vitest';
import { fieldLabel, formatContactAddress, formatPhone } from '../web/src/format.js';

/** The console's formatting of what the history and the records show (web/src/format.ts). */
describe('console formatting', () => {
  it('history names a custom field by its label and built-in fields in words, never by key', () => {
    const defs = [
      { key: 'contract_tier', label: 'Contract tier' },
      { key: 'renewsOn', label: 'Renews on' },
    ];
    expect(fieldLabel('customFields.contract_tier', defs)).toBe('Contract tier');
    expect(fieldLabel('customFields.renewsOn', defs)).toBe('Renews on');
    // A definition not (yet) loaded: the key in words, not `contract_tier`.
    expect(fieldLabel('customFields.contract_tier')).toBe('Contract tier');
    expect(fieldLabel('ownerId')).toBe('Owner');
    expect(fieldLabel('dueAt')).toBe('Due');
    expect(fieldLabel('firstName')).toBe('First name');
    expect(fieldLabel('primaryAddress.postalCode')).toBe('Primary address: postal code');
  });
  it('shows a phone extension once and a tel: URI as a number', () => {
    expect(formatPhone('+1 415 555 0100 x12', '12')).toBe('+1 415 555 0100 ext. 12');
    expect(formatContactAddress('tel:+14155550100')).toBe('+14155550100');
  });
});
