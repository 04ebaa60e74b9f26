/**
 * File formats: pure parsers and writers over bytes (Node and browser). Reading from disk is in
 * `node-files.ts`, kept out of here so browser bundles never see node:fs.
 */
export * from './ply/index.ts';
export { parseOff, writeOff, type OffData, type WriteOffOptions } from './off.ts';
export { parsePointText, writePointText, type PointText, type WritePointTextOptions } from './txt.ts';
export { parseHdf5PointSets, hdf5Shape, hasHdf5Signature, type Hdf5PointSets, type Hdf5DatasetInfo } from './hdf5.ts';
export { parseIdx, decodeIdx, writeIdx, isGzip, IDX_TYPE_CODES, type IdxArray, type IdxType, type IdxTypedArray } from './idx.ts';
export { parsePcd, pcdToPointCloud, writePcd, writePointCloudPcd, hasPcdSignature, PCD_DATA_LIMIT, type PcdData, type PcdField, type PcdColumn, type PcdEncoding, type PcdWriteColumn, type PcdWriteOptions } from './pcd.ts';
export { lzfCompress, lzfDecompress } from './lzf.ts';
export { parseNpy, writeNpy, npyPointSets, npyToPointCloud, hasNpyMagic, type NpyArray, type NpyDtype } from './npy.ts';
export { parseNpz, writeNpz, npzPointMembers, NPZ_MEMBER_LIMIT, type NpzArchive } from './npz.ts';
export { detectFormat } from './detect.ts';
export { POINT_FILE_LOADERS, detectLoader, pointFileLoader, pointFileWriterFor } from './registry.ts';
export type { PointFileLoader, PointCloudWriteOptions } from './point-file.ts';
export {
  readPointFile,
  type PointFile,
  type PointFileFormat,
  type PlyFile,
  type OffFile,
  type TextFile,
  type Hdf5File,
  type IdxFile,
  type NpyFile,
  type NpzFile,
  type PcdFile,
  type NpyPointSets,
} from './read-point-file.ts';
export { summarizePointFile, boundingBox, type PointFileSummary, type PropertySummary } from './summary.ts';
export { pointCountOf, type PointCloud, type PointAttribute } from './point-cloud.ts';
