import { describe, expect, it } from 'vitest';
import { isOriginAllowed } from './origin.ts';

describe('isOriginAllowed', () => {
  it('lets clients without Origin (desktop, kiosk apps) through', () => {
    expect(isOriginAllowed({ origin: undefined, host: 'hearth.local:8080', allowed: [] })).toBe(
      true,
    );
  });

  it('accepts the gateway own origin and configured ones only', () => {
    expect(
      isOriginAllowed({
        origin: 'http://hearth.local:8080',
        host: 'hearth.local:8080',
        allowed: [],
      }),
    ).toBe(true);
    expect(
      isOriginAllowed({ origin: 'http://evil.example', host: 'hearth.local:8080', allowed: [] }),
    ).toBe(false);
    expect(
      isOriginAllowed({
        origin: 'http://hearth.local:9090',
        host: 'hearth.local:8080',
        allowed: [],
      }),
    ).toBe(false);
    expect(
      isOriginAllowed({
        origin: 'http://kiosk.lan',
        host: 'hearth.local:8080',
        allowed: ['http://kiosk.lan'],
      }),
    ).toBe(true);
    expect(isOriginAllowed({ origin: 'null', host: 'hearth.local:8080', allowed: [] })).toBe(false);
    expect(isOriginAllowed({ origin: 'http://a', host: undefined, allowed: [] })).toBe(false);
  });
});
