/**
 * The `zigbee` section of Hearth's config: Zigbee2MQTT over MQTT. Zigbee is off unless an
 * MQTT URL is given or the embedded broker is enabled; credentials are named by environment
 * variable so that no secret lives in the config file.
 */
import { z } from 'zod';

const envNamePattern = /^[A-Z_][A-Z0-9_]*$/;
const envName = z.string().regex(envNamePattern, 'expected an environment variable name');

/** The `zigbee` section of Hearth's config (proposed; the lead adds it to the main schema). */
export const zigbeeConfigSchema = z.strictObject({
  /** Turns Zigbee off even when an MQTT URL is set. */
  enabled: z.boolean().optional(),
  /** The broker Zigbee2MQTT uses, e.g. `mqtt://192.168.1.10:1883`. */
  mqttURL: z.url().optional(),
  /** Zigbee2MQTT's `mqtt.base_topic`. */
  baseTopic: z.string().min(1).default('zigbee2mqtt'),
  usernameEnv: envName.optional(),
  passwordEnv: envName.optional(),
  /** MQTT client id; a random one when absent. */
  clientId: z.string().min(1).optional(),
  /** Milliseconds a `/set` may wait for the state that confirms it. */
  setTimeoutMs: z.number().int().positive().default(5000),
  /** Pace of the `/get` requests that re-read state after a (re)connect. */
  getsPerSecond: z.number().positive().max(1000).default(20),
  /** An MQTT broker inside Hearth (aedes), for homes without one. */
  embeddedBroker: z
    .strictObject({
      enabled: z.boolean().default(false),
      port: z.number().int().min(0).max(65535).default(1883),
      host: z.string().default('127.0.0.1'),
    })
    .prefault({}),
});
