/**
 * The PLY data model: a file is a list of elements (vertex, face, or anything else), each with a
 * count and typed properties; a property is a scalar column or a list per record. Values are kept
 * in typed arrays of the declared type, so reading and writing loses nothing.
 */

export type PlyFormat = 'ascii' | 'binary_little_endian' | 'binary_big_endian';

/** Sized type names; the classic names (`char`, `uchar`, `float`, …) map onto these. */
export type PlyScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export type PlyTypedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface PlyScalarProperty {
  kind: 'scalar';
  name: string;
  type: PlyScalarType;
  /** One value per record of the element. */
  values: PlyTypedArray;
}

export interface PlyListProperty {
  kind: 'list';
  name: string;
  /** Integer type of the per-record item count. */
  countType: PlyScalarType;
  itemType: PlyScalarType;
  /** Record i's items are values[offsets[i] .. offsets[i + 1]); length = count + 1. */
  offsets: Uint32Array;
  values: PlyTypedArray;
}

export type PlyProperty = PlyScalarProperty | PlyListProperty;

export interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

export interface PlyData {
  format: PlyFormat;
  comments: string[];
  /** `obj_info` lines, kept apart from comments as the format does. */
  objInfo: string[];
  elements: PlyElement[];
}

export interface PlyScalarTypeInfo {
  bytes: number;
  integer: boolean;
  min: number;
  max: number;
  /** The classic (1994) name, which every PLY reader knows. */
  classicName: string;
  create(length: number): PlyTypedArray;
}

export const PLY_TYPES: Readonly<Record<PlyScalarType, PlyScalarTypeInfo>> = {
  int8: { bytes: 1, integer: true, min: -128, max: 127, classicName: 'char', create: (n) => new Int8Array(n) },
  uint8: { bytes: 1, integer: true, min: 0, max: 255, classicName: 'uchar', create: (n) => new Uint8Array(n) },
  int16: { bytes: 2, integer: true, min: -32768, max: 32767, classicName: 'short', create: (n) => new Int16Array(n) },
  uint16: { bytes: 2, integer: true, min: 0, max: 65535, classicName: 'ushort', create: (n) => new Uint16Array(n) },
  int32: { bytes: 4, integer: true, min: -2147483648, max: 2147483647, classicName: 'int', create: (n) => new Int32Array(n) },
  uint32: { bytes: 4, integer: true, min: 0, max: 4294967295, classicName: 'uint', create: (n) => new Uint32Array(n) },
  float32: { bytes: 4, integer: false, min: -Infinity, max: Infinity, classicName: 'float', create: (n) => new Float32Array(n) },
  float64: { bytes: 8, integer: false, min: -Infinity, max: Infinity, classicName: 'double', create: (n) => new Float64Array(n) },
};

const TYPE_BY_NAME: ReadonlyMap<string, PlyScalarType> = new Map<string, PlyScalarType>([
  ...(Object.keys(PLY_TYPES) as PlyScalarType[]).map((type) => [type, type] as const),
  ...(Object.keys(PLY_TYPES) as PlyScalarType[]).map((type) => [PLY_TYPES[type].classicName, type] as const),
]);

/** The sized type for a header type name (classic or sized), or undefined if unknown. */
export function plyTypeFromName(name: string): PlyScalarType | undefined {
  return TYPE_BY_NAME.get(name);
}

/** The typed array of a property's type holding `values` (copied). */
export function plyTypedArray(type: PlyScalarType, values: ArrayLike<number>): PlyTypedArray {
  const array = PLY_TYPES[type].create(values.length);
  array.set(values);
  return array;
}

/** A list property from one array of items per record (convenient for writing). */
export function plyList(name: string, countType: PlyScalarType, itemType: PlyScalarType, lists: readonly ArrayLike<number>[]): PlyListProperty {
  const offsets = new Uint32Array(lists.length + 1);
  for (let i = 0; i < lists.length; i++) offsets[i + 1] = offsets[i]! + lists[i]!.length;
  const values = PLY_TYPES[itemType].create(offsets[lists.length]!);
  for (let i = 0; i < lists.length; i++) values.set(lists[i]!, offsets[i]!);
  return { kind: 'list', name, countType, itemType, offsets, values };
}

/** A scalar property (values copied into the array of its type). */
export function plyScalar(name: string, type: PlyScalarType, values: ArrayLike<number>): PlyScalarProperty {
  return { kind: 'scalar', name, type, values: plyTypedArray(type, values) };
}

/** Finds an element by name. */
export function plyElement(data: PlyData, name: string): PlyElement | undefined {
  return data.elements.find((element) => element.name === name);
}

/** Finds a property of an element by name. */
export function plyProperty(element: PlyElement, name: string): PlyProperty | undefined {
  return element.properties.find((property) => property.name === name);
}
