/** PLY on its own (what the viewer needs), without the other formats' dependencies. */
export { parsePly } from './read.ts';
export { parsePlyHeader, type PlyHeader, type PlyElementSpec, type PlyPropertySpec } from './header.ts';
export { writePly, type PlyWriteData, type PlyWriteElement, type PlyWriteOptions, type PlyWriteProperty } from './write.ts';
export { plyToPointCloud, plyToMesh, pointCloudToPly, writePointCloudPly, type PointCloudPlyOptions } from './point-cloud.ts';
export {
  PLY_TYPES,
  plyElement,
  plyList,
  plyProperty,
  plyScalar,
  plyTypeFromName,
  plyTypedArray,
  type PlyData,
  type PlyElement,
  type PlyFormat,
  type PlyListProperty,
  type PlyProperty,
  type PlyScalarProperty,
  type PlyScalarType,
  type PlyTypedArray,
} from './types.ts';
