/**
 * Small helpers shared by the Zigbee device tools: reading a text argument and writing the
 * compact JSON results (success or a failure with a stable error code) the model reads.
 */
import type { DeviceToolResult } from './device-tools-types.ts';

/** A trimmed, non-empty string argument, or undefined for anything else. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A successful tool result: the value as compact JSON. */
export function result(value: unknown): DeviceToolResult {
  return { content: JSON.stringify(value) };
}

/** A failed tool result carrying a stable error code, a message and optional hints. */
export function failure(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): DeviceToolResult {
  return { content: JSON.stringify({ ok: false, error: code, message, ...extra }), isError: true };
}
