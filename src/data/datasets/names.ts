import { basename, resolve } from 'node:path';

/** A readable data set name: `modelnet40`/`modelnet10` when the class count says so, else the folder name. */
export function modelNetName(root: string, classCount: number): string {
  if (classCount === 40) return 'modelnet40';
  if (classCount === 10) return 'modelnet10';
  return basename(resolve(root));
}
