import { COLOR_MODES, type ColorMode } from './colors.ts';
import { h } from './dom.ts';

/** The page's controls: colour modes (buttons and keys 1–4), reference, point size, reset (r), files (picker, drop), resizing. */

export interface ControlElements {
  modes: HTMLElement;
  reference: HTMLSelectElement;
  pointSize: HTMLInputElement;
  resetView: HTMLButtonElement;
  fileInputs: HTMLInputElement[];
  dropOverlay: HTMLElement;
}

export interface ControlActions {
  setMode(mode: ColorMode): void;
  setReference(model: string): void;
  setPointScale(scale: number): void;
  resetView(): void;
  openFiles(files: File[]): void;
  /** The window changed size (debounced). */
  resized(): void;
}

export function setupControls(ui: ControlElements, actions: ControlActions, mode: ColorMode): void {
  ui.modes.replaceChildren(
    ...COLOR_MODES.map(({ mode: value, label, key }) => {
      const button = h('button', { type: 'button', 'data-mode': value, title: `${label} (key ${key})`, 'aria-pressed': String(value === mode) }, label);
      button.addEventListener('click', () => actions.setMode(value));
      return button;
    }),
  );
  ui.reference.addEventListener('change', () => actions.setReference(ui.reference.value));
  ui.pointSize.addEventListener('input', () => actions.setPointScale(Number(ui.pointSize.value)));
  ui.resetView.addEventListener('click', () => actions.resetView());
  for (const input of ui.fileInputs) {
    input.addEventListener('change', () => {
      const files = [...(input.files ?? [])];
      input.value = '';
      actions.openFiles(files);
    });
  }
  window.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.ctrlKey || event.metaKey || event.altKey) return;
    const pressed = COLOR_MODES.find((m) => m.key === event.key);
    if (pressed) actions.setMode(pressed.mode);
    if (event.key === 'r') actions.resetView();
  });
  // Drag and drop anywhere on the page.
  let depth = 0;
  window.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    depth++;
    ui.dropOverlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) ui.dropOverlay.hidden = true;
  });
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    ui.dropOverlay.hidden = true;
    actions.openFiles([...(event.dataTransfer?.files ?? [])]);
  });
  // Charts follow the panel width.
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => actions.resized(), 150);
  });
}

/** Marks the current mode's button pressed. */
export function showMode(modes: HTMLElement, mode: ColorMode): void {
  for (const button of modes.querySelectorAll('button')) button.setAttribute('aria-pressed', String(button.dataset['mode'] === mode));
}
