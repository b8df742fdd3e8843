// Lambda entry: API Gateway HTTP API (payload 2.0) → the management API under /v4/; the schedule's
// schema refresh.
import { fileURLToPath } from 'node:url';
import { apiConfig } from '../../shared/config.ts';
import { createApiHandler, GLUE_CATALOG_MODULE_FILE } from './app.ts';
import type * as GlueCatalog from './glue-catalog.ts';

// glue-catalog.ts is bundled on its own beside this bundle (HooklakeFunction's `lazyModules`). The
// specifier is computed, so esbuild leaves the import to run time instead of inlining the Glue SDK.
const glueCatalogModule = new URL(`./${GLUE_CATALOG_MODULE_FILE}`, import.meta.url).href;

// The console's built files travel beside the bundle (infra copies console/dist to ./console).
export const handler = createApiHandler(apiConfig(process.env), {
  consoleDir: fileURLToPath(new URL('./console/', import.meta.url)),
  loadViewCatalog: async (aws, databaseName) => ((await import(glueCatalogModule)) as typeof GlueCatalog).viewCatalog(aws, databaseName),
});
