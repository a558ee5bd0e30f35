import type { ImageProvider } from '../adapters/image-provider.ts';
import type { ChatProvider } from '../adapters/provider.ts';
import { isImageKind, type HearthConfig, type ProfileConfig } from '../common/config/schema.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import { defaultContextTokens } from './context-budget.ts';

export const setupHint =
  'No chat provider is configured yet (and no local Ollama answered). Add one under `providers` and a profile under `profiles` ' +
  'in config.yaml (see config.example.yaml), for example an Ollama, llama.cpp or LM Studio server, then restart Hearth.';

/** One provider and model to try for a turn. */
export interface ProviderChoice {
  provider: ChatProvider;
  model: string;
}

export interface ResolvedProfile {
  id: string;
  profile: ProfileConfig;
  /** The profile's own provider first, then its fallbacks, in order. */
  choices: ProviderChoice[];
  /**
   * The context window to fit the history in: the profile's `contextTokens`, else the smallest
   * default of its providers' kinds (a fallback must take the same request).
   */
  contextTokens: number;
}

export interface ResolvedImageProfile {
  id: string;
  profile: ProfileConfig;
  provider: ImageProvider;
}

export interface ProfileSummary {
  id: string;
  label: string;
  model: string;
  provider: string;
  /** `chat` profiles answer chat.send; `image` profiles answer image.generate. */
  kind: 'chat' | 'image';
}

/**
 * The window a profile's history is fitted to: its `contextTokens`; else the smallest default
 * of its providers' kinds (a fallback takes the same request), raised to twice its `maxTokens`,
 * since a profile that asks for replies that long runs on a server set up for more.
 */
export function contextTokensOf(config: HearthConfig, profile: ProfileConfig): number {
  if (profile.contextTokens !== undefined) return profile.contextTokens;
  const defaults = [profile.provider, ...profile.fallback.map((f) => f.provider)].map((id) => {
    const kind = config.providers[id]?.kind;
    return kind && !isImageKind(kind) ? defaultContextTokens[kind] : Infinity;
  });
  return Math.max(Math.min(...defaults), 2 * (profile.maxTokens ?? 0));
}

/** Turns a requested profile id (or none) into a profile and its providers, from the live config. */
export class ProfileResolver {
  readonly #config: () => HearthConfig;
  readonly #providers: () => ReadonlyMap<string, ChatProvider>;
  readonly #imageProviders: () => ReadonlyMap<string, ImageProvider>;

  constructor(options: {
    config: () => HearthConfig;
    providers: () => ReadonlyMap<string, ChatProvider>;
    imageProviders?: () => ReadonlyMap<string, ImageProvider>;
  }) {
    this.#config = options.config;
    this.#providers = options.providers;
    this.#imageProviders = options.imageProviders ?? (() => new Map());
  }

  #ids(kind: 'chat' | 'image'): string[] {
    const config = this.#config();
    return Object.entries(config.profiles)
      .filter(
        ([, p]) => isImageKind(config.providers[p.provider]?.kind ?? '') === (kind === 'image'),
      )
      .map(([id]) => id);
  }

  #pick(
    kind: 'chat' | 'image',
    requested: string | undefined,
    fallbacks: Array<string | null | undefined>,
  ): string {
    const ids = this.#ids(kind);
    if (
      requested !== undefined &&
      !ids.includes(requested) &&
      Object.hasOwn(this.#config().profiles, requested)
    ) {
      const [is, use] = kind === 'chat' ? ['an image', 'image.generate'] : ['a chat', 'chat.send'];
      throw new HearthError(
        ErrorCode.unknownProfile,
        `Profile "${requested}" is ${is} profile; use ${use} with it`,
      );
    }
    if (ids.length === 0) {
      throw new HearthError(
        ErrorCode.noProvider,
        kind === 'chat'
          ? setupHint
          : 'No image provider is configured: add an openai-images or automatic1111 provider and a profile for it.',
      );
    }
    if (requested !== undefined && !ids.includes(requested)) {
      throw new HearthError(
        ErrorCode.unknownProfile,
        `No profile "${requested}"; known ${kind} profiles: ${ids.join(', ')}`,
      );
    }
    return [requested, ...fallbacks, ids[0]].find(
      (c): c is string => typeof c === 'string' && ids.includes(c),
    ) as string;
  }

  /**
   * `requested` must be a chat profile when given; `remembered` (the conversation's last
   * profile) is used when it still exists, else the default profile, else the first one.
   */
  resolve(requested: string | undefined, remembered: string | null | undefined): ResolvedProfile {
    const config = this.#config();
    const id = this.#pick('chat', requested, [remembered, config.defaultProfile]);
    const profile = config.profiles[id] as ProfileConfig;
    const providers = this.#providers();
    const choices = [{ provider: profile.provider, model: profile.model }, ...profile.fallback].map(
      (entry) => {
        const provider = providers.get(entry.provider);
        if (!provider) {
          throw new HearthError(
            ErrorCode.noProvider,
            `Profile "${id}" names provider "${entry.provider}", which is not running`,
          );
        }
        return { provider, model: entry.model };
      },
    );
    return { id, profile, choices, contextTokens: contextTokensOf(config, profile) };
  }

  resolveImage(requested: string | undefined): ResolvedImageProfile {
    const config = this.#config();
    const id = this.#pick('image', requested, [config.defaultImageProfile]);
    const profile = config.profiles[id] as ProfileConfig;
    const provider = this.#imageProviders().get(profile.provider);
    if (!provider) {
      throw new HearthError(
        ErrorCode.noProvider,
        `Profile "${id}" names provider "${profile.provider}", which is not running`,
      );
    }
    return { id, profile, provider };
  }

  list(): ProfileSummary[] {
    const config = this.#config();
    return Object.entries(config.profiles).map(([id, p]) => ({
      id,
      label: p.label ?? id,
      model: p.model,
      provider: p.provider,
      kind: isImageKind(config.providers[p.provider]?.kind ?? '') ? 'image' : 'chat',
    }));
  }

  /** Whether any chat profile exists; clients without one are told how to configure it. */
  hasChat(): boolean {
    return this.#ids('chat').length > 0;
  }

  defaultProfile(): string | undefined {
    const config = this.#config();
    return config.defaultProfile ?? this.#ids('chat')[0];
  }

  defaultImageProfile(): string | undefined {
    return this.#config().defaultImageProfile ?? this.#ids('image')[0];
  }
}
