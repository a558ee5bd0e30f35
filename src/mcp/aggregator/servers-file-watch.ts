/**
 * Watches the servers file and hands every new valid version to `onLoad` (the caller then
 * runs `aggregator.reload`). The folder is watched, not the file, because editors save by
 * writing a new file and renaming it over the old one; bursts of events are debounced. A
 * version that cannot be read or parsed goes to `onError` and the running servers stay as
 * they are.
 */
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadServersFile, type ServersFile } from './servers-file.ts';

export interface ServersFileWatch {
  close(): void;
}

export function watchServersFile(
  path: string,
  handlers: {
    onLoad: (file: ServersFile) => void | Promise<void>;
    onError: (error: unknown) => void;
    debounceMs?: number;
    env?: NodeJS.ProcessEnv;
  },
): ServersFileWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const load = (): void => {
    // One load at a time, in order: a slow reload is never overtaken by the next one.
    running = running.then(async () => {
      try {
        await handlers.onLoad(await loadServersFile(path, handlers.env));
      } catch (error) {
        handlers.onError(error);
      }
    });
  };
  const watcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name) return;
    clearTimeout(timer);
    timer = setTimeout(load, handlers.debounceMs ?? 200);
  });
  watcher.on('error', handlers.onError);
  return {
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
