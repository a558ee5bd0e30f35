/**
 * Checking a `/set` payload against a device's settable schema (Ajv, compiled once per schema
 * text) before anything is published, and saying in a few words what a schema allows, so that
 * errors name the property and what it accepts and a model can correct itself.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema } from './exposes-schema.ts';

/**
 * Says in a few words what a schema allows, for descriptions and error messages:
 * `"ON" | "OFF"`, `number 0..254`, `integer 1..5 step 2 or one of "cool"`.
 */
export function summarise(schema: JsonSchema, depth = 0): string {
  const alternatives = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (alternatives) return alternatives.map((s) => summarise(s, depth)).join(' or ');
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.map((v) => JSON.stringify(v));
    return values.length === 1 ? (values[0] ?? '') : `one of ${values.join(' | ')}`;
  }
  switch (schema.type) {
    case 'number':
    case 'integer': {
      const { minimum, maximum, multipleOf } = schema as Record<string, number | undefined>;
      let text = schema.type;
      if (minimum !== undefined && maximum !== undefined) text += ` ${minimum}..${maximum}`;
      else if (minimum !== undefined) text += ` >= ${minimum}`;
      else if (maximum !== undefined) text += ` <= ${maximum}`;
      return multipleOf === undefined ? text : `${text} step ${multipleOf}`;
    }
    case 'string': {
      const examples = schema.examples as unknown[] | undefined;
      return examples?.[0] === undefined ? 'text' : `text like ${JSON.stringify(examples[0])}`;
    }
    case 'object': {
      const props = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
      if (depth > 0) return `{${props.map(([k]) => k).join(', ')}}`;
      return `{${props.map(([k, s]) => `${k}: ${summarise(s, depth + 1)}`).join(', ')}}`;
    }
    case 'array':
      return schema.items ? `list of ${summarise(schema.items as JsonSchema, depth + 1)}` : 'list';
    default:
      return 'any value';
  }
}

const ajv = new Ajv2020({ strict: false, allErrors: true, multipleOfPrecision: 9 });
const byObject = new WeakMap<object, ValidateFunction>();
const byText = new Map<string, ValidateFunction>();
const maxCached = 1000;

function validatorFor(schema: JsonSchema): ValidateFunction {
  let validate = byObject.get(schema);
  if (validate) return validate;
  // Devices of one model share a schema's text: compile it once for all of them.
  const text = JSON.stringify(schema);
  validate = byText.get(text);
  if (!validate) {
    validate = ajv.compile(schema);
    if (byText.size >= maxCached) byText.clear();
    byText.set(text, validate);
  }
  byObject.set(schema, validate);
  return validate;
}

export type SetCheck = { ok: true } | { ok: false; errors: string[] };

/**
 * Checks a `/set` payload against a device's settable schema before anything is published.
 * Errors name the property and what it allows, so that a model can correct itself.
 */
export function validateSet(schema: JsonSchema, value: unknown): SetCheck {
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (error) {
    return { ok: false, errors: [`The device's schema is unusable: ${(error as Error).message}`] };
  }
  if (validate(value)) return { ok: true };
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const allowed = `settable properties: ${Object.keys(properties).join(', ') || 'none'}`;
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const message = explain(error, properties, value, allowed);
    if (message !== undefined && !seen.has(message)) {
      seen.add(message);
      errors.push(message);
    }
  }
  return { ok: false, errors: errors.length > 0 ? errors : [`Invalid state; ${allowed}`] };
}

function explain(
  error: ErrorObject,
  properties: Record<string, JsonSchema>,
  value: unknown,
  allowed: string,
): string | undefined {
  if (error.instancePath === '') {
    if (error.keyword === 'type')
      return `The state must be an object such as {"state": "ON"}; ${allowed}`;
    if (error.keyword === 'minProperties') return `Nothing to set; ${allowed}`;
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return `"${extra}" cannot be set on this device; ${allowed}`;
    }
    return `The state ${error.message ?? 'is invalid'}`;
  }
  const property = decodePointer(error.instancePath.split('/')[1] ?? '');
  const schema = properties[property];
  if (schema === undefined) return undefined;
  const given = JSON.stringify((value as Record<string, unknown>)[property]);
  return `${property}: ${given} is not allowed; expected ${summarise(schema)}`;
}

function decodePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
