import { h } from './dom.ts';

/** The page's messages: one per problem, naming the file (`data-file`); each can be dismissed. */
export type MessageLevel = 'error' | 'warning' | 'info';

export function showMessage(container: HTMLElement, level: MessageLevel, text: string, file?: string): void {
  const close = h('button', { class: 'close', title: 'Dismiss', 'aria-label': 'Dismiss' }, '×');
  const message = h('div', { class: `message ${level}`, role: level === 'error' ? 'alert' : 'status' }, h('span', {}, text), close);
  if (file) message.dataset['file'] = file;
  close.addEventListener('click', () => message.remove());
  container.append(message);
}
