/**
 * Forgives what small models often get wrong in a requested device state before it is
 * validated: the state as JSON text, a bare value meant for `state`, property names in another
 * case, "off" for "OFF" and numbers written as text.
 */
import type { JsonSchema } from './exposes-schema.ts';

/**
 * Forgives what small models often get wrong before validating: the state as JSON text or a
 * bare value for `state`, property names in another case, "off" for "OFF", "128" for 128.
 */
export function normaliseState(schema: JsonSchema, raw: unknown): unknown {
  let state = raw;
  if (typeof state === 'string') {
    try {
      state = JSON.parse(state) as unknown;
    } catch {
      // A bare word such as "off" is meant for the `state` property.
    }
  }
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    return properties.state && (typeof state === 'string' || typeof state === 'boolean')
      ? normaliseState(schema, { state })
      : state;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    const property =
      key in properties
        ? key
        : (Object.keys(properties).find((p) => p.toLowerCase() === key.toLowerCase()) ?? key);
    out[property] = normaliseValue(properties[property], value);
  }
  return out;
}

function normaliseValue(schema: JsonSchema | undefined, value: unknown): unknown {
  if (schema === undefined || typeof value !== 'string') return value;
  const alternatives = [schema, ...((schema.oneOf ?? []) as JsonSchema[])];
  const enums = alternatives.flatMap((s): unknown[] => (Array.isArray(s.enum) ? s.enum : []));
  if (enums.includes(value)) return value;
  const same = enums.find((e) => typeof e === 'string' && e.toLowerCase() === value.toLowerCase());
  if (same !== undefined) return same;
  const numeric = alternatives.some((s) => s.type === 'number' || s.type === 'integer');
  const number = Number(value);
  return numeric && value.trim() !== '' && Number.isFinite(number) ? number : value;
}
