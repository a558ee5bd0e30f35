/**
 * Turns a Zigbee2MQTT device's `exposes` (from `bridge/devices`) into what Hearth needs to let
 * a model or a UI drive the device safely: a JSON Schema of what `/set` accepts, the lists of
 * properties that `/get` can read and that state publishes carry, and a short text per property.
 *
 * Facts from Zigbee2MQTT 2.x and zigbee-herdsman-converters this follows (see
 * ../shared/reference/zigbee2mqtt.md): everything is keyed by `property`, not `name`; `access`
 * is a bit set (1 published, 2 settable, 4 readable); specific types (light, switch, …) only
 * group their `features`, whose properties already carry endpoint suffixes (`state_l1`);
 * `color_xy` and `color_hs` share the property `color`; a light's `transition` lives in the
 * definition's options, not in its exposes.
 */
import { colourForm, colourSchema } from './exposes-schema-colour.ts';
import { summarise } from './set-validation.ts';

export { summarise, validateSet, type SetCheck } from './set-validation.ts';

/** One entry of a definition's `exposes`, as Zigbee2MQTT publishes it in `bridge/devices`. */
export interface Expose {
  type: string;
  name?: string;
  label?: string;
  property?: string;
  access?: number;
  description?: string;
  endpoint?: string;
  category?: string;
  features?: readonly Expose[];
  value_on?: unknown;
  value_off?: unknown;
  value_toggle?: unknown;
  value_min?: number;
  value_max?: number;
  value_step?: number;
  unit?: string;
  presets?: ReadonlyArray<{ name: string; value: unknown; description?: string }>;
  values?: readonly unknown[];
  item_type?: Expose;
  length_min?: number;
  length_max?: number;
}

export type JsonSchema = Record<string, unknown>;

export interface ExposesSchemaOptions {
  /** The definition's `options` (where a light's `transition` is declared). */
  definitionOptions?: readonly Expose[];
  /** Show properties of category `config` too (hidden by default: a model should not need them). */
  includeConfig?: boolean;
}

/** What a device can do, derived once from its exposes. */
export interface ExposesSchema {
  /** JSON Schema of a `/set` payload: an object keyed by property, nothing else allowed. */
  settable: JsonSchema;
  /** Properties `/get` can ask for (access bit 4). */
  readable: string[];
  /** Properties that appear in the device's state publishes (access bit 1). */
  published: string[];
  /** A short human (and model) readable text per visible property. */
  describe: Record<string, string>;
  /** The specific types present: `light`, `switch`, `fan`, `cover`, `lock`, `climate`. */
  kinds: string[];
}

const access = { published: 1, settable: 2, readable: 4 } as const;
const specificTypes = new Set(['light', 'switch', 'fan', 'cover', 'lock', 'climate']);
const maxDescription = 80;

/** Builds the schemas of one device; see {@link ExposesSchema}. Pure and fast (no Ajv here). */
export function exposesToSchema(
  exposes: readonly Expose[],
  options: ExposesSchemaOptions = {},
): ExposesSchema {
  const properties: Record<string, JsonSchema> = {};
  const readable: string[] = [];
  const published: string[] = [];
  const describe: Record<string, string> = {};
  const kinds = new Set<string>();
  const colourForms = new Map<string, Set<string>>();

  for (const { expose, kind } of flatten(exposes)) {
    if (kind !== undefined) kinds.add(kind);
    const property = expose.property;
    if (property === undefined || property === '') continue;
    if (expose.category === 'config' && options.includeConfig !== true) continue;
    const bits = expose.access ?? 0;
    const settable = (bits & access.settable) !== 0 && expose.category !== 'diagnostic';
    const colour = colourForm(expose);
    if (colour !== undefined && settable) {
      colourForms.set(property, new Set([...(colourForms.get(property) ?? []), colour]));
    }
    if (property in describe) continue;
    const schema = colour === undefined ? toSchema(expose) : colourSchema(new Set([colour]));
    if ((bits & access.readable) !== 0) readable.push(property);
    if ((bits & access.published) !== 0) published.push(property);
    if (settable) properties[property] = schema;
    describe[property] = describeProperty(expose, schema, settable);
  }
  // The two colour composites share one property: the merged schema accepts either form.
  for (const [property, forms] of colourForms) {
    properties[property] = colourSchema(forms);
    describe[property] = describeProperty({ type: 'composite' }, colourSchema(forms), true);
  }
  if (kinds.has('light') && properties.transition === undefined) {
    const option = options.definitionOptions?.find((o) => (o.property ?? o.name) === 'transition');
    properties.transition = option
      ? toSchema(option)
      : { type: 'number', minimum: 0, description: 'Transition time in seconds' };
    describe.transition = describeProperty(
      option ?? { type: 'numeric', description: 'Transition time in seconds', unit: 's' },
      properties.transition,
      true,
    );
  }
  const settable: JsonSchema = {
    type: 'object',
    properties,
    additionalProperties: false,
    minProperties: 1,
  };
  return { settable, readable, published, describe, kinds: [...kinds] };
}

