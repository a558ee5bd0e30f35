import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, HearthError, toHearthError } from '../../common/errors.ts';

/** Every HTTP error leaves as `{error: {code, message}}` with the status its code maps to. */
export function sendHttpError(reply: FastifyReply, error: HearthError): FastifyReply {
  return reply.status(error.httpStatus).send({ error: error.toWire() });
}

function fromFastify(error: FastifyError): HearthError | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new HearthError(ErrorCode.payloadTooLarge, 'The request body is too large');
  if (
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
  ) {
    return new HearthError(ErrorCode.badJson, 'The request body is not valid JSON');
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new HearthError(ErrorCode.badRequest, 'Unsupported content type; send application/json');
  }
  if (error.validation) return new HearthError(ErrorCode.badRequest, error.message);
  return undefined;
}

export function httpErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const failure = fromFastify(error) ?? toHearthError(error);
  if (failure.unhandled) request.log.error({ err: error }, 'request failed');
  return sendHttpError(reply, failure);
}
