import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
const compiled = new WeakMap<object, ValidateFunction | null>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction | null {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    // A schema Ajv cannot compile (an upstream server's mistake) is not a reason to refuse
    // every call: such a tool gets its arguments unchecked, as the server would.
    try {
      validate = ajv.compile(schema);
    } catch {
      validate = null;
    }
    compiled.set(schema, validate);
  }
  return validate;
}

export type ArgumentCheck =
  { ok: true; args: Record<string, unknown> } | { ok: false; problem: string };

/**
 * Parses a model's argument text and checks it against the tool's schema. Small local models
 * often produce broken JSON or wrong fields; the problem is described for the model to retry.
 */
export function checkArguments(text: string, schema: Record<string, unknown>): ArgumentCheck {
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problem: `The arguments are not valid JSON (${(error as Error).message}).`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problem: 'The arguments must be a JSON object.' };
  }
  return checkObject(parsed as Record<string, unknown>, schema);
}

/** Checks an arguments object (already parsed) against a tool's schema. */
export function checkObject(
  parsed: Record<string, unknown>,
  schema: Record<string, unknown>,
): ArgumentCheck {
  const validate = validatorFor(schema);
  if (validate && !validate(parsed)) {
    const problems = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(arguments)'} ${e.message ?? 'is invalid'}`,
    );
    return {
      ok: false,
      problem: `The arguments do not match the tool's schema: ${problems.join('; ')}.`,
    };
  }
  return { ok: true, args: parsed };
}
