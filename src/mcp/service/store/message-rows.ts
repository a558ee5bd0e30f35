import type { ContentPart, MessageStatus, MessageView } from '../../../common/protocol.ts';

/** A row of the `messages` table as node:sqlite returns it. */
export interface MessageRow {
  id: string;
  turn_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  profile: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
}

export function toMessage(row: MessageRow): MessageView {
  return {
    id: row.id,
    turnId: row.turn_id,
    role: row.role,
    content: JSON.parse(row.content) as ContentPart[],
    status: row.status,
    profile: row.profile,
    model: row.model,
    usage:
      row.input_tokens === null || row.output_tokens === null
        ? null
        : { inputTokens: row.input_tokens, outputTokens: row.output_tokens },
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    createdAt: row.created_at,
  };
}
