import { describe, expect, it } from 'vitest';
import { defaultAllowedNetworks } from '../common/config/schema.ts';
import { createAddressCheck } from './network.ts';

describe('createAddressCheck', () => {
  const lan = createAddressCheck(defaultAllowedNetworks);

  it('accepts loopback, private and link-local addresses, IPv4 and IPv6', () => {
    for (const address of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.20',
      '169.254.3.3',
      'fd12::1',
      'fe80::1',
    ]) {
      expect(lan(address), address).toBe(true);
    }
  });

  it('judges IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(lan('::ffff:192.168.1.5')).toBe(true);
    expect(lan('::ffff:8.8.8.8')).toBe(false);
  });

  it('refuses public, malformed and missing addresses', () => {
    for (const address of ['8.8.8.8', '172.32.0.1', '2001:db8::1', 'not-an-ip', undefined]) {
      expect(lan(address), String(address)).toBe(false);
    }
  });

  it('gives the same verdicts when asked again, also after more addresses than it remembers', () => {
    const check = createAddressCheck(['10.0.0.0/8']);
    for (let round = 0; round < 2; round++) {
      expect(check('10.9.8.7')).toBe(true);
      expect(check('8.8.4.4')).toBe(false);
    }
    for (let i = 0; i < 5000; i++) expect(check(`10.0.${i >> 8}.${i & 255}`)).toBe(true);
    expect(check('8.8.4.4')).toBe(false);
    expect(check('10.9.8.7')).toBe(true);
  });

  it('honours a narrower list', () => {
    const only = createAddressCheck(['192.168.7.0/24']);
    expect(only('192.168.7.9')).toBe(true);
    expect(only('127.0.0.1')).toBe(false);
  });
});
