import type { SkippedEntry } from './dataset.ts';

/**
 * Split lists in the wild are untidy: Windows line ends, no final newline, blank lines, ids with or
 * without an extension, the same id twice. This turns one into a clean list of unique ids and
 * records every duplicate as skipped; checking that the files exist is the data set's job.
 */
export function parseSplitList(text: string, options: { stripExtensions?: readonly string[] } = {}): { ids: string[]; skipped: SkippedEntry[] } {
  return uniqueIds(nonEmptyLines(text), options);
}

/**
 * The trimmed, non-empty, non-`#` lines of a text, in order and with repeats: for name lists
 * (shape_names.txt) where the line number is the label, so nothing may be dropped.
 */
export function nonEmptyLines(text: string): string[] {
  return text.split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/** De-duplicates ids (keeping the first), stripping any of the given extensions first. */
export function uniqueIds(entries: readonly string[], options: { stripExtensions?: readonly string[] } = {}): { ids: string[]; skipped: SkippedEntry[] } {
  const extensions = options.stripExtensions ?? [];
  const seen = new Set<string>();
  const ids: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    const extension = extensions.find((ext) => entry.toLowerCase().endsWith(ext));
    const id = extension ? entry.slice(0, -extension.length) : entry;
    if (seen.has(id)) {
      skipped.push({ id, reason: 'duplicate' });
      continue;
    }
    seen.add(id);
    ids.push(id);
  }
  return { ids, skipped };
}

/**
 * One warning line for the skipped entries of a data set, e.g.
 * `modelnet40 train: skipped 3 of 12 entries (2 file missing, 1 duplicate), first: airplane_0099`.
 * Nothing is logged when nothing was skipped.
 */
export function reportSkipped(what: string, listed: number, skipped: readonly SkippedEntry[], log: (line: string) => void): void {
  if (skipped.length === 0) return;
  const counts = new Map<string, number>();
  for (const entry of skipped) {
    const kind = entry.reason.split(':')[0]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const summary = [...counts].map(([kind, count]) => `${count} ${kind}`).join(', ');
  log(`${what}: skipped ${skipped.length} of ${listed} entries (${summary}), first: ${skipped[0]!.id}; see dataset.skipped`);
}
