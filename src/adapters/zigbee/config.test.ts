import { describe, expect, it } from 'vitest';
import { redactURL, zigbeeConfigSchema, zigbeeEnabled } from './config.ts';

describe('zigbee config', () => {
  it('fills defaults and is off without a broker', () => {
    const config = zigbeeConfigSchema.parse({});
    expect(config).toEqual({
      baseTopic: 'zigbee2mqtt',
      setTimeoutMs: 5000,
      getsPerSecond: 20,
      embeddedBroker: { enabled: false, port: 1883, host: '127.0.0.1' },
    });
    expect(zigbeeEnabled(config)).toBe(false);
  });

  it('is on with an MQTT URL or the embedded broker, unless disabled', () => {
    expect(zigbeeEnabled(zigbeeConfigSchema.parse({ mqttURL: 'mqtt://10.0.0.2:1883' }))).toBe(true);
    expect(zigbeeEnabled(zigbeeConfigSchema.parse({ embeddedBroker: { enabled: true } }))).toBe(
      true,
    );
    expect(
      zigbeeEnabled(zigbeeConfigSchema.parse({ enabled: false, mqttURL: 'mqtt://10.0.0.2:1883' })),
    ).toBe(false);
  });

  it('rejects secrets inline and unknown keys', () => {
    expect(zigbeeConfigSchema.safeParse({ password: 'x' }).success).toBe(false);
    expect(zigbeeConfigSchema.safeParse({ passwordEnv: 'not an env name' }).success).toBe(false);
    expect(zigbeeConfigSchema.safeParse({ getsPerSecond: 0 }).success).toBe(false);
  });

  it('keeps credentials in a broker URL out of logs', () => {
    expect(redactURL('mqtt://hearth:s3cret@10.0.0.2:1883')).toBe('mqtt://10.0.0.2:1883');
    expect(redactURL('not a url')).toBe('[unparsable url]');
  });
});
