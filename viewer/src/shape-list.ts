import { h } from './dom.ts';
import type { Shape } from './shapes.ts';

/** The sidebar's list of shapes; shapes in folders (`pointnet-seg/chair_0003`) under a heading per folder. */
export function renderShapeList(list: HTMLUListElement, shapes: readonly Shape[], current: Shape | undefined, onSelect: (shape: Shape) => void): void {
  const items: HTMLElement[] = [];
  let lastGroup = '';
  for (const shape of shapes) {
    const slash = shape.key.lastIndexOf('/');
    const group = slash > 0 ? shape.key.slice(0, slash) : '';
    if (group !== lastGroup && group) items.push(h('li', { class: 'group' }, group));
    lastGroup = group;
    const item = shapeListItem(shape, slash > 0 ? shape.key.slice(slash + 1) : shape.key, shape === current);
    item.querySelector('button')!.addEventListener('click', () => onSelect(shape));
    items.push(item);
  }
  list.replaceChildren(...items);
}

function shapeListItem(shape: Shape, label: string, isCurrent: boolean): HTMLElement {
  const loaded = shape.models.size;
  const total = loaded + shape.pending.length + shape.failures.size;
  const count = shape.pending.length > 0 ? `${total} file${total === 1 ? '' : 's'}` : `${loaded} model${loaded === 1 ? '' : 's'}`;
  const item = h(
    'li',
    { class: isCurrent ? 'current' : '', 'data-shape': shape.key },
    h('button', { type: 'button', title: shape.key }, h('span', { class: 'shape-name' }, label), h('span', { class: 'shape-count' }, count)),
  );
  if (shape.failures.size > 0) item.classList.add('has-failures');
  return item;
}
