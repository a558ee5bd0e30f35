/**
 * The colour of a Zigbee2MQTT light: recognises its `xy` and `hs` colour composites (which
 * share the property `color`) and builds one schema accepting every colour form Zigbee2MQTT
 * converts, so that a model may say `"#ff8800"` as well as `{"x": 0.5, "y": 0.4}`.
 */
import type { Expose, JsonSchema } from './exposes-schema.ts';

/** `xy` or `hs` for one of the two colour composites of a light, otherwise undefined. */
export function colourForm(expose: Expose): string | undefined {
  const { property, endpoint } = expose;
  const light =
    property === 'color' || (endpoint !== undefined && property === `color_${endpoint}`);
  if (expose.type !== 'composite' || !light) return undefined;
  const keys = new Set((expose.features ?? []).map((f) => f.property ?? f.name));
  if (keys.has('x') && keys.has('y')) return 'xy';
  if (keys.has('hue') || keys.has('saturation')) return 'hs';
  return undefined;
}

/** Every colour form Zigbee2MQTT converts for a light with xy and/or hs colour. */
export function colourSchema(forms: ReadonlySet<string>): JsonSchema {
  const range = (minimum: number, maximum: number, type = 'number'): JsonSchema => ({
    type,
    minimum,
    maximum,
  });
  const object = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}) => ({
    type: 'object',
    properties,
    additionalProperties: false,
    ...extra,
  });
  const hex = { type: 'string', pattern: '^#?[0-9a-fA-F]{6}$', examples: ['#ff8800'] };
  const alternatives: JsonSchema[] = [];
  if (forms.has('xy')) {
    alternatives.push(object({ x: range(0, 1), y: range(0, 1) }, { required: ['x', 'y'] }));
  }
  if (forms.has('hs')) {
    alternatives.push(
      object({ hue: range(0, 360), saturation: range(0, 100) }, { minProperties: 1 }),
    );
  }
  const byte = range(0, 255, 'integer');
  alternatives.push(
    object({ r: byte, g: byte, b: byte }, { required: ['r', 'g', 'b'] }),
    object({ hex }, { required: ['hex'] }),
    { type: 'string', pattern: '^#[0-9a-fA-F]{6}$', examples: ['#ff8800'] },
  );
  return {
    description: `Colour as ${forms.has('xy') ? '{x,y}, ' : ''}${forms.has('hs') ? '{hue,saturation}, ' : ''}{r,g,b}, {hex} or "#rrggbb"`,
    anyOf: alternatives,
  };
}
