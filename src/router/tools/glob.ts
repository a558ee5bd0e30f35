/**
 * Whether a name matches any of the patterns, where `*` stands for any run of characters and
 * `?` for one. Patterns are whole-name matches: `hearth__*` matches `hearth__clock`.
 */
export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => toRegExp(pattern).test(name));
}

const cache = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
  let regexp = cache.get(pattern);
  if (!regexp) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regexp = new RegExp(`^${body}$`);
    cache.set(pattern, regexp);
  }
  return regexp;
}
