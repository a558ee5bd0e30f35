import type { ChatProvider } from '../adapters/provider.ts';
import type { HearthConfig, ProfileConfig } from '../common/config/schema.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';

export const setupHint =
  'No AI provider is configured yet. Add one under `providers` and a profile under `profiles` in config.yaml ' +
  '(see config.example.yaml), for example an Ollama, llama.cpp or LM Studio server as kind openai-compatible, then restart Hearth.';

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
}

export interface ProfileSummary {
  id: string;
  label: string;
  model: string;
  provider: string;
}

/** Turns a requested profile id (or none) into a profile and its provider, from the live config. */
export class ProfileResolver {
  readonly #config: () => HearthConfig;
  readonly #providers: () => ReadonlyMap<string, ChatProvider>;

  constructor(options: {
    config: () => HearthConfig;
    providers: () => ReadonlyMap<string, ChatProvider>;
  }) {
    this.#config = options.config;
    this.#providers = options.providers;
  }

  /**
   * `requested` must exist when given; `remembered` (the conversation's last profile) is used
   * when it still exists, else the default profile, else the first one.
   */
  resolve(requested: string | undefined, remembered: string | null | undefined): ResolvedProfile {
    const config = this.#config();
    const ids = Object.keys(config.profiles);
    if (ids.length === 0) throw new HearthError(ErrorCode.noProvider, setupHint);
    if (requested !== undefined && !Object.hasOwn(config.profiles, requested)) {
      throw new HearthError(
        ErrorCode.unknownProfile,
        `No profile "${requested}"; known profiles: ${ids.join(', ')}`,
      );
    }
    const candidates = [requested, remembered ?? undefined, config.defaultProfile, ids[0]];
    const id = candidates.find(
      (c): c is string => c !== undefined && Object.hasOwn(config.profiles, c),
    ) as string;
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
    return { id, profile, choices };
  }

  list(): ProfileSummary[] {
    return Object.entries(this.#config().profiles).map(([id, p]) => ({
      id,
      label: p.label ?? id,
      model: p.model,
      provider: p.provider,
    }));
  }

  defaultProfile(): string | undefined {
    const config = this.#config();
    return config.defaultProfile ?? Object.keys(config.profiles)[0];
  }
}
