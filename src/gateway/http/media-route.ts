import type { FastifyInstance } from 'fastify';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { TokenAuth } from '../auth/token-auth.ts';
import { sendHttpError } from './errors.ts';

/** What the media route needs: stored images by name. */
export interface MediaSource {
  get(name: string): Promise<{ data: Buffer; mediaType: string } | undefined>;
}

/**
 * `GET /media/<sha256>.<ext>`: generated images, for holders of a token (`Authorization:
 * Bearer <token>`). A browser page fetches them with the header and shows a blob URL. Names are
 * content hashes, so a response never changes and may be cached for good.
 */
export function registerMediaRoute(
  app: FastifyInstance,
  options: { auth: TokenAuth; media: MediaSource },
): void {
  app.get<{ Params: { name: string } }>('/media/:name', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (token === '' || !options.auth.verify(token)) {
      return sendHttpError(
        reply,
        new HearthError(
          ErrorCode.unauthorized,
          'Send a valid token as Authorization: Bearer <token>',
        ),
      );
    }
    const found = await options.media.get(request.params.name);
    if (!found) return sendHttpError(reply, new HearthError(ErrorCode.notFound, 'No such image'));
    return reply
      .header('content-type', found.mediaType)
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(found.data);
  });
}
