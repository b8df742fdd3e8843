// The esbuild settings of every Lambda bundle, in one place: HooklakeFunction hands them to CDK's
// NodejsFunction for index.mjs, the asset step (asset-files.ts) builds a function's lazily loaded
// modules with them, and the cold-start benchmark builds the same bundles to measure them.
import type { BuildOptions } from 'esbuild';

// esbuild's ESM output has no `require`; CommonJS dependencies that require Node built-ins
// would throw "Dynamic require is not supported" without this shim.
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __hooklakeCreateRequire } from 'node:module';" +
  'const require = __hooklakeCreateRequire(import.meta.url);';

/** nodejs24.x, ESM, minified, the ESM builds of dependencies first (better tree-shaking), no source maps. */
export const LAMBDA_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** A module of a function built into a file of its own beside index.mjs, for a dynamic import at run time. */
export interface LazyModule {
  /** Source file, repo-relative (e.g. `functions/receiver/claims.ts`). */
  entry: string;
  /** File name in the asset, beside index.mjs (e.g. `claims.mjs`). */
  file: string;
}
