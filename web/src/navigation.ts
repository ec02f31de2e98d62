// Moving between views without reloading: the URL changes first, then the view is drawn from it.

let render: () => void = () => {};

export function onNavigate(draw: () => void): void {
  render = draw;
  window.addEventListener('popstate', draw);
  // Links marked data-link stay in the app; modified clicks (new tab) keep the browser's behaviour.
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[data-link]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href') ?? '/');
  });
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}
