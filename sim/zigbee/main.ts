/**
 * Runs the Zigbee2MQTT bridge simulator against a broker, for demos and manual testing:
 *
 *   node sim/zigbee/main.ts --url mqtt://127.0.0.1:1883 --base zigbee2mqtt --devices 40
 *
 * Options: --url, --base, --devices N, --tick MS (sensor readings, default 10000, 0 = off),
 * --rate N (state updates per second, for load), --availability, --last-seen epoch|ISO_8601.
 * Ctrl-C publishes `bridge/state` offline (retained), as a stopping Zigbee2MQTT does, and exits.
 */
import { parseArgs } from 'node:util';
import { startBridgeSimulator } from './simulator.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    base: { type: 'string', default: 'zigbee2mqtt' },
    devices: { type: 'string' },
    tick: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '0' },
    availability: { type: 'boolean', default: false },
    'last-seen': { type: 'string', default: 'disable' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: node sim/zigbee/main.ts [--url mqtt://host:1883] [--base zigbee2mqtt] [--devices N]\n' +
      '       [--tick MS] [--rate N] [--availability] [--last-seen epoch|ISO_8601]',
  );
  process.exit(0);
}

const lastSeen = values['last-seen'];
if (lastSeen !== 'disable' && lastSeen !== 'epoch' && lastSeen !== 'ISO_8601') {
  throw new Error(`--last-seen must be disable, epoch or ISO_8601, not ${lastSeen}`);
}
const sim = await startBridgeSimulator({
  url: values.url,
  baseTopic: values.base,
  devices: values.devices === undefined ? undefined : Number(values.devices),
  availability: values.availability,
  lastSeen,
});
console.log(
  `zigbee simulator: ${sim.home.devices.length} devices, ${sim.home.groups.length} group(s) ` +
    `on ${values.url} under '${values.base}/'`,
);
for (const device of sim.home.devices.slice(0, 20)) {
  console.log(`  ${device.name}  (${device.definition.vendor} ${device.definition.model})`);
}

const tickMs = Number(values.tick);
const ticker = tickMs > 0 ? setInterval(() => void sim.tick(), tickMs) : undefined;
const rate = Number(values.rate);
const stopStream = rate > 0 ? sim.startStateStream(rate) : undefined;

const shutdown = async (): Promise<void> => {
  clearInterval(ticker);
  stopStream?.();
  await sim.goOffline();
  await sim.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
