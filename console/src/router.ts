// History routing under /console/: a route is a path pattern and the page module that renders it.
// A pattern's parameters match only the id shapes the page declares: anything else in the
// address bar is the not-found page, never a value that reaches an API call.
import { signal } from './signal.ts';
import { basePath } from './api.ts';
import { fixedPath, type Path } from './paths.ts';

export { match } from './paths.ts';

export const currentPath = signal(pathInApp());

function pathInApp(): string {
  const path = location.pathname.slice(basePath().length + '/console'.length);
  return path === '' ? '/' : path;
}

export function href(path: Path): string {
  return `${basePath()}/console${path.text}`;
}

function show(url: string): void {
  history.pushState(null, '', url);
  currentPath.set(pathInApp());
  window.scrollTo(0, 0);
}

export function navigate(path: Path): void {
  show(href(path));
}

window.addEventListener('popstate', () => currentPath.set(pathInApp()));

/** Follows in-app links without a reload (plain clicks only). */
export function linkClick(event: MouseEvent): void {
  const anchor = (event.target as Element | null)?.closest('a');
  if (anchor === null || anchor === undefined || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(`${basePath()}/console`)) return;
  event.preventDefault();
  show(url.pathname);
}

/** The root path of the app, where it sends a visitor on to the pipelines. */
export const HOME = fixedPath('/pipelines');
