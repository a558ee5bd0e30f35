/**
 * Topic and payload parsing for `<name>/set`, `<name>/set/<attribute>` and `<name>/get`, with
 * Zigbee2MQTT's rules: the name is everything before the first `/set` or `/get` segment (names
 * may contain '/'), names starting with `bridge` are not entities, a bare `ON`/`OFF`/... payload
 * means `{"state": ...}`, and an attribute payload is JSON when it parses, else the raw string.
 */

export interface GetSetTopic {
  name: string;
  type: 'get' | 'set';
  attribute: string | undefined;
}

const getSet = /^(?!bridge)(.+?)\/(get|set)(?:\/(.+))?$/;
const stateWords = ['on', 'off', 'toggle', 'open', 'close', 'stop', 'lock', 'unlock'];

/** Parses a topic relative to the base topic; undefined when it is no get/set topic. */
export function parseGetSet(topic: string): GetSetTopic | undefined {
  const match = getSet.exec(topic);
  if (!match?.[1]) return undefined;
  return { name: match[1], type: match[2] === 'get' ? 'get' : 'set', attribute: match[3] };
}

/** The message as key/value pairs; undefined when it is neither JSON nor a state word. */
export function parsePayload(
  raw: string,
  attribute: string | undefined,
): Record<string, unknown> | undefined {
  if (attribute) {
    try {
      return { [attribute]: JSON.parse(raw) as unknown };
    } catch {
      return { [attribute]: raw };
    }
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not JSON: maybe a bare state word
  }
  return stateWords.includes(raw.toLowerCase()) ? { state: raw } : undefined;
}
