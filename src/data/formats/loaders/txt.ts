import { boundingBox, textStart, type PointFileBase, type PointFileLoader } from '../point-file.ts';
import type { PointCloud } from '../point-cloud.ts';
import { parsePointText, type PointText } from '../txt.ts';

export interface TextFile extends PointFileBase {
  format: 'txt';
  text: PointText;
  cloud: PointCloud;
}

/** Point text has no signature: it is the extension, or else text that starts with a number. */
export const textLoader: PointFileLoader<TextFile> = {
  name: 'txt',
  title: 'point text (.txt)',
  extensions: ['.txt', '.xyz', '.pts', '.csv'],
  test: () => false,
  guess: (bytes) => /^[-+.\d]/.test(textStart(bytes)),
  parse(bytes, fileName) {
    const text = parsePointText(bytes, fileName);
    return { format: 'txt', fileName, encoding: text.delimiter === ',' ? 'comma' : 'space', text, cloud: text.cloud };
  },
  summarize(file) {
    const { cloud } = file;
    const vertex = ['x', 'y', 'z', ...(cloud.normals ? ['nx', 'ny', 'nz'] : [])].map((name) => ({ name, type: 'float32' }));
    if (cloud.labels) vertex.push({ name: 'label', type: 'int32' });
    return { file: file.fileName, format: 'txt', encoding: file.encoding, elements: { vertex: cloud.points.length / 3 }, properties: { vertex }, bbox: boundingBox(cloud.points) };
  },
};