function flatten(exposes: readonly Expose[]): Array<{ expose: Expose; kind?: string }> {
  const leaves: Array<{ expose: Expose; kind?: string }> = [];
  for (const expose of exposes) {
    if (typeof expose !== 'object' || expose === null) continue;
    if (specificTypes.has(expose.type)) {
      for (const feature of expose.features ?? [])
        leaves.push({ expose: feature, kind: expose.type });
      if ((expose.features ?? []).length === 0) leaves.push({ expose, kind: expose.type });
    } else {
      leaves.push({ expose });
    }
  }
  return leaves;
}

/** JSON Schema of one generic expose, as `/set` accepts its value. */
function toSchema(expose: Expose): JsonSchema {
  const description = shorten(expose.description);
  const withText = (schema: JsonSchema): JsonSchema =>
    description === undefined ? schema : { ...schema, description };
  switch (expose.type) {
    case 'binary':
      return withText({
        enum: [expose.value_on, expose.value_off, expose.value_toggle].filter(
          (v) => v !== undefined,
        ),
      });
    case 'numeric':
      return withText(numericSchema(expose));
    case 'enum':
      return withText({ enum: [...(expose.values ?? [])] });
    case 'text':
      return withText({ type: 'string' });
    case 'composite': {
      const features = expose.features ?? [];
      const settable = features.filter((f) => ((f.access ?? 0) & access.settable) !== 0);
      const properties: Record<string, JsonSchema> = {};
      for (const f of settable.length > 0 ? settable : features) {
        const key = f.property ?? f.name;
        if (key !== undefined && properties[key] === undefined) properties[key] = toSchema(f);
      }
      return withText({ type: 'object', properties, additionalProperties: false });
    }
    case 'list': {
      const schema: JsonSchema = { type: 'array' };
      if (expose.item_type) schema.items = toSchema(expose.item_type);
      if (isCount(expose.length_min)) schema.minItems = expose.length_min;
      if (isCount(expose.length_max)) schema.maxItems = expose.length_max;
      return withText(schema);
    }
    default:
      return withText({});
  }
}

function numericSchema(expose: Expose): JsonSchema {
  const { value_min: min, value_max: max, value_step: step } = expose;
  const integral = isFiniteNumber(step) && Number.isInteger(step) && step >= 1;
  const number: JsonSchema = { type: integral && (min ?? 0) % 1 === 0 ? 'integer' : 'number' };
  if (isFiniteNumber(min)) number.minimum = min;
  if (isFiniteNumber(max)) number.maximum = max;
  // A step is only a multiple constraint when the range starts on it (5..30 by 0.5 does).
  if (isFiniteNumber(step) && step > 0 && step !== 1 && onStep(min ?? 0, step)) {
    number.multipleOf = step;
  }
  const presets = expose.presets ?? [];
  if (presets.length === 0) return number;
  const names = presets.map((p) => p.name);
  // Preset values outside the range (such as 65535 for "previous") are still accepted.
  const outside = presets
    .map((p) => p.value)
    .filter((v) => typeof v === 'number' && ((min ?? v) > v || (max ?? v) < v));
  const alternatives = [number, { type: 'string', enum: names }];
  if (outside.length > 0) alternatives.push({ enum: outside });
  return { oneOf: alternatives };
}

function describeProperty(expose: Expose, schema: JsonSchema, settable: boolean): string {
  const unit = expose.unit === undefined || expose.unit === '' ? '' : ` (${expose.unit})`;
  const colour = schema.anyOf === undefined ? undefined : (schema.description as string);
  const parts = [(colour ?? summarise(schema)) + unit];
  const text = shorten(expose.description);
  if (text !== undefined && colour === undefined) parts.push(text);
  if (!settable) parts.push('read-only');
  return parts.join('; ');
}

function shorten(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const line = text.split('\n')[0] ?? '';
  return line.length > maxDescription ? `${line.slice(0, maxDescription - 1)}…` : line;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isCount(value: unknown): value is number {
  return isFiniteNumber(value) && Number.isInteger(value) && value >= 0;
}

function onStep(start: number, step: number): boolean {
  const ratio = start / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}
