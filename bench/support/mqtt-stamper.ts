/**
 * A second process that publishes device state the way Zigbee2MQTT does (`<base>/<name>`,
 * JSON, not retained), each message stamped with its publish time in `bench_t`:
 *
 *   node bench/support/mqtt-stamper.ts <url> <base> <perSecond> <seconds> <name>...
 *
 * Messages go out in batches every 5 ms to hold the rate; it prints `done <count>` and exits.
 */
import { connectAsync } from 'mqtt';
import { now } from './stats.ts';

const [url, base, perSecondText, secondsText, ...names] = process.argv.slice(2);
const perSecond = Number(perSecondText);
const seconds = Number(secondsText);
const client = await connectAsync(url as string, { clientId: `stamper_${process.pid}` });
// Latency is what is measured: do not let Nagle pair small packets.
(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

const started = performance.now();
const total = Math.round(perSecond * seconds);
let sent = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
    for (; sent < due; sent++) {
      const name = names[sent % names.length] as string;
      const payload = JSON.stringify({ linkquality: 100 + (sent % 50), bench_t: now() });
      client.publish(`${base}/${name}`, payload);
    }
    if (sent >= total) {
      clearInterval(timer);
      resolve();
    }
  }, 5);
});
await client.endAsync();
process.stdout.write(`done ${sent}\n`);
