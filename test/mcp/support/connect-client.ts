/**
 * Connects the official MCP client to an endpoint URL over Streamable HTTP, as a 2025-era
 * client (`legacy`: initialize handshake, real session) or a 2026-07-28 one (`modern`).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export type Era = 'legacy' | 'modern';

export interface ConnectedClient extends AsyncDisposable {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

export async function connectClient(
  url: string,
  options: { era: Era; token?: string },
): Promise<ConnectedClient> {
  const client = new Client(
    { name: 'hearth-endpoint-test', version: '1.0.0' },
    {
      capabilities: {},
      versionNegotiation: { mode: options.era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } },
    },
  );
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  const dispose = async (): Promise<void> => {
    // A polite 2025 client ends its session; a 2026 one has none.
    if (transport.sessionId !== undefined)
      await transport.terminateSession().catch(() => undefined);
    await client.close();
  };
  return { client, transport, [Symbol.asyncDispose]: dispose };
}
