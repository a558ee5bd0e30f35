/**
 * What the processes of a split Hearth tell each other over the bus (Redis Pub/Sub). Messages
 * are small notices; whoever receives one re-reads the state from the central service.
 */
import { z } from 'zod';
import { defineTopic, type Topic } from './bus.ts';

function topic<T>(channel: string, schema: z.ZodType<T>): Topic<T> {
  return defineTopic(channel, (message) => schema.parse(message));
}

/** The configuration changed (API or config.yaml): re-read it. */
export const configChanged = topic(
  'hearth.config.changed',
  z.object({ version: z.number().int() }),
);

/** config.yaml changed on disk but is invalid; the running configuration stays. For admins. */
export const configRejected = topic(
  'hearth.config.rejected',
  z.object({ version: z.number().int(), message: z.string() }),
);

/** A conversation was deleted: drop what is kept of it. */
export const conversationDeleted = topic(
  'hearth.conversation.deleted',
  z.object({ conversationId: z.string() }),
);

/** Stop this turn, wherever it runs. */
export const cancelTurn = topic('hearth.turn.cancel', z.object({ turnId: z.string() }));

/** A frame for every WebSocket client (or those of one role), from a process without any. */
export const broadcast = topic(
  'hearth.broadcast',
  z.object({
    frame: z.record(z.string(), z.unknown()),
    role: z.enum(['admin', 'user']).optional(),
  }),
);

/**
 * A device event from the central service's device bridge (Zigbee): `device.state` carries
 * the new state; the others say "read the list again".
 */
export const deviceEvent = topic(
  'hearth.device.event',
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('device.state'),
      deviceId: z.string(),
      name: z.string(),
      state: z.record(z.string(), z.unknown()),
      availability: z.enum(['online', 'offline', 'unknown']),
      at: z.string(),
    }),
    z.object({ type: z.literal('devices.changed') }),
    z.object({ type: z.literal('bridge.state'), online: z.boolean() }),
  ]),
);
