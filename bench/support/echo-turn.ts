/**
 * The overhead benchmark's provider side, shared by its direct SDK client and its bare relay:
 * an `openai` client with the options Hearth's provider gives it
 * (src/adapters/openai/openai-provider.ts), and the request Hearth sends for a turn in a new
 * conversation (its system prompt and the user's text).
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';

export const echoSystemPrompt = 'You are a test.';

export function hearthLikeClient(baseURL: string): OpenAI {
  return new OpenAI({
    baseURL,
    apiKey: 'not-needed',
    organization: null,
    project: null,
    timeout: 120_000,
    maxRetries: 1,
  });
}

export function echoTurnRequest(text: string): ChatCompletionCreateParamsStreaming {
  return {
    model: 'test-model',
    messages: [
      { role: 'system', content: echoSystemPrompt },
      { role: 'user', content: text },
    ],
    stream: true,
    stream_options: { include_usage: true },
  };
}
