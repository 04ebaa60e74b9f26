import { FormatError } from '../../util/errors.ts';

/**
 * Which global part ids belong to which object category: part-segmentation mIoU of a shape is
 * averaged over its own category's parts only. Where a table comes from (`source`):
 *  - `json`: a `part_table.json` in the data set root (written by the synth-seg generator; any
 *    data set can carry one);
 *  - `standard`: the 16 categories / 50 parts of ShapeNetPart, used when every category of the
 *    data set is a standard one (same name and synset);
 *  - `data`: otherwise, the part ids that occur in each category's files.
 */
export interface PartCategoryInfo {
  name: string;
  synset?: string;
  /** Global part ids, ascending. */
  parts: readonly number[];
  partNames?: readonly string[];
}

export interface PartTable {
  categories: readonly PartCategoryInfo[];
  /** One more than the largest part id: the width of a per-point classifier. */
  partCount: number;
  source: 'json' | 'standard' | 'data';
}

/**
 * ShapeNetPart (shapenetcore_partanno_segmentation_benchmark_v0_normal): category, synset and how
 * many parts, in the order that numbers the parts 0–49. Part names are left out: the releases do not
 * agree on their order within a category.
 */
const STANDARD: readonly [name: string, synset: string, partCount: number][] = [
  ['Airplane', '02691156', 4],
  ['Bag', '02773838', 2],
  ['Cap', '02954340', 2],
  ['Car', '02958343', 4],
  ['Chair', '03001627', 4],
  ['Earphone', '03261776', 3],
  ['Guitar', '03467517', 3],
  ['Knife', '03624134', 2],
  ['Lamp', '03636649', 4],
  ['Laptop', '03642806', 2],
  ['Motorbike', '03790512', 6],
  ['Mug', '03797390', 2],
  ['Pistol', '03948459', 3],
  ['Rocket', '04099429', 3],
  ['Skateboard', '04225987', 3],
  ['Table', '04379243', 3],
];

/** The standard ShapeNetPart table: Airplane 0–3, Bag 4–5, …, Table 47–49. */
export const SHAPENET_PART_TABLE: PartTable = (() => {
  let next = 0;
  const categories = STANDARD.map(([name, synset, partCount]) => ({ name, synset, parts: Array.from({ length: partCount }, () => next++) }));
  return { categories, partCount: next, source: 'standard' as const };
})();

/** The standard table restricted to the given categories (in that order), or undefined if one is not standard. */
export function standardPartTable(categories: readonly { name: string; synset: string }[]): PartTable | undefined {
  const picked: PartCategoryInfo[] = [];
  for (const category of categories) {
    const standard = SHAPENET_PART_TABLE.categories.find((entry) => entry.synset === category.synset && entry.name.toLowerCase() === category.name.toLowerCase());
    if (!standard) return undefined;
    picked.push(standard);
  }
  return { categories: picked, partCount: SHAPENET_PART_TABLE.partCount, source: 'standard' };
}

/**
 * Reads `part_table.json`: `{"categories": [{"name", "synset"?, "parts": [ids], "partNames"?}]}`
 * or the PointNet++ style `{"Airplane": [0, 1, 2, 3], …}`. The returned table lists the data set's
 * categories in its own order; a category missing from the json is an error.
 */
export function parsePartTableJson(text: string, file: string, categories: readonly { name: string; synset: string }[]): PartTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FormatError(file, `not valid JSON (${(error as Error).message})`);
  }
  const entries = new Map<string, PartCategoryInfo>();
  if (isRecord(json) && Array.isArray(json.categories)) {
    for (const [index, entry] of json.categories.entries()) {
      if (!isRecord(entry) || typeof entry.name !== 'string' || !isIdList(entry.parts)) {
        throw new FormatError(file, `categories[${index}] needs a "name" string and a "parts" list of non-negative integers`);
      }
      const info: PartCategoryInfo = { name: entry.name, parts: [...entry.parts].sort((a, b) => a - b) };
      if (typeof entry.synset === 'string') info.synset = entry.synset;
      if (Array.isArray(entry.partNames) && entry.partNames.every((name) => typeof name === 'string')) info.partNames = entry.partNames as string[];
      entries.set(entry.name.toLowerCase(), info);
    }
  } else if (isRecord(json)) {
    for (const [name, parts] of Object.entries(json)) {
      if (!isIdList(parts)) throw new FormatError(file, `"${name}" must map to a list of non-negative integer part ids`);
      entries.set(name.toLowerCase(), { name, parts: [...parts].sort((a, b) => a - b) });
    }
  } else {
    throw new FormatError(file, 'expected an object mapping categories to part ids');
  }
  const ordered = categories.map((category) => {
    const info = entries.get(category.name.toLowerCase());
    if (!info) throw new FormatError(file, `no parts listed for category '${category.name}'`);
    return { ...info, synset: category.synset };
  });
  return { categories: ordered, partCount: partCountOf(ordered), source: 'json' };
}

/** A table from the part ids seen in each category's files. */
export function partTableFromData(categories: readonly { name: string; synset: string }[], seen: readonly Set<number>[]): PartTable {
  const ordered = categories.map((category, index) => ({ ...category, parts: [...seen[index]!].sort((a, b) => a - b) }));
  return { categories: ordered, partCount: partCountOf(ordered), source: 'data' };
}

/** The JSON form `parsePartTableJson` reads. */
export function partTableToJson(table: PartTable): string {
  return `${JSON.stringify({ categories: table.categories }, null, 2)}\n`;
}

function partCountOf(categories: readonly PartCategoryInfo[]): number {
  return categories.reduce((max, category) => Math.max(max, ...category.parts.map((part) => part + 1)), 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((id) => Number.isInteger(id) && id >= 0);
}
