/** Small DOM helpers shared by the page's modules. */

/** `h('div', { class: 'x' }, child, 'text')`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `Could not load a.ply: …`, with the file named once. */
export function fileMessage(fileName: string, error: unknown): string {
  const text = errorText(error);
  return text.includes(fileName) ? text : `${fileName}: ${text}`;
}
