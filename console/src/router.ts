// History routing under /console/: a route is a path pattern and the page module that renders it.
import { signal } from './signal.ts';
import { basePath } from './api.ts';

export const currentPath = signal(pathInApp());

function pathInApp(): string {
  const path = location.pathname.slice(basePath().length + '/console'.length);
  return path === '' ? '/' : path;
}

export function href(path: string): string {
  return `${basePath()}/console${path}`;
}

export function navigate(path: string): void {
  history.pushState(null, '', href(path));
  currentPath.set(pathInApp());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => currentPath.set(pathInApp()));

/** Follows in-app links without a reload (plain clicks only). */
export function linkClick(event: MouseEvent): void {
  const anchor = (event.target as Element | null)?.closest('a');
  if (anchor === null || anchor === undefined || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(`${basePath()}/console`)) return;
  event.preventDefault();
  navigate(url.pathname.slice(basePath().length + '/console'.length) || '/');
}

export interface RouteMatch {
  params: Record<string, string>;
}

/** `/pipelines/:id/live` against a path: the named segments, or undefined. */
export function match(pattern: string, path: string): RouteMatch | undefined {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(have[i]!);
    else if (segment !== have[i]) return undefined;
  }
  return { params };
}
