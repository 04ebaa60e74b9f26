import { AGREE_COLOR, COLOR_MODES, DIFF_COLOR, ERROR_COLOR, NEUTRAL_COLOR, rgbHex, type ColorMode, type Rgb } from './colors.ts';
import { h } from './dom.ts';
import type { ShapeView } from './shape-view.ts';

/** The legend above the panels: what the colours of the current mode mean, with part or class names. */
export function renderLegend(container: HTMLElement, view: ShapeView, mode: ColorMode): void {
  const item = (rgb: Rgb, text: string) => h('span', { class: 'legend-item' }, h('i', { style: `background:${rgbHex(rgb)}` }), text);
  const items: HTMLElement[] = [];
  if (mode === 'error') {
    items.push(item(AGREE_COLOR, 'correct'), item(ERROR_COLOR, 'wrong (prediction ≠ ground truth)'));
  } else if (mode === 'diff') {
    items.push(item(AGREE_COLOR, `same as ${view.reference ?? 'reference'}`), item(DIFF_COLOR, `differs from ${view.reference ?? 'reference'}`));
  } else {
    const ids = new Set<number>();
    for (const file of view.files.values()) {
      const values = mode === 'truth' ? file.truth : file.pred;
      if (values) for (const id of idsOf(values)) ids.add(id);
    }
    if (view.task === 'segmentation' && mode === 'truth') for (const part of view.info?.parts ?? []) ids.add(part);
    for (const id of [...ids].sort((a, b) => a - b)) items.push(item(view.colors.get(id) ?? NEUTRAL_COLOR, view.nameOf(id)));
  }
  const title = COLOR_MODES.find((m) => m.mode === mode)!.label;
  container.replaceChildren(h('span', { class: 'legend-title' }, `${title}:`), ...items);
}

function idsOf(values: Int32Array): Set<number> {
  const ids = new Set<number>();
  let last = NaN;
  for (const value of values) {
    if (value === last) continue;
    ids.add(value);
    last = value;
  }
  return ids;
}
