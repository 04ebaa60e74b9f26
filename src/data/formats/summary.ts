import type { PointFileSummary } from './point-file.ts';
import type { PointFile } from './read-point-file.ts';
import { pointFileLoader } from './registry.ts';

export { boundingBox, type PointFileSummary, type PropertySummary } from './point-file.ts';

/** What `bitpoint inspect` reports about a file (see `PointFileSummary`), by the file's own loader. */
export function summarizePointFile(file: PointFile): PointFileSummary {
  return pointFileLoader(file.format).summarize(file);
}
