import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.ts';
import { LiveConfig, type ConfigChange } from './live-config.ts';
import { OverlayStore } from './overlay-store.ts';

const fileRaw = {
  providers: { local: { kind: 'ollama' } },
  profiles: { chat: { provider: 'local', model: 'llama3.2' } },
};

function setup(db = openDatabase({ memory: true })) {
  const live = new LiveConfig({ fileRaw, overlays: new OverlayStore(db), cwd: '/srv' });
  const changes: ConfigChange[] = [];
  live.onChange((change) => changes.push(change));
  return { live, changes, db };
}

describe('LiveConfig', () => {
  it('applies validated API patches over the file and tells its listeners', () => {
    const { live, changes } = setup();
    live.patch({
      profiles: { kids: { provider: 'local', model: 'qwen3', system: 'Be kind.' } },
      defaultProfile: 'kids',
    });
    expect(live.current.profiles.kids).toMatchObject({ model: 'qwen3', maxToolRounds: 8 });
    expect(live.current.defaultProfile).toBe('kids');
    expect(changes.map((c) => [c.version, c.source])).toEqual([[2, 'api']]);
    live.patch({ profiles: { chat: { model: 'llama3.3' } } });
    expect(live.current.profiles.chat?.model).toBe('llama3.3');
    live.patch({ profiles: { kids: null }, defaultProfile: null });
    expect(Object.keys(live.current.profiles)).toEqual(['chat']);
  });

  it('refuses a patch that would make the config invalid, keeping the running one', () => {
    const { live, changes } = setup();
    expect(() => live.patch({ profiles: { bad: { provider: 'nowhere', model: 'x' } } })).toThrow(
      /profiles\.bad\.provider/,
    );
    expect(() => live.patch({ limits: { messagesPerSecond: -1 } })).toThrow(
      /limits\.messagesPerSecond/,
    );
    expect(live.current.profiles.bad).toBeUndefined();
    expect(live.overlay()).toEqual({});
    expect(changes).toEqual([]);
  });

  it('keeps API changes across restarts and on top of a new file', () => {
    const db = openDatabase({ memory: true });
    setup(db).live.patch({ profiles: { chat: { temperature: 0.2 } } });
    const { live } = setup(db);
    expect(live.current.profiles.chat?.temperature).toBe(0.2);
    live.replaceFile(
      { ...fileRaw, profiles: { chat: { provider: 'local', model: 'mistral' } } },
      'config.yaml',
    );
    expect(live.current.profiles.chat).toMatchObject({ model: 'mistral', temperature: 0.2 });
    expect(() => live.replaceFile({ providers: 'nope' }, 'config.yaml')).toThrow(
      /config\.yaml.*providers/,
    );
    expect(live.current.profiles.chat?.model).toBe('mistral');
  });
});
