import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const staticDir = join(import.meta.dirname, '..', 'static');

const files: ReadonlyArray<{ route: string; file: string; type: string }> = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { route: '/conversations.js', file: 'conversations.js', type: 'text/javascript; charset=utf-8' },
  { route: '/devices.js', file: 'devices.js', type: 'text/javascript; charset=utf-8' },
  { route: '/panel.js', file: 'panel.js', type: 'text/javascript; charset=utf-8' },
  { route: '/mcp-servers.js', file: 'mcp-servers.js', type: 'text/javascript; charset=utf-8' },
  { route: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
];

/** Serves the web page's few files from memory, read once at start. */
export async function registerStaticFiles(app: FastifyInstance): Promise<void> {
  for (const entry of files) {
    const body = await readFile(join(staticDir, entry.file));
    app.get(entry.route, async (_request, reply) =>
      reply
        .header('content-type', entry.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header(
          'content-security-policy',
          "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:",
        )
        .send(body),
    );
  }
}
