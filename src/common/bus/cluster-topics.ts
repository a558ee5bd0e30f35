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
