/** Helpers for tests that consume a ChatProvider stream. */
import type { ProviderEvent } from '../../src/adapters/provider.ts';

/** Drains a provider stream, keeping the events that arrived before any failure. */
export async function drain(
  events: AsyncIterable<ProviderEvent>,
  onEvent: (event: ProviderEvent) => void = () => undefined,
): Promise<{ events: ProviderEvent[]; error: unknown }> {
  const seen: ProviderEvent[] = [];
  try {
    for await (const event of events) {
      seen.push(event);
      onEvent(event);
    }
    return { events: seen, error: undefined };
  } catch (error) {
    return { events: seen, error };
  }
}

/** The text of each `text` event, in order. */
export function texts(events: readonly ProviderEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'text' ? [event.text] : []));
}
