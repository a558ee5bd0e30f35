/**
 * Hearth's config over the tests' defaults for benchmarks whose clients send turns back to
 * back: logging at `warn`, and the message rate limit raised, since the default 20 frames/s
 * would close such a client. Every other limit stays at its default.
 */
export const backToBackConfig = {
  log: { level: 'warn' },
  limits: { messagesPerSecond: 100_000, messageBurst: 100_000 },
};
