/**
 * Clips a value echoed in a message: an error line quotes what the user gave, and a 50 MB string
 * must not become a 50 MB line. Strings are clipped as they are, anything else as its JSON.
 *
 *   clip('x'.repeat(1000))   // 'xxx…xxx…' (80 characters and an ellipsis)
 */
export const CLIP_LENGTH = 80;

export function clip(value: unknown, length = CLIP_LENGTH): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  // one line: a newline in an echoed value would split the error message
  text = text.length > length * 4 ? text.slice(0, length * 4) : text;
  text = text.replace(/\r?\n/g, '\\n');
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
