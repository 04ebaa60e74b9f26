/**
 * Layer-name patterns: `*` matches any run of characters (dots included), `?` one character, the
 * rest literally; the whole name must match. `encoder*.linear` matches `encoder1.0.linear` and
 * `encoder2.2.linear`; `head.*` every layer of the head; `*` every layer.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function matchesGlob(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}
