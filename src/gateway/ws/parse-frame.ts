import { ErrorCode, HearthError } from '../../common/errors.ts';
import {
  clientFrameSchemas,
  isClientFrameType,
  type ClientFrame,
  type RequestId,
} from '../../common/protocol.ts';
import { plainChatSend } from './plain-chat-send.ts';

export type ParsedFrame =
  { ok: true; frame: ClientFrame } | { ok: false; id: RequestId; error: HearthError };

function idOf(value: Record<string, unknown>): RequestId {
  const id = value.id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** Turns one WebSocket text frame into a validated client frame, or a stable error. */
export function parseFrame(data: Buffer, isBinary: boolean): ParsedFrame {
  if (isBinary) {
    return {
      ok: false,
      id: undefined,
      error: new HearthError(ErrorCode.badJson, 'Frames must be JSON text, not binary'),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return {
      ok: false,
      id: undefined,
      error: new HearthError(ErrorCode.badJson, 'The frame is not valid JSON'),
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      id: undefined,
      error: new HearthError(ErrorCode.badRequest, 'A frame must be a JSON object'),
    };
  }
  const record = value as Record<string, unknown>;
  const id = idOf(record);
  const type = record.type;
  if (typeof type !== 'string') {
    return {
      ok: false,
      id,
      error: new HearthError(ErrorCode.badRequest, 'A frame needs a string "type"'),
    };
  }
  if (!isClientFrameType(type)) {
    return {
      ok: false,
      id,
      error: new HearthError(ErrorCode.unknownType, `Unknown frame type "${type.slice(0, 40)}"`),
    };
  }
  // The frame that starts a turn, checked without zod when it is plainly valid.
  const plain = type === 'chat.send' ? plainChatSend(record) : undefined;
  if (plain) return { ok: true, frame: plain };
  const parsed = clientFrameSchemas[type].safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return {
      ok: false,
      id,
      error: new HearthError(
        ErrorCode.badRequest,
        `Invalid ${type}: ${where}${issue?.message ?? 'bad shape'}`,
      ),
    };
  }
  return { ok: true, frame: parsed.data };
}
