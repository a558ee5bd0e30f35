/**
 * Runs a `/set` or `/get` message through the definition's own `toZigbee` converters, as
 * Zigbee2MQTT's publish extension does: one converter per key (a converter that already handled
 * a key, such as `light_onoff_brightness` for state and brightness, is not run twice), `state`
 * and `brightness` ordered by the requested on/off, the returned `state` kept as the optimistic
 * new state, and every failure turned into the log line Zigbee2MQTT writes for it.
 */
import type { Definition, Tz } from 'zigbee-herdsman-converters';
import type { JsonObject, SimDevice, SimGroup } from './home.ts';
import { deviceReport } from './device-report.ts';

export type SimEntity = SimDevice | SimGroup;

export interface ConvertOutcome {
  /** State changes to merge and publish, per entity, in the order they were produced. */
  changes: Map<SimEntity, JsonObject>;
  /** Zigbee2MQTT log messages (level error) for keys that failed or had no converter. */
  errors: string[];
}

export function isGroup(entity: SimEntity): entity is SimGroup {
  return 'members' in entity;
}

type ConvertSetTarget = Parameters<NonNullable<Tz.Converter['convertSet']>>[0];

/**
 * Applies `message` to `entity`. `type` is `set` or `get`; for `get` the converters' reads are
 * run (they validate the key) and the caller answers with the current state.
 */
export async function convert(
  entity: SimEntity,
  type: 'set' | 'get',
  message: JsonObject,
  devicesByIeee: ReadonlyMap<string, SimDevice>,
): Promise<ConvertOutcome> {
  const outcome: ConvertOutcome = { changes: new Map(), errors: [] };
  const add = (target: SimEntity, state: JsonObject): void => {
    outcome.changes.set(target, { ...outcome.changes.get(target), ...state });
  };
  const definition: Definition | Definition[] = isGroup(entity)
    ? entity.members.map((m) => m.definition)
    : entity.definition;
  const converters = Array.isArray(definition)
    ? [...new Set(definition.flatMap((d) => d.toZigbee))]
    : definition.toZigbee;
  const target = (isGroup(entity) ? entity.zh : entity.endpoint) as unknown as ConvertSetTarget;
  const membersState = isGroup(entity)
    ? Object.fromEntries(entity.members.map((m) => [m.zh.ieeeAddr, m.state]))
    : undefined;

  // Turning off: state/brightness last (colour is set while the light is still on); else first.
  const off = typeof message.state === 'string' && message.state.toLowerCase() === 'off';
  const isLevel = ([key]: [string, unknown]): boolean =>
    ['state', 'brightness', 'brightness_percent'].includes(key);
  const all = Object.entries(message);
  const levels = all.filter(isLevel);
  const others = all.filter((entry) => !isLevel(entry));
  const entries = off ? [...others, ...levels] : [...levels, ...others];
  const used = new Set<Tz.Converter>();
  const endpoints = isGroup(entity) ? entity.members.map((m) => m.endpoint) : [entity.endpoint];

  for (const [key, value] of entries) {
    const converter = converters.find(
      (c) => (!c.key || c.key.includes(key)) && (isGroup(entity) || !c.endpoints),
    );
    if (type === 'set' && converter && used.has(converter)) continue;
    if (!converter) {
      outcome.errors.push(
        `No converter available for '${key}' on '${entity.name}': (${JSON.stringify(value)})`,
      );
      continue;
    }
    const meta = {
      endpoint_name: undefined,
      options: {},
      message: { ...message },
      device: isGroup(entity) ? undefined : entity.zh,
      state: entity.state,
      membersState,
      mapped: definition,
      publish: (payload: JsonObject) => add(entity, payload),
      deviceExposesChanged: () => {},
    } as unknown as Tz.Meta;
    for (const endpoint of endpoints) endpoint.sent = [];
    try {
      if (type === 'set' && converter.convertSet) {
        const result = await converter.convertSet(target, key, value, meta);
        if (result?.state) add(entity, result.state);
        for (const [ieee, state] of Object.entries(result?.membersState ?? {})) {
          const member = devicesByIeee.get(ieee);
          if (member) add(member, state);
        }
        if (!result?.state) reportFromDevices(entity, { [key]: value }, add);
      } else if (type === 'get' && converter.convertGet) {
        await converter.convertGet(target, key, meta);
      } else {
        outcome.errors.push(`No converter available for '${type}' '${key}' (${String(value)})`);
        continue;
      }
    } catch (error) {
      // Zigbee2MQTT interpolates the Error itself, so the text reads "Error: <message>".
      outcome.errors.push(
        `Publish '${type}' '${key}' to '${entity.name}' failed: '${String(error)}'`,
      );
    }
    used.add(converter);
  }
  if (isGroup(entity)) spreadGroupState(entity, outcome);
  return outcome;
}

/**
 * Devices answer commands that return no optimistic state (locks, cover moves, thermostat
 * writes) with an attribute report; the simulated ones report at once.
 */
function reportFromDevices(
  entity: SimEntity,
  requested: JsonObject,
  add: (t: SimEntity, s: JsonObject) => void,
): void {
  const devices = isGroup(entity) ? entity.members : [entity];
  for (const device of devices) {
    const report = deviceReport(device.endpoint.sent, requested, device.state);
    if (report) add(device, report);
  }
}

/** Zigbee2MQTT's groups extension copies a group's new state onto its members, and back. */
function spreadGroupState(group: SimGroup, outcome: ConvertOutcome): void {
  const groupChange = outcome.changes.get(group);
  if (!groupChange) return;
  for (const member of group.members) {
    const applicable = Object.fromEntries(
      Object.entries(groupChange).filter(([key]) => key in member.state),
    );
    if (Object.keys(applicable).length > 0) {
      outcome.changes.set(member, { ...outcome.changes.get(member), ...applicable });
    }
  }
}
