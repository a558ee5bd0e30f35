/**
 * A plain MQTT.js subscriber for tests: records every message (topic, text, retain flag) and
 * lets a test wait for one that matches, or assert that none arrives within a while.
 */
import { connectAsync, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  text: string;
  retain: boolean;
  json(): any;
}

export interface Observer extends AsyncDisposable {
  client: MqttClient;
  messages: Received[];
  /** The first message not yet taken that matches; waits up to `timeoutMs`. */
  take(match: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Shorthand: the next message on exactly `topic`. */
  next(topic: string, timeoutMs?: number): Promise<Received>;
  /** Fails when a matching message arrives within `ms`. */
  none(match: (m: Received) => boolean, ms?: number): Promise<void>;
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export async function observe(url: string, topics: string[]): Promise<Observer> {
  const client = await connectAsync(url, { reconnectPeriod: 200 });
  const messages: Received[] = [];
  const taken = new Set<Received>();
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString('utf8');
    messages.push({ topic, text, retain: packet.retain, json: () => JSON.parse(text) });
    for (const wake of waiters) wake();
  });
  if (topics.length > 0) await client.subscribeAsync(topics);

  const find = (match: (m: Received) => boolean): Received | undefined =>
    messages.find((m) => !taken.has(m) && match(m));

  const take = async (match: (m: Received) => boolean, timeoutMs = 3000): Promise<Received> => {
    const found = find(match);
    if (found) {
      taken.add(found);
      return found;
    }
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        const hit = find(match);
        if (!hit) return;
        taken.add(hit);
        finish();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        finish();
        const seen = messages.map((m) => `${m.topic} ${m.text.slice(0, 160)}`).join('\n');
        reject(new Error(`no matching MQTT message within ${timeoutMs} ms; seen:\n${seen}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      waiters.add(wake);
    });
  };

  const close = async (): Promise<void> => {
    await client.endAsync(true);
  };
  return {
    client,
    messages,
    take,
    next: (topic, timeoutMs) => take((m) => m.topic === topic, timeoutMs),
    none: async (match, ms = 300) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      const hit = find(match);
      if (hit) throw new Error(`unexpected MQTT message ${hit.topic} ${hit.text}`);
    },
    publish: async (topic, payload) => {
      await client.publishAsync(topic, payload);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
