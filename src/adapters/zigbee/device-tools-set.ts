/**
 * The changing Zigbee device tools: `set_device_state`, `set_group_state` and `recall_scene`.
 * A requested state is normalised and checked against the schema before anything is
 * published, and only a set that the backend confirms is reported as a success.
 */
import { ErrorCode } from '../../common/errors.ts';
import { resolve } from './device-lookup.ts';
import { failure, result, text } from './device-tools-result.ts';
import {
  settableOf,
  type DeviceSetResult,
  type DeviceToolResult,
  type DeviceToolsBackend,
} from './device-tools-types.ts';
import type { JsonSchema } from './exposes-schema.ts';
import { validateSet } from './set-validation.ts';
import { normaliseState } from './state-normalise.ts';

/** `set_device_state`: checks the state against the device's schema, then sets it. */
export async function setDeviceState(
  backend: DeviceToolsBackend,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<DeviceToolResult> {
  const found = resolve(backend.list(), args.device, 'device');
  if ('error' in found) return found.error;
  const d = found.item;
  const checked = check(d.name, d.exposesSchema.settable, args.state, d.exposesSchema.describe);
  if ('error' in checked) return checked.error;
  const { state } = checked;
  return applied(d.name, state, signal, () => backend.set(d.id, state));
}

/** `set_group_state`: checks the state against the members' schemas, then sets the group. */
export async function setGroupState(
  backend: DeviceToolsBackend,
  setGroup: NonNullable<DeviceToolsBackend['setGroup']>,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<DeviceToolResult> {
  const found = resolve(backend.groups(), args.group, 'group');
  if ('error' in found) return found.error;
  const group = found.item;
  // A group accepts what its members accept: check against the union of their schemas.
  const members = backend.list().filter((d) => group.members.includes(d.id));
  const properties: Record<string, JsonSchema> = {};
  for (const m of members) Object.assign(properties, { ...settableOf(m), ...properties });
  const schema = { type: 'object', properties, additionalProperties: false, minProperties: 1 };
  const checked = check(`group ${group.name}`, schema, args.state);
  if ('error' in checked) return checked.error;
  const { state } = checked;
  return applied(group.name, state, signal, () => setGroup(group.id, state));
}

/** `recall_scene`: recalls a group's scene named by name or number. */
export async function recallScene(
  backend: DeviceToolsBackend,
  setGroup: NonNullable<DeviceToolsBackend['setGroup']>,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<DeviceToolResult> {
  const found = resolve(backend.groups(), args.group, 'group');
  if ('error' in found) return found.error;
  const group = found.item;
  const wanted = (
    typeof args.scene === 'number' ? String(args.scene) : (text(args.scene) ?? '')
  ).toLowerCase();
  const scene = group.scenes.find(
    (s) => String(s.id) === wanted || s.name?.toLowerCase() === wanted,
  );
  if (!scene) {
    const scenes = group.scenes.map((s) => s.name ?? String(s.id));
    return failure(ErrorCode.notFound, `Group ${group.name} has no scene "${wanted}"`, { scenes });
  }
  return applied(group.name, { scene_recall: scene.id }, signal, () =>
    setGroup(group.id, { scene_recall: scene.id }),
  );
}

/** Normalises and validates a requested state; an invalid one is explained to the model. */
function check(
  target: string,
  schema: JsonSchema,
  raw: unknown,
  describe?: Record<string, string>,
): { state: Record<string, unknown> } | { error: DeviceToolResult } {
  const state = normaliseState(schema, raw);
  const outcome = validateSet(schema, state);
  if (outcome.ok) return { state: state as Record<string, unknown> };
  const message = `Cannot set ${target}: ${outcome.errors.join('; ')}`;
  const properties = Object.keys(schema.properties ?? {});
  const settable = describe && Object.fromEntries(properties.map((p) => [p, describe[p] ?? '']));
  return { error: failure(ErrorCode.invalidState, message, settable ? { settable } : {}) };
}

/** Runs a set and reports it: only a confirmed set is a success. */
async function applied(
  target: string,
  state: Record<string, unknown>,
  signal: AbortSignal,
  set: () => Promise<DeviceSetResult>,
): Promise<DeviceToolResult> {
  if (signal.aborted) return failure(ErrorCode.interrupted, 'The turn was cancelled');
  let outcome: DeviceSetResult;
  try {
    outcome = await set();
  } catch (error) {
    return failure(ErrorCode.deviceFailed, `Setting ${target} failed: ${(error as Error).message}`);
  }
  if (!outcome.ok) return failure(outcome.code, `Setting ${target} failed: ${outcome.message}`);
  const confirmed: Record<string, unknown> = {};
  for (const key of Object.keys(state)) {
    if (outcome.state[key] !== undefined) confirmed[key] = outcome.state[key];
  }
  return result({
    ok: true,
    target,
    state: Object.keys(confirmed).length > 0 ? confirmed : outcome.state,
  });
}
