/**
 * Chat through the OpenAI Chat Completions API with the official SDK; also serves the
 * OpenAI-compatible local servers (llama.cpp, vLLM, LM Studio) given their `baseURL`.
 */
import { randomUUID } from 'node:crypto';
import OpenAI, { type ClientOptions } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import { openAIErrorToHearth } from './openai-errors.ts';
import type {
  ChatMessage,
  ChatProvider,
  ChatRequest,
  ProviderEvent,
  ProviderFinishReason,
  ToolCallRequest,
  ToolSpec,
} from '../provider.ts';

/** Local servers ignore the key but the SDK wants one to build its `authorization` header. */
const placeholderKey = 'not-needed';

export interface OpenAIChatProviderOptions {
  /** Hearth's provider id, used in error messages. */
  id: string;
  /** Defaults to `https://api.openai.com/v1`; OPENAI_BASE_URL in the environment is ignored. */
  baseURL?: string;
  /** Undefined for keyless local servers. */
  apiKey: string | undefined;
  /** Milliseconds to wait for the response headers of one attempt (one retry may follow). */
  timeoutMs: number;
  /**
   * Which request field carries `ChatRequest.maxTokens`. OpenAI deprecated `max_tokens` for
   * `max_completion_tokens` (the default), but many local servers only know `max_tokens`.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  /** A fetch to use instead of the global one. */
  fetch?: ClientOptions['fetch'];
}

/**
 * A ChatProvider over `POST /chat/completions` with `stream: true`.
 *
 * Events: `text` per non-empty content delta (refusal deltas are yielded as text too, so the
 * user sees why the model declined), `tool_call` per complete call, `usage` whenever a chunk
 * carries usage (asked for with `stream_options.include_usage`, tolerated when missing or
 * unasked), and one `finish` once the stream has ended. A stream that ends without a finish
 * reason fails as `provider_error`, and the tool calls it had begun are dropped.
 *
 * Tool calls stream as fragments keyed by `index`; they are assembled here and yielded whole,
 * in index order, when the finish chunk arrives (fragments that trail it, at stream end). The
 * arguments text is passed on as the model wrote it, even when it is not valid JSON.
 */
export class OpenAIChatProvider implements ChatProvider {
  readonly id: string;
  readonly #client: OpenAI;
  readonly #apiKey: string | undefined;
  readonly #maxTokensField: 'max_completion_tokens' | 'max_tokens';
  readonly #timeoutMs: number;

  constructor(options: OpenAIChatProviderOptions) {
    this.id = options.id;
    this.#apiKey = options.apiKey;
    this.#maxTokensField = options.maxTokensField ?? 'max_completion_tokens';
    this.#timeoutMs = options.timeoutMs;
    this.#client = new OpenAI({
      apiKey: options.apiKey ?? placeholderKey,
      // Explicit values so OPENAI_* variables in the environment never redirect or tag requests.
      baseURL: options.baseURL ?? 'https://api.openai.com/v1',
      organization: null,
      project: null,
      timeout: options.timeoutMs,
      maxRetries: 1,
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent> {
    const body: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: request.messages.map(toOpenAIMessage),
      stream: true,
      stream_options: { include_usage: true },
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.maxTokens !== undefined && { [this.#maxTokensField]: request.maxTokens }),
      ...(request.tools?.length && { tools: request.tools.map(toOpenAITool) }),
    };
    let finish: ProviderFinishReason | undefined;
    const calls = new ToolCallAssembler();
    let madeCalls = false;
    try {
      const chunks = await this.#client.chat.completions.create(body, { signal });
      for await (const chunk of chunks) {
        // Local servers send `choices: null` on the usage chunk, against the SDK's types.
        for (const choice of (chunk.choices as ChatCompletionChunk.Choice[] | null) ?? []) {
          if (choice.index !== 0) continue;
          // The hot path of every stream: no allocation for fields a chunk does not carry.
          const delta = choice.delta as ChatCompletionChunk.Choice.Delta | undefined;
          if (delta?.content) yield { type: 'text', text: delta.content };
          if (delta?.refusal) yield { type: 'text', text: delta.refusal };
          if (delta?.tool_calls) for (const part of delta.tool_calls) calls.add(part);
          if (choice.finish_reason) {
            finish = mapFinishReason(choice.finish_reason);
            for (const call of calls.take()) {
              madeCalls = true;
              yield { type: 'tool_call', call };
            }
          }
        }
        if (chunk.usage) {
          yield {
            type: 'usage',
            usage: {
              inputTokens: chunk.usage.prompt_tokens ?? 0,
              outputTokens: chunk.usage.completion_tokens ?? 0,
            },
          };
        }
      }
    } catch (error) {
      signal.throwIfAborted();
      throw this.#toHearthError(error);
    }
    // The SDK ends an aborted stream quietly instead of throwing.
    signal.throwIfAborted();
    if (finish === undefined) {
      throw new HearthError(
        ErrorCode.providerError,
        `Provider "${this.id}" ended its reply before finishing it.`,
      );
    }
    for (const call of calls.take()) {
      madeCalls = true;
      yield { type: 'tool_call', call };
    }
    // Some local servers (Ollama's OpenAI endpoint among them) say `stop` after tool calls.
    yield { type: 'finish', reason: madeCalls && finish === 'stop' ? 'tool_calls' : finish };
  }

  #toHearthError(error: unknown): HearthError {
    return openAIErrorToHearth(error, {
      id: this.id,
      apiKey: this.#apiKey,
      timeoutMs: this.#timeoutMs,
      what: 'reply',
    });
  }
}

function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI's own turns carry `content: null` next to tool calls when the model said nothing.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toOpenAITool(tool: ToolSpec): ChatCompletionFunctionTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
  };
}

interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Gathers streamed tool call fragments by `index`. Tolerates what local servers do: whole calls
 * in one chunk, no `id` (one is made up), no `index` (a fragment then continues the latest call,
 * unless it brings a different id, or a name while the latest call already has one).
 */
class ToolCallAssembler {
  readonly #calls = new Map<number, PartialCall>();
  #latest: number | undefined;

  add(part: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const index = this.#indexOf(part);
    let call = this.#calls.get(index);
    if (call === undefined) {
      call = { id: '', name: '', arguments: '' };
      this.#calls.set(index, call);
    }
    this.#latest = index;
    if (part.id && call.id === '') call.id = part.id;
    if (part.function?.name && call.name === '') call.name = part.function.name;
    call.arguments += part.function?.arguments ?? '';
  }

  /** The calls gathered so far, in index order, and forgets them. */
  take(): ToolCallRequest[] {
    const calls = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ ...call, id: call.id || `call_${randomUUID().replaceAll('-', '')}` }));
    this.#calls.clear();
    this.#latest = undefined;
    return calls;
  }

  #indexOf(part: ChatCompletionChunk.Choice.Delta.ToolCall): number {
    // The SDK types `index` as required; local servers do not always send it.
    const given = part.index as number | undefined;
    if (typeof given === 'number') return given;
    const latest = this.#latest === undefined ? undefined : this.#calls.get(this.#latest);
    if (this.#latest === undefined || latest === undefined) return 0;
    const otherId =
      part.id !== undefined && part.id !== '' && latest.id !== '' && part.id !== latest.id;
    const newName = !part.id && !!part.function?.name && latest.name !== '';
    return otherId || newName ? Math.max(...this.#calls.keys()) + 1 : this.#latest;
  }
}

function mapFinishReason(reason: string): ProviderFinishReason {
  switch (reason) {
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      // `stop`, and whatever else a local server invents for a natural end.
      return 'stop';
  }
}
