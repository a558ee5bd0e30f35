/**
 * A device's first state, made from its exposes the way a freshly started Zigbee2MQTT would have
 * it cached after the device reported: every published (access bit 1), non-configuration
 * property gets a plausible value, then the catalogue's values win. Event properties such as
 * `action` are never cached by Zigbee2MQTT, so they are left out.
 */
import { catalogue, type DeviceKind } from './catalogue.ts';

type Json = Record<string, unknown>;

const stateBit = 1;
const eventProperties = new Set(['action', 'click']);

export function initialState(kind: DeviceKind, exposes: Json[]): Json {
  const state: Json = {};
  for (const expose of exposes) collect(expose, state);
  Object.assign(state, structuredClone(catalogue[kind].state ?? {}));
  state.linkquality = 120;
  return state;
}

function collect(expose: Json, into: Json): void {
  const features = Array.isArray(expose.features) ? (expose.features as Json[]) : undefined;
  const property = typeof expose.property === 'string' ? expose.property : undefined;
  if (features && expose.type === 'composite' && property) {
    const inner: Json = {};
    for (const feature of features) collect(feature, inner);
    if (Object.keys(inner).length > 0) into[property] = { ...(into[property] as Json), ...inner };
    return;
  }
  if (features) {
    for (const feature of features) collect(feature, into);
    return;
  }
  if (!property || eventProperties.has(property) || expose.category === 'config') return;
  const accessBits = typeof expose.access === 'number' ? expose.access : 0;
  if ((accessBits & stateBit) === 0 || property === 'linkquality') return;
  const value = sample(expose);
  if (value !== undefined) into[property] = value;
}

function sample(expose: Json): unknown {
  switch (expose.type) {
    case 'binary':
      return expose.value_off;
    case 'enum':
      return Array.isArray(expose.values) ? expose.values[0] : undefined;
    case 'numeric': {
      const min = typeof expose.value_min === 'number' ? expose.value_min : 0;
      const max = typeof expose.value_max === 'number' ? expose.value_max : min + 100;
      return Math.round((min + max) / 2);
    }
    case 'text':
      return '';
    default:
      return undefined;
  }
}
