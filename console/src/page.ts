// What a console page module exports (pages/*.ts); pages/index.ts lists them.
import type { VNode } from 'preact';

export interface ConsolePage {
  /** Path pattern under /console, e.g. `/pipelines/:id/live`. */
  path: string;
  /** The shape of each `:name` of `path` (id-patterns.ts); an address that does not fit is not found. */
  params?: Readonly<Record<string, RegExp>>;
  /** The document title (and, with `nav`, the navigation label). */
  title: (params: Record<string, string>) => string;
  /** Shown in the navigation bar under this label when set. */
  nav?: string;
  render: (params: Record<string, string>) => VNode;
}
