// Building the page. Text from the server (commit messages, branch names, reasons) comes from outside:
// it only ever goes into textContent or attributes, never into HTML.

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'class') element.className = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces everything inside `parent`. */
export function fill(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Only http(s) links leave the page: a `javascript:` URL from a provider must not become clickable. */
export function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export function externalLink(url: string | null, text: string, label?: string): HTMLElement {
  const href = safeUrl(url);
  if (!href) return h('span', { class: 'muted' }, '—');
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer', 'aria-label': label }, text);
}

export const loading = (what: string) =>
  h('p', { class: 'state loading', role: 'status' }, `Loading ${what}…`);
export const empty = (text: string) => h('p', { class: 'state empty' }, text);
export const failure = (what: string, error: unknown) =>
  h(
    'p',
    { class: 'state error', role: 'alert' },
    `Could not load ${what}: ${error instanceof Error ? error.message : String(error)}`,
  );
