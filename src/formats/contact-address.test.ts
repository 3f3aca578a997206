import { describe, expect, it } from 'vitest';
import { formatContactAddress, formatPhone } from './contact-address.js';

describe('phone numbers and telephone addresses as people read them', () => {
  it('shows an extension once, however the number was typed', () => {
    expect(formatPhone('+1 415 555 0100 x12', '12')).toBe('+1 415 555 0100 ext. 12');
    expect(formatPhone('+1 415 555 0100 ext. 12', '12')).toBe('+1 415 555 0100 ext. 12');
    expect(formatPhone('+1 415 555 0100 extension 12', '12')).toBe('+1 415 555 0100 ext. 12');
    expect(formatPhone('+1 415 555 0100 #12', null)).toBe('+1 415 555 0100 ext. 12');
    expect(formatPhone('+1 415 555 0100', '12')).toBe('+1 415 555 0100 ext. 12');
    expect(formatPhone('+1 415 555 0100', null)).toBe('+1 415 555 0100');
    expect(formatPhone('020 7946 0958')).toBe('020 7946 0958');
  });
  it('formats tel: and sip: URIs', () => {
    expect(formatContactAddress('tel:+1-415-555-0100')).toBe('+1-415-555-0100');
    expect(formatContactAddress('tel:+1-415-555-0100;ext=12')).toBe('+1-415-555-0100 ext. 12');
    expect(formatContactAddress('sip:+14155550100@pbx.example;user=phone')).toBe('+14155550100');
    expect(formatContactAddress('sips:4155550100@pbx.example')).toBe('4155550100');
    expect(formatContactAddress('sip:alice@pbx.example.com')).toBe('alice@pbx.example.com');
    expect(formatContactAddress('sip:alice%20b@pbx.example.com;transport=tls')).toBe('alice b@pbx.example.com');
    expect(formatContactAddress('+14155550100')).toBe('+14155550100');
    expect(formatContactAddress('ann@example.com')).toBe('ann@example.com');
    expect(formatContactAddress(null)).toBe('');
  });
});
