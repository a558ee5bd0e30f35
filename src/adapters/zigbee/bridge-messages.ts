/**
 * What Zigbee2MQTT publishes on its bridge topics, validated at the edge with zod. Tolerant:
 * extra fields pass, 1.x forms (bare `online`) are accepted, one bad device entry is skipped
 * rather than losing the whole list, and a payload that cannot be read yields `undefined` (the
 * caller logs it and carries on). Facts: ../shared/reference/zigbee2mqtt.md.
 */
import { z } from 'zod';
import type { Expose } from './exposes-schema.ts';

const exposeSchema = z.looseObject({ type: z.string() });

const definitionSchema = z.looseObject({
  model: z.string().nullish(),
  vendor: z.string().nullish(),
  description: z.string().nullish(),
  exposes: z.array(exposeSchema).catch([]).default([]),
  options: z.array(exposeSchema).catch([]).default([]),
});

const deviceSchema = z.looseObject({
  ieee_address: z.string().min(1),
  friendly_name: z.string().min(1),
  type: z.string().default('Unknown'),
  supported: z.boolean().default(true),
  disabled: z.boolean().default(false),
  description: z.string().nullish(),
  power_source: z.string().nullish(),
  definition: definitionSchema.nullish(),
});

/** One device of `bridge/devices`, reduced to what Hearth uses. */
export interface BridgeDevice {
  ieee: string;
  name: string;
  type: string;
  model?: string;
  vendor?: string;
  description?: string;
  powerSource?: string;
  supported: boolean;
  disabled: boolean;
  exposes: Expose[];
  /** The definition's options (a light's `transition` lives here). */
  options: Expose[];
}

const groupSchema = z.looseObject({
  id: z.number().int(),
  friendly_name: z.string().min(1),
  members: z
    .array(z.looseObject({ ieee_address: z.string() }))
    .catch([])
    .default([]),
  scenes: z
    .array(z.looseObject({ id: z.number().int(), name: z.string().nullish() }))
    .catch([])
    .default([]),
});

export interface BridgeGroup {
  id: number;
  name: string;
  members: string[];
  scenes: Array<{ id: number; name: string }>;
}

const stateWord = z.enum(['online', 'offline']);
const stateObject = z.looseObject({ state: stateWord });
const infoSchema = z.looseObject({ version: z.string().nullish() });
const eventSchema = z.looseObject({
  type: z.string(),
  data: z
    .looseObject({ friendly_name: z.string().nullish(), ieee_address: z.string().nullish() })
    .catch({})
    .default({}),
});
const loggingSchema = z.looseObject({
  level: z.string(),
  message: z.string(),
  namespace: z.string().nullish(),
});
const responseSchema = z.looseObject({
  status: z.string(),
  data: z.unknown().optional(),
  error: z.string().nullish(),
});

export type OnlineState = z.infer<typeof stateWord>;
export type BridgeEvent = { type: string; name?: string; ieee?: string };
export type BridgeLog = { level: string; message: string; namespace?: string };
export type BridgeResponse = { status: string; data: unknown; error?: string };

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `bridge/state` or `<name>/availability`: 2.x `{"state":"online"}`, 1.x bare `online`.
 * `undefined` for anything else (including the empty payload that clears a retained topic).
 */
export function parseOnlineState(text: string): OnlineState | undefined {
  const trimmed = text.trim();
  const word = stateWord.safeParse(trimmed);
  if (word.success) return word.data;
  const parsed = json(trimmed);
  const asWord = stateWord.safeParse(parsed);
  if (asWord.success) return asWord.data;
  const asObject = stateObject.safeParse(parsed);
  return asObject.success ? asObject.data.state : undefined;
}

export function parseBridgeInfo(text: string): { version?: string } | undefined {
  const parsed = infoSchema.safeParse(json(text));
  if (!parsed.success) return undefined;
  return parsed.data.version ? { version: parsed.data.version } : {};
}

/** `bridge/devices`: the devices that parse, and how many entries were skipped. */
export function parseBridgeDevices(
  text: string,
): { devices: BridgeDevice[]; skipped: number } | undefined {
  const list = json(text);
  if (!Array.isArray(list)) return undefined;
  const devices: BridgeDevice[] = [];
  let skipped = 0;
  for (const entry of list) {
    const parsed = deviceSchema.safeParse(entry);
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const d = parsed.data;
    const def = d.definition ?? undefined;
    devices.push({
      ieee: d.ieee_address,
      name: d.friendly_name,
      type: d.type,
      ...(def?.model && { model: def.model }),
      ...(def?.vendor && { vendor: def.vendor }),
      ...((d.description ?? def?.description) && {
        description: d.description ?? def?.description ?? '',
      }),
      ...(d.power_source && { powerSource: d.power_source }),
      supported: d.supported,
      disabled: d.disabled,
      exposes: def?.exposes ?? [],
      options: def?.options ?? [],
    });
  }
  return { devices, skipped };
}

/** `bridge/groups`: the groups that parse, and how many entries were skipped. */
export function parseBridgeGroups(
  text: string,
): { groups: BridgeGroup[]; skipped: number } | undefined {
  const list = json(text);
  if (!Array.isArray(list)) return undefined;
  const groups: BridgeGroup[] = [];
  let skipped = 0;
  for (const entry of list) {
    const parsed = groupSchema.safeParse(entry);
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const g = parsed.data;
    groups.push({
      id: g.id,
      name: g.friendly_name,
      members: [...new Set(g.members.map((m) => m.ieee_address))],
      scenes: g.scenes.map((s) => ({ id: s.id, name: s.name ?? `Scene ${s.id}` })),
    });
  }
  return { groups, skipped };
}

export function parseBridgeEvent(text: string): BridgeEvent | undefined {
  const parsed = eventSchema.safeParse(json(text));
  if (!parsed.success) return undefined;
  const { type, data } = parsed.data;
  return {
    type,
    ...(data.friendly_name && { name: data.friendly_name }),
    ...(data.ieee_address && { ieee: data.ieee_address }),
  };
}

export function parseBridgeLogging(text: string): BridgeLog | undefined {
  const parsed = loggingSchema.safeParse(json(text));
  if (!parsed.success) return undefined;
  const { level, message, namespace } = parsed.data;
  return { level, message, ...(namespace && { namespace }) };
}

export function parseBridgeResponse(text: string): BridgeResponse | undefined {
  const parsed = responseSchema.safeParse(json(text));
  if (!parsed.success) return undefined;
  const { status, data, error } = parsed.data;
  return { status, data, ...(error && { error }) };
}

/** A device's state publish: a JSON object, nothing else. */
export function parseDeviceState(text: string): Record<string, unknown> | undefined {
  const parsed = json(text);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

const failedPublish = /Publish '(set|get)' '([^']*)' to '(.+)' failed: (.*)$/s;

/**
 * Reads Zigbee2MQTT's log line for a failed `/set` or `/get`
 * (`Publish 'set' 'state' to 'X' failed: '...'`, possibly prefixed with `z2m: `).
 */
export function parseFailedPublish(
  message: string,
): { type: 'set' | 'get'; key: string; name: string; reason: string } | undefined {
  const match = failedPublish.exec(message);
  if (!match) return undefined;
  const [, type, key, name, reason] = match;
  if ((type !== 'set' && type !== 'get') || name === undefined) return undefined;
  return { type, key: key ?? '', name, reason: (reason ?? '').replace(/^'|'$/g, '') };
}
