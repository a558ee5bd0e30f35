import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` (debounced) when the config file changes on disk. The directory is watched,
 * not the file, because editors save by writing a new file and renaming it over the old one,
 * which ends a watch on the file itself.
 */
export function watchConfigFile(options: {
  file: string;
  onChange: () => void;
  debounceMs?: number;
}): { close(): void } {
  const name = basename(options.file);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(
    dirname(options.file),
    { persistent: false },
    (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(options.onChange, options.debounceMs ?? 150);
    },
  );
  watcher.on('error', () => undefined);
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
