/**
 * An MQTT broker inside Hearth (aedes over `node:net`), for homes without one: Zigbee2MQTT
 * can point at Hearth itself. Off by default. No persistence beyond memory: retained topics
 * live as long as the process. Known quirk of aedes 1.2.0 (see embedded-broker.test.ts): a
 * retained message followed at once by a plain one may be missing from live delivery, which
 * is why the adapter never depends on live delivery of retained topics.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../../common/logger.ts';

export interface EmbeddedBroker {
  /** `mqtt://<host>:<port>` (the real port when 0 was asked). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts aedes on `host:port` (0 picks a free port); `close()` stops it and its clients. */
export async function startEmbeddedBroker(options: {
  host: string;
  port: number;
  logger?: Logger;
}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  aedes.on('clientError', (client, error) =>
    options.logger?.debug({ client: client.id, err: error.message }, 'mqtt broker: client error'),
  );
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // The URL is for clients on this machine: a wildcard address is reached over loopback.
  const local =
    options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host;
  const host = local.includes(':') ? `[${local}]` : local;
  options.logger?.info({ host: options.host, port }, 'mqtt broker: listening');
  let closed = false;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    async close() {
      if (closed) return;
      closed = true;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await serverClosed;
    },
  };
}
