/**
 * `bridge/request/<path>` handling: device rename and permit join, answered on
 * `bridge/response/<path>` with `{data, status, transaction?}` or
 * `{data: {}, status: "error", error, transaction?}` as Zigbee2MQTT answers. Requests the
 * simulator does not know are ignored. A failed request is also logged, as Zigbee2MQTT does.
 */
import type { SimEntity } from './apply-set.ts';
import { stableJson } from './bridge-payloads.ts';
import type { JsonObject } from './home.ts';

export interface RequestContext {
  findEntity(id: string): SimEntity | undefined;
  /** Publishes on `<base>/<topic>`. */
  publish(topic: string, payload: string, options?: { retain?: boolean }): Promise<void>;
  publishDevices(): Promise<void>;
  publishGroups(): Promise<void>;
  publishState(entity: SimEntity): Promise<void>;
  renamed(entity: SimEntity, from: string): Promise<void>;
  setPermitJoin(seconds: number): Promise<void>;
  logError(message: string): Promise<void>;
}

type Handler = (ctx: RequestContext, message: JsonObject | string) => Promise<JsonObject>;

const handlers: Record<string, Handler> = {
  'device/rename': (ctx, message) => rename(ctx, message, 'device'),
  'group/rename': (ctx, message) => rename(ctx, message, 'group'),
  permit_join: permitJoin,
  health_check: () => Promise.resolve({ healthy: true }),
};

export async function handleRequest(ctx: RequestContext, path: string, raw: string): Promise<void> {
  const handler = handlers[path];
  if (!handler) return;
  const message = parse(raw);
  const transaction = typeof message === 'object' ? message.transaction : undefined;
  let response: JsonObject;
  try {
    response = { data: await handler(ctx, message), status: 'ok' };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    await ctx.logError(`Request '${path}' failed with error: '${text}'`);
    response = { data: {}, status: 'error', error: text };
  }
  if (transaction !== undefined) response.transaction = transaction;
  await ctx.publish(`bridge/response/${path}`, stableJson(response));
}

function parse(raw: string): JsonObject | string {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as JsonObject)
      : raw;
  } catch {
    return raw;
  }
}

async function rename(
  ctx: RequestContext,
  message: JsonObject | string,
  kind: 'device' | 'group',
): Promise<JsonObject> {
  if (typeof message !== 'object' || message.from === undefined || message.to === undefined) {
    throw new Error('Invalid payload');
  }
  if (typeof message.to !== 'string') throw new Error("'to' must be a string");
  const from = text(message.from);
  const to = message.to.trim();
  const entity = ctx.findEntity(from);
  const isGroup = entity !== undefined && 'members' in entity;
  if (!entity || isGroup !== (kind === 'group')) {
    throw new Error(`${kind === 'group' ? 'Group' : 'Device'} '${from}' does not exist`);
  }
  validateFriendlyName(to);
  const taken = ctx.findEntity(to);
  if (taken && taken !== entity) throw new Error(`friendly_name '${to}' is already in use`);
  const oldName = entity.name;
  entity.name = to;
  // Zigbee2MQTT clears a retained message under the old name, republishes the retained list,
  // then publishes the entity's state under its new name right after.
  await ctx.publish(oldName, '', { retain: true });
  await ctx.renamed(entity, oldName);
  if (kind === 'device') await ctx.publishDevices();
  else await ctx.publishGroups();
  await ctx.publishState(entity);
  const homeassistantRename = message.homeassistant_rename === true;
  return { from: oldName, to, homeassistant_rename: homeassistantRename };
}

async function permitJoin(ctx: RequestContext, message: JsonObject | string): Promise<JsonObject> {
  const raw = typeof message === 'object' ? message.time : message;
  if (raw === undefined) throw new Error('Invalid payload');
  const time = Number.parseInt(text(raw), 10);
  if (!Number.isFinite(time) || time < 0 || time > 254) {
    throw new Error(`Invalid time '${text(raw)}', must be 0-254`);
  }
  await ctx.setPermitJoin(time);
  return { time };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The first of Zigbee2MQTT's friendly-name rules that `name` breaks, as its error. */
function validateFriendlyName(name: string): void {
  if (name.length === 0) throw new Error('friendly_name must be at least 1 char long');
  if (name.startsWith('/') || name.endsWith('/')) {
    throw new Error('friendly_name is not allowed to end or start with /');
  }
  if (/\/\d*$/.test(name)) throw new Error(`Friendly name cannot end with a "/DIGIT" ('${name}')`);
  if (name.includes('#') || name.includes('+')) {
    throw new Error(`MQTT wildcard (+ and #) not allowed in friendly_name ('${name}')`);
  }
}
