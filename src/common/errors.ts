/**
 * Hearth's one error type for every boundary (WebSocket, REST, config), with a closed list of
 * stable codes. Anything thrown is turned into a HearthError by `toHearthError`; unexpected
 * errors reach clients as `internal` with a short message while the cause goes to the log.
 */

export const ErrorCode = {
  badJson: 'bad_json',
  badRequest: 'bad_request',
  unknownType: 'unknown_type',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  unknownConversation: 'unknown_conversation',
  unknownProfile: 'unknown_profile',
  unknownTurn: 'unknown_turn',
  unknownMessage: 'unknown_message',
  unknownDevice: 'unknown_device',
  invalidState: 'invalid_state',
  deviceFailed: 'device_failed',
  deviceTimeout: 'device_timeout',
  noProvider: 'no_provider',
  busy: 'busy',
  unsupported: 'unsupported',
  providerError: 'provider_error',
  providerAuth: 'provider_auth',
  providerRateLimited: 'provider_rate_limited',
  providerUnavailable: 'provider_unavailable',
  unavailable: 'unavailable',
  interrupted: 'interrupted',
  payloadTooLarge: 'payload_too_large',
  contextTooLong: 'context_too_long',
  rateLimited: 'rate_limited',
  invalidConfig: 'invalid_config',
  internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatusByCode: Record<ErrorCode, number> = {
  bad_json: 400,
  bad_request: 400,
  unknown_type: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_conversation: 404,
  unknown_profile: 404,
  unknown_turn: 404,
  unknown_message: 404,
  unknown_device: 404,
  invalid_state: 400,
  device_failed: 502,
  device_timeout: 504,
  no_provider: 503,
  busy: 409,
  unsupported: 501,
  provider_error: 502,
  provider_auth: 502,
  provider_rate_limited: 429,
  provider_unavailable: 503,
  unavailable: 503,
  interrupted: 503,
  payload_too_large: 413,
  context_too_long: 413,
  rate_limited: 429,
  invalid_config: 400,
  internal: 500,
};

export class HearthError extends Error {
  readonly code: ErrorCode;
  /** Set for errors nobody anticipated: their message is not shown to clients. */
  readonly unhandled: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; unhandled?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HearthError';
    this.code = code;
    this.unhandled = options?.unhandled ?? false;
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }

  /** The shape that crosses the wire: a code and a message safe to show. */
  toWire(): { code: ErrorCode; message: string } {
    return {
      code: this.code,
      message: this.unhandled
        ? 'Something went wrong inside Hearth; the log has details.'
        : this.message,
    };
  }
}

export function toHearthError(error: unknown): HearthError {
  if (error instanceof HearthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HearthError(ErrorCode.internal, message, { cause: error, unhandled: true });
}

export function httpStatusOf(code: ErrorCode): number {
  return httpStatusByCode[code];
}

/** Whether `value` is one of Hearth's error codes (as read off the wire). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in httpStatusByCode;
}
