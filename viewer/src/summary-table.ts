import { h } from './dom.ts';
import { bitsText, formatBytes, percent, sizeRatio } from './format.ts';
import type { ModelScore } from './scores.ts';
import type { ShapeView } from './shape-view.ts';

/**
 * The table under the panels: per model its facts (method, bits W/A, sparsity, size and how many
 * times smaller than the reference) and its scores. A fact nobody recorded shows as "–".
 */
export function renderSummary(table: HTMLTableElement, view: ShapeView, models: readonly string[], scores: ReadonlyMap<string, ModelScore>): void {
  const referenceSize = view.reference ? view.facts(view.reference).size_bytes : undefined;
  const head = ['model', 'method', 'bits (W/A)', 'sparsity', 'size'];
  if (view.task === 'classification') head.push('predicted', 'probability', 'correct', 'same as reference');
  else head.push('accuracy', 'mIoU', '≠ reference');
  const rows = models.map((model) => {
    const facts = view.facts(model);
    const score = scores.get(model)!;
    const cells: string[] = [
      facts.label ?? model,
      facts.method ?? '–',
      bitsText(facts) ?? '–',
      facts.sparsity !== undefined ? percent(facts.sparsity, 0) : '–',
      facts.size_bytes !== undefined ? `${formatBytes(facts.size_bytes)}${referenceSize && !score.isReference ? ` (${sizeRatio(referenceSize, facts.size_bytes)})` : ''}` : '–',
    ];
    const { classification, segmentation } = score;
    if (classification) {
      const { predicted, referencePredicted, probability, correct } = classification;
      cells.push(classification.predictedName ?? '–', probability !== undefined ? percent(probability) : '–', correct === undefined ? '–' : correct ? '✓' : '✗');
      cells.push(score.isReference ? 'reference' : referencePredicted === undefined || predicted === undefined ? '–' : referencePredicted === predicted ? 'yes' : 'no');
    } else {
      cells.push(segmentation ? percent(segmentation.accuracy) : '–', segmentation ? percent(segmentation.miou) : '–');
      const count = view.files.get(model)!.count;
      cells.push(score.isReference ? 'reference' : score.differ !== undefined ? `${score.differ.toLocaleString('en-US')} (${percent(score.differ / count)})` : '–');
    }
    return h('tr', { 'data-model': model, ...(score.isReference ? { class: 'reference' } : {}) }, ...cells.map((cell) => h('td', {}, cell)));
  });
  table.replaceChildren(h('thead', {}, h('tr', {}, ...head.map((title) => h('th', {}, title)))), h('tbody', {}, ...rows));
}
