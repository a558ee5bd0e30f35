/**
 * WebSocket close codes Hearth uses, documented in docs/protocol.md. 1xxx are the standard
 * ones; 4xxx are Hearth's own.
 */
export const CloseCode = {
  /** Hearth is shutting down. */
  goingAway: 1001,
  /** The client sent frames faster than its allowed rate. */
  rateLimited: 1008,
  /** A frame was larger than `limits.maxFrameBytes`. */
  tooBig: 1009,
  /** The first frame was not a valid `hello`. */
  helloRequired: 4001,
  /** No `hello` arrived in time. */
  helloTimeout: 4002,
  /** The token in `hello` is not valid. */
  unauthorized: 4003,
  /** The client speaks a protocol version Hearth does not. */
  unsupportedProtocol: 4004,
  /** The client could not keep up: more than `limits.maxBufferedBytes` waited for it. */
  slowConsumer: 4008,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
